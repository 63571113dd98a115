"""Data-source checks: loader counts (against PROVENANCE.md and the documented drops), outside
sources are test-only, the scoring modes on hand-made logits, and the yes/no QA splits are
disjoint by group key. The checks that read ../shared skip where it is absent (a user's clone)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

from lait import data, evaluation as ev  # noqa: E402

# Examples per loader (README, data splits). Where it differs from PROVENANCE.md: LingNLI val is
# 7,371 minus the 4,185 pairs whose premise is in our MNLI train split; PubMedQA is 1,000 minus
# the 110 "maybe" questions. The others equal PROVENANCE.md's row counts.
COUNTS = {
    "fever_symmetric": 708, "commitmentbank": 250 + 56, "covidfact": 4086, "scifact_rte": 564 + 209,
    "rte": 2490 + 277, "qnli": 5732, "wnli": 635 + 71, "lingnli": 7371 - 4185, "summedits": 3048,
    "boolq": 3270, "pubmedqa": 1000 - 110, "strategyqa": 1855 + 206 + 229,
}
# Gold label counts per source (PROVENANCE.md; SciFact not_entailment = CONTRADICT).
LABEL_COUNTS = {
    "fever_symmetric": {"entailment": 354, "contradiction": 354},
    "commitmentbank": {"entailment": 138, "contradiction": 147, "neutral": 21},
    "covidfact": {"entailment": 1296, "contradiction": 2790},
    "scifact_rte": {"entailment": 370 + 138, "contradiction": 194 + 71},
    "rte": {"entailment": 1249 + 146, "not_entailment": 1241 + 131},
    "qnli": {"entailment": 2866, "not_entailment": 2866},
    "wnli": {"entailment": 312 + 31, "not_entailment": 323 + 40},
    "summedits": {"entailment": 1133, "not_entailment": 1915},
    "pubmedqa": {"yes": 552, "no": 338},
    "strategyqa": {"yes": 868 + 96 + 107, "no": 987 + 110 + 122},
}


def _needs_shared(case):
    if not os.path.isdir(os.path.join(data.shared_dir(), "data")):
        case.skipTest("../shared/data is absent (a user's clone): data checks skipped")


class LoaderCounts(unittest.TestCase):
    def setUp(self):
        _needs_shared(self)
        self.root = data.shared_dir()

    def test_EveryNewLoader_ReturnsTheDocumentedCount_AndLabelCounts(self):
        table = dict(data.NLI_OUTSIDE_SOURCES)
        table.update(data.QA_SOURCES)
        self.assertEqual(set(table), set(COUNTS))
        for name, fn in table.items():
            exs = fn(self.root)
            self.assertEqual(len(exs), COUNTS[name], name)
            self.assertEqual(len({e["id"] for e in exs}), len(exs), f"{name}: ids not unique")
            self.assertTrue(all(e["source"] == name for e in exs), name)
            self.assertTrue(all(len(e["segments"]) == 2 and all(e["segments"]) for e in exs), f"{name}: empty segment")
            if name in LABEL_COUNTS:
                got = {}
                for e in exs:
                    got[e["label"]] = got.get(e["label"], 0) + 1
                self.assertEqual(got, LABEL_COUNTS[name], name)

    def test_LingNLI_DropsExactlyThePairsWhosePremiseIsTrainedOn(self):
        mnli_train = {data._norm(e["segments"][1]) for e in data.load_mnli(self.root) if e["split"] == "train"}
        kept = data.load_lingnli(self.root)
        self.assertFalse({data._norm(e["segments"][1]) for e in kept} & mnli_train)
        self.assertEqual(len(data.load_lingnli(self.root, mnli_train_premises=set())), 7371)

    def test_OutsideSources_AreTestOnly_AndLoadedWithHeldout(self):
        exs = data.load_task("nli", root=self.root, include_heldout=True)
        outside = set(data.NLI_OUTSIDE_SOURCES) | {"anli_R1", "anli_R2", "anli_R3", "climate_fever"}
        seen = {e["source"] for e in exs}
        self.assertTrue(outside <= seen, outside - seen)
        bad = [e["id"] for e in exs if e["source"] in outside and e["split"] != "test"]
        self.assertEqual(bad, [])
        # without include_heldout nothing outside is loaded (so training never sees it)
        self.assertFalse({e["source"] for e in data.load_task("nli", root=self.root)} & outside)

    def test_EveryLoadedLabel_IsEncodable(self):
        for task in ("nli", "boolq"):
            labels = data.labels_for(task)
            for e in data.load_task(task, root=self.root, include_heldout=True):
                i = data.label_index(e["label"], labels)
                if i == data.NOT_ENTAILMENT_ID:
                    self.assertEqual(data.scoring_mode(e["source"]), data.ENT_VS_NOT, e["id"])
                if data.scoring_mode(e["source"]) == data.ENT_VS_CONTRA:
                    self.assertIn(e["label"], ("entailment", "contradiction"), e["id"])


class YesNoSplits(unittest.TestCase):
    def setUp(self):
        _needs_shared(self)
        self.root = data.shared_dir()
        self.exs = data.load_task("boolq", root=self.root)

    def _by_split(self, src, key):
        out = {"train": set(), "dev": set(), "test": set()}
        for e in self.exs:
            if e["source"] == src:
                out[e["split"]].add(key(e))
        return out

    def _assert_disjoint(self, sets, what):
        for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
            self.assertTrue(sets[a] and sets[b], what)
            self.assertFalse(sets[a] & sets[b], f"{what}: {a} / {b}")

    def test_BoolQ_ByPassageTitle(self):
        self._assert_disjoint(self._by_split("boolq", lambda e: data._norm(e["segments"][1].split(" -- ")[0])),
                              "boolq titles")

    def test_PubMedQA_ByPmid_AndTestIsTheOfficialTestKey(self):
        pmid = lambda e: e["id"].split(":", 1)[1]  # noqa: E731
        self._assert_disjoint(self._by_split("pubmedqa", pmid), "pubmedqa pmids")
        self._assert_disjoint(self._by_split("pubmedqa", lambda e: data._norm(e["segments"][0])), "pubmedqa questions")
        with open(os.path.join(self.root, "data/pubmedqa/test_ground_truth.json"), encoding="utf-8") as f:
            key = {k for k, v in json.load(f).items() if v != "maybe"}
        self.assertEqual(self._by_split("pubmedqa", pmid)["test"], key)

    def test_StrategyQA_NoQuestionOrFactCrossesSplits(self):
        split_of = {data._norm(e["segments"][0]): e["split"] for e in self.exs if e["source"] == "strategyqa"}
        facts = {"train": set(), "dev": set(), "test": set()}
        for fname in ("strategyqa_train.json", "strategyqa_valid.json", "strategyqa_test.json"):
            with open(os.path.join(self.root, "data/strategyqa", fname), encoding="utf-8") as f:
                for x in json.load(f):
                    facts[split_of[data._norm(x["question"])]].update(data._norm(s) for s in x["steps"])
        self._assert_disjoint(facts, "strategyqa facts")
        self._assert_disjoint(self._by_split("strategyqa", lambda e: data._norm(e["segments"][0])),
                              "strategyqa questions")

    def test_StrategyQAGroups_JoinQuestionsThatShareAFact(self):
        items = [{"question": "A?", "steps": ["x.", "y."]}, {"question": "B?", "steps": ["Y"]},
                 {"question": "C?", "steps": ["z."]}, {"question": "a", "steps": ["w"]}]
        self.assertEqual(data.strategyqa_groups(items), ["a", "a", "c", "a"])


def _enc(sources_labels, labels):
    return [{"source": s, "label": data.label_index(l, labels)} for s, l in sources_labels]


class ScoringModes(unittest.TestCase):
    """Hand-made logits over [entailment, neutral, contradiction] (or [no, yes])."""
    L = data.NLI_LABELS

    def test_3way_IsPlainArgmax(self):
        logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 3.0, 1.0], [1.0, 0.0, 2.0]])
        enc = _enc([("mnli", "entailment"), ("mnli", "neutral"), ("mnli", "contradiction"),
                    ("mnli", "contradiction")], self.L)
        m = ev.metrics(logits, enc, self.L, data.scoring_modes())
        self.assertAlmostEqual(m["acc"], 0.75)
        self.assertAlmostEqual(m["majority"], 0.5)  # contradiction 2 of 4
        self.assertEqual(m["per_source"]["mnli"]["mode"], "3way")
        # macro-F1 over e / n / c: e 1.0, n 2/3, c 2/3
        self.assertAlmostEqual(m["macro_f1"], (1 + 2 / 3 + 2 / 3) / 3)

    def test_EntVsContra_IgnoresNeutral(self):
        # neutral is the largest logit everywhere; the prediction is the larger of e / c
        logits = torch.tensor([[1.0, 9.0, 0.0], [0.0, 9.0, 1.0], [1.0, 9.0, 0.5]])
        enc = _enc([("covidfact", "entailment"), ("covidfact", "contradiction"), ("covidfact", "contradiction")], self.L)
        m = ev.metrics(logits, enc, self.L, data.scoring_modes())
        self.assertAlmostEqual(m["acc"], 2 / 3)
        self.assertAlmostEqual(m["majority"], 2 / 3)
        self.assertEqual(m["per_source"]["covidfact"]["mode"], "ent_vs_contra")
        # the old call with a set of two-way sources gives the same
        self.assertAlmostEqual(ev.metrics(logits, enc, self.L, data.two_way_sources())["acc"], 2 / 3)
        self.assertAlmostEqual(ev.metrics(logits, enc, self.L, {"covidfact"})["acc"], 2 / 3)

    def test_EntVsNot_EntailmentOnlyWhenItOutweighsNeutralPlusContradiction(self):
        # p(e) vs p(n) + p(c) after softmax:
        #   [2, 1.5, 1.5]: p(e) = 0.45 < 0.55 -> not_entailment, although e is the argmax
        #   [2, 0, 1]:     p(e) = 0.67 -> entailment
        #   [0, 0, 0]:     p(e) = 1/3 -> not_entailment
        #   [0, 5, -5]:    p(e) ~ 0 -> not_entailment
        #   [1, 1, -inf]:  p(e) = 0.5 exactly -> tie counts as not_entailment
        logits = torch.tensor([[2.0, 1.5, 1.5], [2.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 5.0, -5.0], [1.0, 1.0, float("-inf")]])
        gold = ["entailment", "entailment", "not_entailment", "not_entailment", "entailment"]
        enc = _enc([("rte", g) for g in gold], self.L)
        pred = ev.predictions(logits, enc, self.L, data.scoring_modes()).tolist()
        ne = data.NOT_ENTAILMENT_ID
        self.assertEqual(pred, [ne, 0, ne, ne, ne])
        m = ev.metrics(logits, enc, self.L, data.scoring_modes())
        self.assertAlmostEqual(m["acc"], 3 / 5)
        self.assertAlmostEqual(m["majority"], 3 / 5)  # entailment 3 of 5
        self.assertEqual(m["per_source"]["rte"]["mode"], "ent_vs_not")
        # F1: entailment tp 1 fp 0 fn 2 -> 0.5; not_entailment tp 2 fp 2 fn 0 -> 2/3
        self.assertAlmostEqual(m["macro_f1"], (0.5 + 2 / 3) / 2)

    def test_YesNo_IsArgmax_AndMixedSourcesAreScoredEachByItsMode(self):
        q = data.QA_LABELS
        logits = torch.tensor([[0.0, 1.0], [2.0, 1.0], [0.0, 1.0]])
        enc = _enc([("pubmedqa", "yes"), ("pubmedqa", "yes"), ("strategyqa", "no")], q)
        m = ev.metrics(logits, enc, q, data.scoring_modes())
        self.assertAlmostEqual(m["per_source"]["pubmedqa"]["acc"], 0.5)
        self.assertAlmostEqual(m["per_source"]["pubmedqa"]["majority"], 1.0)
        self.assertAlmostEqual(m["per_source"]["strategyqa"]["acc"], 0.0)
        self.assertEqual(m["per_source"]["strategyqa"]["n"], 1)
        self.assertEqual(m["per_source"]["pubmedqa"]["mode"], "yesno")
        # NLI: one batch mixing all three modes (the same row of logits, three answers)
        row = [2.0, 1.5, 1.5]
        logits = torch.tensor([row, row, [0.0, 9.0, 1.0]])
        enc = _enc([("mnli", "entailment"), ("rte", "not_entailment"), ("fever", "contradiction")], self.L)
        m = ev.metrics(logits, enc, self.L)  # modes=None -> data.SCORING
        self.assertAlmostEqual(m["acc"], 1.0)
        self.assertEqual(set(m["per_source"]), {"mnli", "rte", "fever"})

    def test_EveryTableSource_HasAMode(self):
        import evaluate  # noqa: F401  (training/evaluate.py)
        for task in ("nli", "boolq"):
            for s in evaluate.IN_DOMAIN[task] + evaluate.HELD_OUT[task]:
                self.assertIn(s, data.SCORING, s)
        self.assertEqual(data.two_way_sources(), {"fever", "fever_symmetric", "covidfact", "scifact_rte"})


if __name__ == "__main__":
    unittest.main()
