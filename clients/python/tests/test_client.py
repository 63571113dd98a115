"""The Python client against a real server (LAIT_ADDRESS)."""

import threading
import time
import unittest
import uuid

import grpc

from support import SEGMENT_ID, auth_server, client, model_with_task
from lait_client import LaitClient, LaitError, Segment, SegmentName

EVIDENCE = ["Water is wet.", "Fire is hot.", "The sky is blue.", "Paris is the capital of France."]


class ModelsTest(unittest.TestCase):
    def setUp(self):
        self.client = client()

    def tearDown(self):
        self.client.close()

    def test_list_models_names_the_default_and_describe_model_agrees(self):
        models = self.client.list_models()
        names = [m.name for m in models.models]
        self.assertIn(models.default_model, names)
        default = self.client.describe_model()
        self.assertEqual(models.default_model, default.name)
        self.assertEqual(default, next(m for m in models.models if m.name == default.name))
        self.assertGreater(default.num_layers, 0)
        self.assertLessEqual(default.tower_layers, default.num_layers)
        self.assertTrue(default.labels, "the default model has a classification head")
        self.assertIn("verify_claim", default.tasks)

    def test_unknown_model_is_not_found(self):
        with self.assertRaises(LaitError) as caught:
            self.client.describe_model("no-such-model")
        self.assertEqual(grpc.StatusCode.NOT_FOUND, caught.exception.code)
        self.assertIn("no-such-model", caught.exception.details)


