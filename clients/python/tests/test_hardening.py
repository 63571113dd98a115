"""Bad input through plain grpcio stubs (issue 17): what an outside caller gets back.

These use the generated stubs directly, not LaitClient, so they send exactly what an attacker would:
unknown enum numbers, made-up page tokens, huge model names.
"""

import unittest
import uuid

import grpc

from support import address
from lait_client._proto.lait.v1 import lait_pb2 as pb
from lait_client._proto.lait.v1 import lait_pb2_grpc as pb_grpc


class HardeningTest(unittest.TestCase):
    def setUp(self):
        self.channel = grpc.insecure_channel(address())
        self.stub = pb_grpc.LaitStub(self.channel)

    def tearDown(self):
        self.channel.close()

    def assert_status(self, code, call, *fragments):
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        error = caught.exception
        self.assertEqual(code, error.code(), error.details())
        for fragment in fragments:
            self.assertIn(fragment, error.details())
        return error.details()

    def encode(self, *requests):
        return list(self.stub.EncodeSegment(iter(requests), timeout=30))

    def test_unknown_enum_values_are_invalid_argument_naming_the_field(self):
        pair = [pb.SegmentRef(inline=pb.SegmentInput(text="the sky is blue .")),
                pb.SegmentRef(inline=pb.SegmentInput(text="the sky is green ."))]
        for field, request in [
            ("task", pb.CombineRequest(segments=pair, task=99)),
            ("aggregation", pb.CombineRequest(segments=pair, task=pb.TASK_TYPE_VERIFY_CLAIM, aggregation=99)),
            ("truncation", pb.CombineRequest(segments=pair, task=pb.TASK_TYPE_CLASSIFY, truncation=99)),
        ]:
            details = self.assert_status(grpc.StatusCode.INVALID_ARGUMENT, lambda: self.stub.Combine(request, timeout=30))
            self.assertTrue(details.startswith(f"{field} is 99"), details)
        acks = self.encode(
            pb.EncodeSegmentRequest(segment=pb.SegmentInput(text="the sun is hot .", role=3)),
            pb.EncodeSegmentRequest(segment=pb.SegmentInput(text="the sun is hot .", role=-1)),
            pb.EncodeSegmentRequest(segment=pb.SegmentInput(text="the sun is hot ."), durability=99),
            pb.EncodeSegmentRequest(segment=pb.SegmentInput(text="the sun is hot .")))
        self.assertEqual([3, 3, 3], [a.error.code for a in acks[:3]])
        self.assertTrue(acks[0].error.message.startswith("segment.role is 3"), acks[0].error.message)
        self.assertTrue(acks[1].error.message.startswith("segment.role is -1"), acks[1].error.message)
        self.assertTrue(acks[2].error.message.startswith("durability is 99"), acks[2].error.message)
        self.assertFalse(acks[3].HasField("error"))

    def test_a_huge_model_name_is_not_found_with_a_short_message(self):
        # grpcio refuses status messages over its metadata limit; the server must not echo 20,000 characters.
        details = self.assert_status(grpc.StatusCode.NOT_FOUND,
                                     lambda: self.stub.DescribeModel(pb.DescribeModelRequest(model="M" * 20000), timeout=30),
                                     "(20000 characters)")
        self.assertLess(len(details), 300)

    def test_forged_page_tokens_are_invalid_argument(self):
        ns = f"tok-{uuid.uuid4().hex[:8]}"
        self.encode(*[pb.EncodeSegmentRequest(segment=pb.SegmentInput(text=t), name=pb.SegmentName(namespace=ns, name=t))
                      for t in ["the cat is old .", "the dog is old ."]])
        first = self.stub.ListSegments(pb.ListSegmentsRequest(namespace=ns, page_size=1), timeout=30)
        self.assertTrue(first.next_page_token)
        for token in ["AAAA", "_-_-", "a" * 10000]:
            self.assert_status(grpc.StatusCode.INVALID_ARGUMENT,
                               lambda: self.stub.ListSegments(pb.ListSegmentsRequest(namespace=ns, page_token=token), timeout=30),
                               "page_token was not issued by this server")
        # A real token for another namespace is refused too.
        self.assert_status(grpc.StatusCode.INVALID_ARGUMENT,
                           lambda: self.stub.ListSegments(pb.ListSegmentsRequest(namespace=ns + "x", page_token=first.next_page_token), timeout=30))

    def test_a_name_whose_segment_was_deleted_through_another_name_is_absent_everywhere(self):
        ns = f"dangle-{uuid.uuid4().hex[:8]}"
        text = "the bird can fly ."
        acks = self.encode(pb.EncodeSegmentRequest(segment=pb.SegmentInput(text=text), name=pb.SegmentName(namespace=ns, name="A")),
                           pb.EncodeSegmentRequest(segment=pb.SegmentInput(text=text), name=pb.SegmentName(namespace=ns, name="B")))
        self.assertEqual(acks[0].segment_id, acks[1].segment_id)
        deleted = self.stub.DeleteSegments(pb.DeleteSegmentsRequest(names=[pb.SegmentName(namespace=ns, name="A")]), timeout=30)
        self.assertEqual(1, deleted.deleted)
        b = pb.SegmentName(namespace=ns, name="B")
        combine = pb.CombineRequest(task=pb.TASK_TYPE_VERIFY_CLAIM, segments=[
            pb.SegmentRef(inline=pb.SegmentInput(text="the bird is an animal .")), pb.SegmentRef(name=b)])
        details = self.assert_status(grpc.StatusCode.NOT_FOUND, lambda: self.stub.Combine(combine, timeout=30), f"'{ns}/B'")
        self.assertNotIn(acks[0].segment_id, details)
        got = self.stub.GetSegments(pb.GetSegmentsRequest(names=[b]), timeout=30)
        self.assertEqual(["B"], [n.name for n in got.missing_names])
        self.assertEqual([], list(self.stub.ListSegments(pb.ListSegmentsRequest(namespace=ns), timeout=30).segments))
        again = self.stub.DeleteSegments(pb.DeleteSegmentsRequest(names=[b]), timeout=30)
        self.assertEqual(0, again.deleted)
        self.assertEqual(["B"], [n.name for n in again.not_found_names])


if __name__ == "__main__":
    unittest.main()
