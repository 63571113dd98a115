"""Runs the examples in clients/python/examples against the server and checks what they print."""

import os
import re
import subprocess
import sys
import tempfile
import unittest
import uuid

from support import client, model_with_task

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
INGEST_LINE = re.compile(r"^([0-9a-f]{64})  (new|already_stored) +(\S.*)$")
EVIDENCE_LINE = re.compile(r"^(\d+)  (\S+)  (\d\.\d{3})  ([0-9a-f]{64})  (\S.*)$")


def run_example(name, *args):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], capture_output=True, text=True,
                            timeout=120, env=os.environ.copy())
    if result.returncode != 0:
        raise AssertionError(f"{name} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout.splitlines()


class ExamplesTest(unittest.TestCase):
    def setUp(self):
        self.client = client()
        self.folder = tempfile.TemporaryDirectory()
        # Unique sentences so the first run stores them all as new.
        tag = uuid.uuid4().int % 10_000
        self.sentences = [f"Water is wet {tag}.", f"Fire is hot {tag}!", f"The sky is blue {tag}."]
        self.file = os.path.join(self.folder.name, "facts.txt")
        with open(self.file, "w", encoding="utf-8") as f:
            f.write(f"{self.sentences[0]} {self.sentences[1]}\n{self.sentences[2]}\n")

    def tearDown(self):
        self.client.close()
        self.folder.cleanup()

    def ingest(self):
        lines = run_example("ingest_file.py", self.file)
        rows = [INGEST_LINE.match(line) for line in lines[:-1]]
        self.assertTrue(all(rows), lines)
        self.assertEqual(self.sentences, [r.group(3) for r in rows])
        return rows, lines[-1]

    def test_ingest_file_prints_an_id_per_sentence_and_reingesting_finds_them_stored(self):
        first, summary = self.ingest()
        self.assertEqual(["new"] * 3, [r.group(2) for r in first])
        self.assertEqual("ingested 3 sentences (3 new, 0 already stored, 0 failed)", summary)
        again, summary = self.ingest()
        self.assertEqual([r.group(1) for r in first], [r.group(1) for r in again])
        self.assertEqual(["already_stored"] * 3, [r.group(2) for r in again])
        self.assertEqual("ingested 3 sentences (0 new, 3 already stored, 0 failed)", summary)
        # The printed ids are the server's ids for those sentences.
        found = self.client.get_segments([r.group(1) for r in first])
        self.assertEqual((), found.missing_ids)

    def test_check_claim_prints_a_model_label_and_ranks_every_evidence(self):
        labels = self.client.describe_model().labels
        ids = [r.group(1) for r in self.ingest()[0]]
        lines = run_example("check_claim.py", self.sentences[0], self.file)
        verdict = re.match(r"^verdict: (\S+) \((\d\.\d{3})\)$", lines[0])
        self.assertIsNotNone(verdict, lines)
        self.assertIn(verdict.group(1), labels)
        rows = [EVIDENCE_LINE.match(line) for line in lines[1:]]
        self.assertTrue(all(rows), lines)
        self.assertEqual(["1", "2", "3"], [r.group(1) for r in rows])
        self.assertTrue(all(r.group(2) in labels for r in rows))
        self.assertEqual(sorted(ids), sorted(r.group(4) for r in rows))
        by_id = dict(zip(ids, self.sentences))
        self.assertTrue(all(by_id[r.group(4)] == r.group(5) for r in rows))
        # The same check through the client gives the same verdict.
        self.assertEqual(verdict.group(1), self.client.verify_claim(self.sentences[0], ids).verdict)

    def test_yes_no_prints_an_answer_consistent_with_its_probability(self):
        model = model_with_task(self, self.client, "yes_no", labels=("yes", "true"))
        lines = run_example("yes_no.py", "Is water wet?", "Water is wet. Fire is hot.", "--model", model.name)
        answer = re.match(r"^answer: (yes|no)$", lines[0])
        probability = re.match(r"^yes_probability: (\d\.\d{4})$", lines[1])
        self.assertIsNotNone(answer, lines)
        self.assertIsNotNone(probability, lines)
        expected = self.client.answer_yes_no("Is water wet?", "Water is wet. Fire is hot.", model=model.name)
        self.assertEqual("yes" if expected.answer else "no", answer.group(1))
        self.assertAlmostEqual(expected.yes_probability, float(probability.group(1)), places=3)


if __name__ == "__main__":
    unittest.main()
