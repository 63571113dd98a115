"""Python client for the LaitGrpc lait.v1 API.

    from lait_client import LaitClient
    with LaitClient("127.0.0.1:50051") as client:
        ids = [ack.segment_id for ack in client.encode_segments(["Water is wet.", "Fire is hot."])]
        result = client.verify_claim("Water is wet.", ids)
        print(result.verdict)

The generated stubs (lait_client._proto) come from generate_stubs.py.
"""

from .errors import LaitError
from .types import (
    AnswerSpan,
    ClaimVerification,
    Classification,
    DeleteSegmentsResult,
    EvidenceResult,
    GetSegmentsResult,
    ItemError,
    LabelScore,
    ModelInfo,
    ModelList,
    SegmentAck,
    SegmentInfo,
    SegmentName,
    Sentence,
    YesNoAnswer,
)
from .client import LaitClient, Segment, is_segment_id

__all__ = [
    "AnswerSpan", "ClaimVerification", "Classification", "DeleteSegmentsResult", "EvidenceResult",
    "GetSegmentsResult", "ItemError", "LabelScore", "LaitClient", "LaitError", "ModelInfo", "ModelList",
    "Segment", "SegmentAck", "SegmentInfo", "SegmentName", "Sentence", "YesNoAnswer", "is_segment_id",
]
