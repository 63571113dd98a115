"""Loaders for the shared data sets and the deterministic train/dev/test splits
(documented in training/README.md). Every example is a dict
{"id", "segments": [first, other...] as text, "label": str, "source": str, "split": str}.

Segment order follows the service: segment 0 is the claim / hypothesis / question ("first"
role, carries [CLS]); segment 1 is the evidence / premise / passage ("other" role).

Splits by hash: bucket = int(sha256(group key)[:8], 16) % 100; train < 80 <= dev < 90 <= test.
The group key is the premise / claim / passage, so pairs sharing it never cross splits.
"""
import csv
import hashlib
import json
import os
import re

NLI_LABELS = ["entailment", "neutral", "contradiction"]
QA_LABELS = ["no", "yes"]
# Gold label of the 2-way entailment / not-entailment sources (RTE, QNLI, WNLI, SummEdits). It is not
# a model class: encode it with label_index() (-> NOT_ENTAILMENT_ID) and score it with "ent_vs_not".
NOT_ENTAILMENT = "not_entailment"
NOT_ENTAILMENT_ID = -1

# Scoring modes (see scoring_mode() and evaluation.metrics):
#   "3way"          argmax over the task's labels (entailment / neutral / contradiction)
#   "yesno"         argmax over the task's labels (no / yes); the yes/no QA sources
#   "ent_vs_contra" gold is only entailment / contradiction: argmax over those two logits
#   "ent_vs_not"    gold is entailment / not_entailment: predict entailment iff
#                   p(entailment) > p(neutral) + p(contradiction) (softmax over the 3 logits,
#                   i.e. the argmax over {entailment, neutral+contradiction} in probability space;
#                   a tie counts as not_entailment)
THREE_WAY, YES_NO, ENT_VS_CONTRA, ENT_VS_NOT = "3way", "yesno", "ent_vs_contra", "ent_vs_not"


def shared_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ.get("LAIT_SHARED")
    if env:
        return env
    return os.path.normpath(os.path.join(here, "..", "..", "..", "shared"))


def _norm(s):
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def bucket(key):
    return int(hashlib.sha256(_norm(key).encode("utf-8")).hexdigest()[:8], 16) % 100


def hash_split(key):
    b = bucket(key)
    return "train" if b < 80 else ("dev" if b < 90 else "test")


def _ex(i, first, other, label, source, split):
    return {"id": f"{source}:{i}", "segments": [first.strip(), other.strip()], "label": label,
            "source": source, "split": split}


def load_mnli(root):
    out = []
    with open(os.path.join(root, "data/mnli/mnli_dev_matched.csv"), newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            prem, hyp, lab = row["sentence1"], row["sentence2"], row["gold_label"].strip().lower()
            if not hyp.strip() and "\t" in prem:  # 3 known merged rows: premise \t hypothesis \t ...
                parts = prem.split("\t")
                prem, hyp = parts[0], parts[1]
            if lab not in NLI_LABELS or not hyp.strip():
                continue
            out.append(_ex(i, hyp, prem, lab, "mnli", hash_split(prem)))
    return out


def load_snli(root):
    out = []
    with open(os.path.join(root, "data/snli/snli_dev.csv"), newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            lab = row["label"].strip().lower()
            if lab in NLI_LABELS:
                out.append(_ex(i, row["hypothesis"], row["premise"], lab, "snli", hash_split(row["premise"])))
    return out


def load_sick(root):
    out = []
    with open(os.path.join(root, "data/sick/SICK.txt"), encoding="utf-8") as f:
        header = f.readline().rstrip("\r\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\r\n").split("\t")))
            split = {"TRAIN": "train", "TRIAL": "dev", "TEST": "test"}[row["SemEval_set"]]
            out.append(_ex(row["pair_ID"], row["sentence_B"], row["sentence_A"],
                           row["entailment_label"].lower(), "sick", split))
    return out