class EncodeSegmentsTest(unittest.TestCase):
    def setUp(self):
        self.client = client()

    def tearDown(self):
        self.client.close()

    def test_acks_come_in_order_with_ids_and_tags(self):
        items = [{"text": text, "tag": f"t{i}"} for i, text in enumerate(EVIDENCE)]
        acks = list(self.client.encode_segments(items))
        self.assertEqual(list(range(len(items))), [a.sequence for a in acks])
        self.assertEqual([f"t{i}" for i in range(len(items))], [a.client_tag for a in acks])
        for ack in acks:
            self.assertTrue(ack.ok, ack.error)
            self.assertRegex(ack.segment_id, SEGMENT_ID)
            self.assertGreater(ack.token_count, 2)
        self.assertEqual(len(set(a.segment_id for a in acks)), len(acks))

    def test_reingesting_gives_the_same_ids_already_stored(self):
        text = f"The cat is old {uuid.uuid4().int % 1000}."
        first = list(self.client.encode_segments([text]))[0]
        again = list(self.client.encode_segments([text]))[0]
        self.assertEqual(first.segment_id, again.segment_id)
        self.assertTrue(again.already_stored)

    def test_role_is_part_of_the_id(self):
        first, other = (list(self.client.encode_segments(["The dog is big."], role=r))[0] for r in ("first", "other"))
        self.assertNotEqual(first.segment_id, other.segment_id)

    def test_bad_segment_gets_an_error_ack_and_the_stream_goes_on(self):
        acks = list(self.client.encode_segments(["Ice is cold.", "   ", "The moon is small."]))
        self.assertEqual(3, len(acks))
        self.assertTrue(acks[0].ok)
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, acks[1].error.code)
        self.assertEqual("", acks[1].segment_id)
        self.assertTrue(acks[2].ok)

    def test_a_generator_is_consumed_no_faster_than_acks_allow(self):
        window = 4
        lock = threading.Lock()
        pulled = [0]

        def sentences():
            for i in range(200):
                with lock:
                    pulled[0] += 1
                yield f"The river is old {i}."

        most_ahead = 0
        for received, ack in enumerate(self.client.encode_segments(sentences(), max_in_flight=window), start=1):
            self.assertTrue(ack.ok, ack.error)
            with lock:
                # The client has taken `received` acks (this one's slot is already free).
                most_ahead = max(most_ahead, pulled[0] - received)
        self.assertEqual(200, received)
        self.assertLessEqual(most_ahead, window)

    def test_an_exception_in_the_input_reaches_the_caller_after_earlier_acks(self):
        def broken():
            yield "The sun is hot."
            raise RuntimeError("input broke")

        acks = []
        with self.assertRaisesRegex(RuntimeError, "input broke"):
            for ack in self.client.encode_segments(broken()):
                acks.append(ack)
        self.assertEqual(1, len(acks))

    def test_closing_the_generator_early_cancels_the_stream(self):
        def endless():
            i = 0
            while True:
                i += 1
                yield f"The star is new {i}."

        stream = self.client.encode_segments(endless(), max_in_flight=2)
        first = next(stream)
        stream.close()
        self.assertTrue(first.ok)
        self.assertTrue(self.client.list_models().models)  # the channel still works

    def test_a_stream_past_its_deadline_is_deadline_exceeded(self):
        def slow():
            for i in range(100):
                time.sleep(0.1)
                yield f"The moon is old {i}."

        with self.assertRaises(LaitError) as caught:
            list(self.client.encode_segments(slow(), timeout=0.5))
        self.assertEqual(grpc.StatusCode.DEADLINE_EXCEEDED, caught.exception.code)

    def test_named_segments_can_be_looked_up_listed_and_deleted(self):
        ns = f"py-{uuid.uuid4().hex[:8]}"
        acks = list(self.client.encode_segments(
            [{"text": "Grass is green.", "name": "b"}, {"text": "Rain falls from clouds.", "name": "a"}], namespace=ns))
        found = self.client.get_segments(names=[(ns, "a"), SegmentName(ns, "b"), (ns, "zzz")])
        self.assertEqual([acks[1].segment_id, acks[0].segment_id], [s.segment_id for s in found.found])
        self.assertEqual((SegmentName(ns, "zzz"),), found.missing_names)
        listed = list(self.client.list_segments(ns, page_size=1))
        self.assertEqual(["a", "b"], [s.name.name for s in listed])
        deleted = self.client.delete_segments(names=[(ns, "a")])
        self.assertEqual(1, deleted.deleted)
        self.assertEqual([(ns, "b")], [(s.name.namespace, s.name.name) for s in self.client.list_segments(ns)])

    def test_get_and_delete_by_id(self):
        ack = list(self.client.encode_segments(["The bird can fly."]))[0]
        absent = "0" * 64
        got = self.client.get_segments([ack.segment_id, absent], include_tokens=True)
        self.assertEqual([ack.segment_id], [s.segment_id for s in got.found])
        self.assertEqual((absent,), got.missing_ids)
        self.assertEqual(ack.token_count, got.found[0].token_count)
        self.assertEqual(ack.token_count, len(got.found[0].token_ids))
        self.assertEqual("other", got.found[0].role)
        deleted = self.client.delete_segments([ack.segment_id, absent])
        self.assertEqual(1, deleted.deleted)
        self.assertEqual((absent,), deleted.not_found_ids)
        self.assertEqual((ack.segment_id,), self.client.get_segments(ack.segment_id).missing_ids)

    def test_unknown_model_ends_the_stream_with_not_found(self):
        with self.assertRaises(LaitError) as caught:
            list(self.client.encode_segments(["Water is wet."], model="no-such-model"))
        self.assertEqual(grpc.StatusCode.NOT_FOUND, caught.exception.code)
        self.assertIn("no-such-model", caught.exception.details)

    def test_too_long_segment_is_an_item_error_unless_truncated(self):
        limit = self.client.describe_model().max_segment_tokens
        text = " ".join(["water"] * (limit + 10))
        rejected, cut = list(self.client.encode_segments([text, {"text": text, "truncate": True}]))
        self.assertIsNotNone(rejected.error)
        self.assertTrue(cut.ok, cut.error)
        self.assertTrue(cut.truncated)
        self.assertEqual(limit, cut.token_count)

    def test_malformed_id_is_invalid_argument(self):
        with self.assertRaises(LaitError) as caught:
            self.client.get_segments(["not-an-id"])
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, caught.exception.code)


class EncodeDocumentTest(unittest.TestCase):
    def setUp(self):
        self.client = client()

    def tearDown(self):
        self.client.close()

    def test_sentences_come_back_in_order_with_offsets_into_the_document(self):
        document = "Water is wet. Fire is hot!\nThe sky is blue."
        sentences = self.client.encode_document(document)
        self.assertEqual(3, len(sentences))
        for s in sentences:
            self.assertRegex(s.segment_id, SEGMENT_ID)
            self.assertEqual(document[s.char_start:s.char_end], s.text)
        again = self.client.encode_document(document)
        self.assertEqual([s.segment_id for s in sentences], [s.segment_id for s in again])
        self.assertTrue(all(s.already_stored for s in again))
        # A sentence gets the same id by stream as by document.
        ack = list(self.client.encode_segments([sentences[0].text]))[0]
        self.assertEqual(sentences[0].segment_id, ack.segment_id)

    def test_empty_document_is_invalid_argument(self):
        with self.assertRaises(LaitError) as caught:
            self.client.encode_document("")
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, caught.exception.code)


