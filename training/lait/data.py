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


def load_boolq(root):
    out = []
    with open(os.path.join(root, "data/boolq/val.jsonl"), encoding="utf-8") as f:
        for line in f:
            x = json.loads(line)
            title = x["passage"].split(" -- ")[0]
            out.append(_ex(x["idx"], x["question"], x["passage"], "yes" if x["label"] else "no", "boolq",
                           hash_split(title)))
    return out


# Training sources per task (train split used for training, dev split for model selection,
# test split only for the final table). Held-out-only sources never enter training.
NLI_TRAIN_SOURCES = {"sick": load_sick, "mnli": load_mnli, "snli": load_snli, "mpe": load_mpe,
                     "fever": load_fever, "healthver": load_healthver}
NLI_HELDOUT_SOURCES = {"anli": load_anli, "climate_fever": load_climate_fever}
QA_SOURCES = {"boolq": load_boolq}


def load_task(task, sources=None, root=None, include_heldout=False):
    root = root or shared_dir()
    if task == "nli":
        table = dict(NLI_TRAIN_SOURCES)
        if include_heldout:
            table.update(NLI_HELDOUT_SOURCES)
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


def two_way_sources():
    """Sources whose gold labels are only entailment / contradiction (FEVER pairs)."""
    return {"fever"}