def load_mpe(root):
    out = []
    for fname, split in (("mpe_train.csv", "train"), ("mpe_dev.csv", None)):
        with open(os.path.join(root, "data/mpe", fname), newline="", encoding="utf-8") as f:
            for i, row in enumerate(csv.DictReader(f)):
                prem = re.sub(r"\s*\d+jpg\d", " ", row["premise"]).strip()
                # MPE dev is halved into dev / test by premise hash (no official test here).
                sp = split or ("dev" if bucket(prem) < 50 else "test")
                out.append(_ex(f"{fname}:{i}", row["hypothesis"], prem, row["label"].strip().lower(), "mpe", sp))
    return out


def load_fever(root):
    out = []
    with open(os.path.join(root, "data/fever-pairs/fever_dev_pairs.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            lab = "entailment" if r["label"] == "SUPPORTS" else "contradiction"
            out.append(_ex(r["id"], r["claim"], r["evidence"], lab, "fever", hash_split(r["claim"])))
    return out


def load_healthver(root):
    out = []
    m = {"supports": "entailment", "refutes": "contradiction", "neutral": "neutral"}
    for fname in ("healthver_dev.csv", "healthver_test.csv"):
        with open(os.path.join(root, "data/healthver", fname), newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if fname.endswith("test.csv"):
                    sp = "test"
                else:  # official dev is our train (90%) + dev (10%), grouped by claim
                    sp = "dev" if bucket(row["claim"]) >= 90 else "train"
                out.append(_ex(f"{fname}:{row['id']}", row["claim"], row["evidence"],
                               m[row["label"].strip().lower()], "healthver", sp))
    return out


def load_anli(root):
    out = []
    m = {"e": "entailment", "n": "neutral", "c": "contradiction"}
    for r in ("R1", "R2", "R3"):
        for part in ("dev", "test"):
            with open(os.path.join(root, f"data/anli/anli_{r}_{part}.jsonl"), encoding="utf-8") as f:
                for line in f:
                    x = json.loads(line)
                    out.append(_ex(x["uid"], x["hypothesis"], x["context"], m[x["label"]], f"anli_{r}", "test"))
    return out


def load_climate_fever(root):
    out = []
    m = {"SUPPORTS": "entailment", "REFUTES": "contradiction", "NOT_ENOUGH_INFO": "neutral"}
    with open(os.path.join(root, "data/climate-fever/climate-fever.jsonl"), encoding="utf-8") as f:
        for line in f:
            x = json.loads(line)
            for ev in x["evidences"]:
                out.append(_ex(f"{x['claim_id']}:{ev['evidence_id']}", x["claim"], ev["evidence"],
                               m[ev["evidence_label"]], "climate_fever", "test"))
    return out


def _csv_pairs(root, rel_paths, source, label_map):
    """premise,hypothesis,label CSVs (GLUE-style copies): segment 0 = hypothesis, 1 = premise."""
    out = []
    for rel in rel_paths:
        with open(os.path.join(root, "data", rel), newline="", encoding="utf-8") as f:
            for i, row in enumerate(csv.DictReader(f)):
                out.append(_ex(f"{os.path.basename(rel)}:{i}", row["hypothesis"], row["premise"],
                               label_map[row["label"].strip()], source, "test"))
    return out


_FEVER_BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}",
                   "-COLON-": ":"}


def _fever_detok(s):
    """The light FEVER detokenisation fever-pairs/PROVENANCE.md applied to our FEVER training
    evidence (brackets, quotes, no space before punctuation or clitics), so both look alike."""
    for k, v in _FEVER_BRACKETS.items():
        s = s.replace(k, v)
    s = s.replace("``", '"').replace("''", '"')
    s = re.sub(r" ([,.;:!?%)\]}])", r"\1", s)
    s = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", s)
    return s


def load_fever_symmetric(root):
    """FEVER-Symmetric v0.2 dev, 708 claim + evidence pairs, SUPPORTS / REFUTES (ent_vs_contra)."""
    out = []
    m = {"SUPPORTS": "entailment", "REFUTES": "contradiction"}
    with open(os.path.join(root, "data/fever-symmetric/fever_symmetric_dev.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            x = json.loads(line)
            out.append(_ex(f"{i}:{x['id']}", _fever_detok(x["claim"]), _fever_detok(x["evidence"]),
                           m[x["gold_label"]], "fever_symmetric", "test"))
    return out


def load_commitmentbank(root):
    """SuperGLUE CB train 250 + val 56, 3-way."""
    return _csv_pairs(root, ["commitmentbank/cb_train.csv", "commitmentbank/cb_dev.csv"], "commitmentbank",
                      {l: l for l in NLI_LABELS})


def load_covidfact(root):
    """COVID-Fact, 4,086 claims, each with its 1-5 evidence sentences joined by a space;
    SUPPORTED -> entailment, REFUTED -> contradiction (ent_vs_contra)."""
    out = []
    m = {"SUPPORTED": "entailment", "REFUTED": "contradiction"}
    with open(os.path.join(root, "data/covidfact/COVIDFACT_dataset.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            x = json.loads(line)
            out.append(_ex(i, x["claim"], " ".join(e.strip() for e in x["evidence"]), m[x["label"]],
                           "covidfact", "test"))
    return out


def load_scifact_rte(root):
    """SciFact claims vs gold rationale sentences (RTE format), train 564 + dev 209. The converter
    mapped SUPPORT -> entailment and CONTRADICT -> not_entailment with NOINFO absent, so
    not_entailment here IS contradiction: mapped to contradiction, scored ent_vs_contra like FEVER.
    TSV without quoting; the 4th header cell is misnamed 'entailment' (it is the label)."""
    out = []
    m = {"entailment": "entailment", "not_entailment": "contradiction"}
    for fname in ("scifact_rte_train.tsv", "scifact_rte_dev.tsv"):
        with open(os.path.join(root, "data/scifact-rte", fname), encoding="utf-8") as f:
            f.readline()
            for line in f:
                idx, evidence, claim, lab = line.rstrip("\r\n").split("\t")
                out.append(_ex(f"{fname}:{idx}", claim, evidence, m[lab.strip()], "scifact_rte", "test"))
    return out


_ENT_NOT = {"entailment": "entailment", "not_entailment": NOT_ENTAILMENT}


def load_rte(root):
    """GLUE RTE train 2,490 + dev 277 (both held out), entailment / not_entailment."""
    return _csv_pairs(root, ["rte/rte_train.csv", "rte/rte_dev.csv"], "rte", _ENT_NOT)


def load_qnli(root):
    """QNLI v1 dev 5,732. The file's 'premise' column is the QUESTION (segment 0) and 'hypothesis'
    the candidate sentence (segment 1); entailment = the sentence contains the answer."""
    out = []
    with open(os.path.join(root, "data/qnli/qnli_v1_dev.csv"), newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            out.append(_ex(i, row["premise"], row["hypothesis"], _ENT_NOT[row["label"].strip()], "qnli", "test"))
    return out


def load_wnli(root):
    """GLUE WNLI train 635 + dev 71 (both held out; adversarial, below-majority is normal)."""
    return _csv_pairs(root, ["wnli/wnli_train.csv", "wnli/wnli_dev.csv"], "wnli", _ENT_NOT)


def load_lingnli(root, mnli_train_premises=None):
    """LingNLI validation (5 rounds x 3 protocols, 7,371 pairs, 5-annotator majority labels), minus
    every pair whose premise (normalised) is a premise of our MNLI TRAIN split: LingNLI premises
    were sampled from MultiNLI, and MNLI dev-matched premises in the train split are trained on.
    The LingNLI train files (writer labels) are not loaded: candidate training data (DESIGN §6)."""
    if mnli_train_premises is None:
        mnli_train_premises = {_norm(e["segments"][1]) for e in load_mnli(root) if e["split"] == "train"}
    out = []
    for n in range(1, 6):
        for proto in ("base", "LotS", "LitL"):
            fname = f"val_round{n}_{proto}.jsonl"
            with open(os.path.join(root, "data/lingnli", fname), encoding="utf-8") as f:
                for i, line in enumerate(f):
                    x = json.loads(line)
                    if _norm(x["premise"]) in mnli_train_premises:
                        continue
                    out.append(_ex(f"{fname}:{i}", x["hypothesis"], x["premise"], x["label"], "lingnli", "test"))
    return out


def load_summedits(root):
    """SummEdits, 5 domains, 3,048 (document, summary) rows; 1 = consistent -> entailment,
    0 = inconsistent -> not_entailment (ent_vs_not). Segment 0 = summary, segment 1 = document.
    Both of the authors' splits (evaluation + test) are used: nothing here is trained on.
    NOTE: documents are long (median 105-458 words) and the NLI cap keeps only the first 85
    tokens of segment 1, so an edit may sit in text the model never sees."""
    out = []
    for dom in ("news", "samsum", "scitldr", "ectsum", "qmsumm"):
        with open(os.path.join(root, f"data/summedits/summedits_{dom}.json"), encoding="utf-8") as f:
            for x in json.load(f):
                lab = "entailment" if str(x["label"]) == "1" else NOT_ENTAILMENT
                out.append(_ex(x["id"], x["summary"], x["doc"], lab, "summedits", "test"))
    return out


def load_boolq(root):
    out = []
    with open(os.path.join(root, "data/boolq/val.jsonl"), encoding="utf-8") as f:
        for line in f:
            x = json.loads(line)
            title = x["passage"].split(" -- ")[0]
            out.append(_ex(x["idx"], x["question"], x["passage"], "yes" if x["label"] else "no", "boolq",
                           hash_split(title)))
    return out


def load_pubmedqa(root):
    """PubMedQA PQA-L (1,000 expert-labelled questions). Segment 0 = QUESTION, segment 1 = the
    abstract's CONTEXTS joined by a space (LONG_ANSWER, the conclusion, is never used: it gives the
    answer away). final_decision 'maybe' (110) is DROPPED: the task is yes/no and 'maybe' is neither
    (890 left). Split: the official test PMIDs (test_ground_truth.json) = test (445 after the drop);
    the other questions train / dev by hash of the PMID (dev = bucket >= 90, as for HealthVer).
    One question per abstract (PMID), so the PMID is the group key."""
    with open(os.path.join(root, "data/pubmedqa/ori_pqal.json"), encoding="utf-8") as f:
        d = json.load(f)
    with open(os.path.join(root, "data/pubmedqa/test_ground_truth.json"), encoding="utf-8") as f:
        test = set(json.load(f))
    out = []
    for pmid, x in d.items():
        lab = x["final_decision"]
        if lab not in QA_LABELS:
            continue
        sp = "test" if pmid in test else ("dev" if bucket(pmid) >= 90 else "train")
        out.append(_ex(pmid, x["QUESTION"], " ".join(c.strip() for c in x["CONTEXTS"]), lab, "pubmedqa", sp))
    return out


def strategyqa_groups(items):
    """Group key per StrategyQA item: connected components of questions linked by an identical
    (normalised) question or fact; the key is the component's smallest normalised question."""
    parent = {}

    def find(a):
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for x in items:
        q = "q:" + _norm(x["question"])
        for s in x["steps"]:
            parent[find("f:" + _norm(s))] = find(q)
    comp = {}
    for x in items:
        q = _norm(x["question"])
        r = find("q:" + q)
        comp[r] = min(comp.get(r, q), q)
    return [comp[find("q:" + _norm(x["question"]))] for x in items]


def load_strategyqa(root):
    """StrategyQA (the 2,290 released training questions, CODI's three files pooled; their re-split
    is not used). Segment 0 = question, segment 1 = its annotated facts ('steps') joined by a space.
    'Yes.' / 'No.' -> yes / no. Hash split by strategyqa_groups() (questions sharing a fact or the
    same question text stay together)."""
    items = []
    for fname in ("strategyqa_train.json", "strategyqa_valid.json", "strategyqa_test.json"):
        with open(os.path.join(root, "data/strategyqa", fname), encoding="utf-8") as f:
            items.extend((fname, i, x) for i, x in enumerate(json.load(f)))
    keys = strategyqa_groups([x for _, _, x in items])
    m = {"yes.": "yes", "no.": "no"}
    return [_ex(f"{fname}:{i}", x["question"], " ".join(s.strip() for s in x["steps"]),
                m[x["answer"].strip().lower()], "strategyqa", hash_split(k))
            for (fname, i, x), k in zip(items, keys)]


# Training sources per task (train split used for training, dev split for model selection,
# test split only for the final table). Held-out-only sources never enter training.
NLI_TRAIN_SOURCES = {"sick": load_sick, "mnli": load_mnli, "snli": load_snli, "mpe": load_mpe,
                     "fever": load_fever, "healthver": load_healthver}
NLI_HELDOUT_SOURCES = {"anli": load_anli, "climate_fever": load_climate_fever}
# Labelled NLI-style sets never trained on; every example has split "test" (README, data splits).
NLI_OUTSIDE_SOURCES = {"fever_symmetric": load_fever_symmetric, "commitmentbank": load_commitmentbank,
                       "covidfact": load_covidfact, "scifact_rte": load_scifact_rte, "rte": load_rte,
                       "qnli": load_qnli, "wnli": load_wnli, "lingnli": load_lingnli,
                       "summedits": load_summedits}
# Yes/no QA: train on every source's train split, select on dev, report per source on test.
QA_SOURCES = {"boolq": load_boolq, "pubmedqa": load_pubmedqa, "strategyqa": load_strategyqa}

# How each source is scored (source name as in the examples' "source" field).
SCORING = {
    "sick": THREE_WAY, "mnli": THREE_WAY, "snli": THREE_WAY, "mpe": THREE_WAY, "fever": ENT_VS_CONTRA,
    "healthver": THREE_WAY, "anli_R1": THREE_WAY, "anli_R2": THREE_WAY, "anli_R3": THREE_WAY,
    "climate_fever": THREE_WAY, "fever_symmetric": ENT_VS_CONTRA, "commitmentbank": THREE_WAY,
    "covidfact": ENT_VS_CONTRA, "scifact_rte": ENT_VS_CONTRA, "rte": ENT_VS_NOT, "qnli": ENT_VS_NOT,
    "wnli": ENT_VS_NOT, "lingnli": THREE_WAY, "summedits": ENT_VS_NOT,
    "boolq": YES_NO, "pubmedqa": YES_NO, "strategyqa": YES_NO,
}


def load_task(task, sources=None, root=None, include_heldout=False):
    root = root or shared_dir()
    if task == "nli":
        table = dict(NLI_TRAIN_SOURCES)
        if include_heldout:
            table.update(NLI_HELDOUT_SOURCES)
            table.update(NLI_OUTSIDE_SOURCES)
    elif task == "boolq":
        table = dict(QA_SOURCES)
    else:
        raise ValueError(task)
    if sources:
        table = {k: v for k, v in table.items() if k in sources or (k == "anli" and "anli" in sources)}
    out = []
    for name, fn in table.items():
        out.extend(fn(root))
    return out


def labels_for(task):
    return NLI_LABELS if task == "nli" else QA_LABELS


def scoring_mode(source):
    """How a source is scored; sources not listed in SCORING get plain argmax ("3way")."""
    return SCORING.get(source, THREE_WAY)


def scoring_modes():
    """{source: scoring mode} for every known source (a copy of SCORING)."""
    return dict(SCORING)


def label_index(label, labels):
    """Gold label -> class index; NOT_ENTAILMENT (not a model class) -> NOT_ENTAILMENT_ID."""
    if label == NOT_ENTAILMENT and NOT_ENTAILMENT not in labels:
        return NOT_ENTAILMENT_ID
    return labels.index(label)


def two_way_sources():
    """Kept for older callers: the sources scored "ent_vs_contra" (gold only entailment /
    contradiction: FEVER pairs, FEVER-Symmetric, COVID-Fact, SciFact). Use scoring_mode()."""
    return {s for s, m in SCORING.items() if m == ENT_VS_CONTRA}