class CombineTest(unittest.TestCase):
    def setUp(self):
        self.client = client()
        self.labels = self.client.describe_model().labels

    def tearDown(self):
        self.client.close()

    def assert_scores(self, scores):
        self.assertEqual(list(self.labels), [s.label for s in scores])
        self.assertAlmostEqual(1.0, sum(s.probability for s in scores), places=4)

    def test_verify_claim_against_stored_ids_ranks_every_evidence(self):
        ids = [a.segment_id for a in self.client.encode_segments(EVIDENCE)]
        claim = list(self.client.encode_segments(["Water is wet."], role="first"))[0].segment_id
        result = self.client.verify_claim(claim, ids)
        self.assertIn(result.verdict, self.labels)
        self.assert_scores(result.verdict_scores)
        self.assertEqual("max_confidence", result.aggregation)
        self.assertEqual([1, 2, 3, 4], [e.rank for e in result.evidence])
        self.assertEqual([1, 2, 3, 4], sorted(e.index for e in result.evidence))
        for e in result.evidence:
            self.assertEqual(ids[e.index - 1], e.segment_id)
            self.assertIn(e.label, self.labels)
            self.assert_scores(e.scores)
        self.assertEqual((claim, *ids), result.segment_ids)

    def test_verify_claim_with_inline_texts_matches_stored_ids(self):
        ids = [a.segment_id for a in self.client.encode_segments(EVIDENCE[:2])]
        by_id = self.client.verify_claim("Water is wet.", ids, aggregation="mean")
        by_text = self.client.verify_claim("Water is wet.", EVIDENCE[:2], aggregation="mean")
        self.assertEqual("mean", by_text.aggregation)
        self.assertEqual(by_id.verdict, by_text.verdict)
        for a, b in zip(by_id.verdict_scores, by_text.verdict_scores):
            self.assertAlmostEqual(a.probability, b.probability, places=4)

    def test_majority_and_top_k(self):
        result = self.client.verify_claim(Segment.text("The sky is blue."), EVIDENCE, aggregation="majority", top_k=2)
        self.assertEqual("majority", result.aggregation)
        self.assertEqual([1, 2], [e.rank for e in result.evidence])

    def test_unknown_evidence_id_is_not_found_and_named(self):
        absent = "ab" * 32
        with self.assertRaises(LaitError) as caught:
            self.client.verify_claim("Water is wet.", [absent])
        self.assertEqual(grpc.StatusCode.NOT_FOUND, caught.exception.code)
        self.assertIn(absent, caught.exception.details)

    def test_classify_returns_a_model_label(self):
        result = self.client.classify(["Water is wet.", "Water is not wet."])
        self.assertIn(result.label, self.labels)
        self.assert_scores(result.scores)
        self.assertEqual(max(result.scores, key=lambda s: s.probability).label, result.label)

    def test_answer_yes_no(self):
        model = model_with_task(self, self.client, "yes_no", labels=("yes", "true"))
        passage = list(self.client.encode_segments(["Water is wet."], model=model.name))[0].segment_id
        answer = self.client.answer_yes_no("Is water wet?", passage, model=model.name)
        self.assertEqual(answer.yes_probability > 0.5, answer.answer)
        self.assertEqual(list(model.labels), [s.label for s in answer.scores])
        inline = self.client.answer_yes_no("Is water wet?", "Water is wet.", model=model.name)
        self.assertAlmostEqual(answer.yes_probability, inline.yes_probability, places=4)

    def test_extract_answer_returns_spans_of_the_passage(self):
        model = model_with_task(self, self.client, "extractive_qa")
        passage = "Paris is the capital of France. The river is old."
        spans = self.client.extract_answer("What is the capital of France?", passage, n_best=3, max_answer_tokens=4,
                                           model=model.name)
        self.assertEqual(3, len(spans))
        for span in spans:
            self.assertEqual(1, span.segment_index)
            self.assertEqual(passage[span.char_start:span.char_end], span.text)
        self.assertGreaterEqual(spans[0].score, spans[1].score)


class AuthTest(unittest.TestCase):
    def test_the_api_key_is_sent_as_a_bearer_token(self):
        address, key = auth_server(self)
        with LaitClient(address, api_key=key, timeout=60) as c:
            self.assertTrue(c.list_models().models)
            self.assertTrue(list(c.encode_segments(["Water is wet."]))[0].ok)

    def test_a_missing_or_wrong_key_is_unauthenticated_for_calls_and_streams(self):
        address, key = auth_server(self)
        for api_key in (None, key + "-wrong"):
            with LaitClient(address, api_key=api_key, timeout=60) as c:
                with self.assertRaises(LaitError) as caught:
                    c.list_models()
                self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, caught.exception.code)
                with self.assertRaises(LaitError) as caught:
                    list(c.encode_segments(["Water is wet."]))
                self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, caught.exception.code)


if __name__ == "__main__":
    unittest.main()
