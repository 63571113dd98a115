"""Plain result types: frozen dataclasses built from the protobuf responses.

Enum values are exposed as short lowercase strings ("first", "verify_claim", "max_confidence")
so that callers never need the generated modules.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

import grpc


@dataclass(frozen=True)
class ItemError:
    """A per-item error that did not end the stream (e.g. an empty or too long segment)."""

    code: grpc.StatusCode
    message: str


@dataclass(frozen=True)
class SegmentAck:
    """The acknowledgement of one streamed segment, in request order."""

    sequence: int
    segment_id: str
    token_count: int
    already_stored: bool
    truncated: bool
    client_tag: str
    error: Optional[ItemError] = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Sentence:
    """One sentence of an encoded document; char offsets are UTF-16 code units into the document."""

    segment_id: str
    text: str
    char_start: int
    char_end: int
    token_count: int
    already_stored: bool
    truncated: bool


@dataclass(frozen=True)
class LabelScore:
    label: str
    probability: float
    logit: float


@dataclass(frozen=True)
class Classification:
    label: str
    scores: Tuple[LabelScore, ...]
    segment_ids: Tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceResult:
    """One evidence's result; `index` is its 1-based position in the request (0 is the claim)."""

    index: int
    segment_id: str
    label: str
    scores: Tuple[LabelScore, ...]
    rank: int


@dataclass(frozen=True)
class ClaimVerification:
    verdict: str
    verdict_scores: Tuple[LabelScore, ...]
    # Ranked best first (rank 1 decides the claim most confidently).
    evidence: Tuple[EvidenceResult, ...]
    aggregation: str
    segment_ids: Tuple[str, ...] = ()


@dataclass(frozen=True)
class YesNoAnswer:
    answer: bool
    yes_probability: float
    scores: Tuple[LabelScore, ...]


@dataclass(frozen=True)
class AnswerSpan:
    """A span of passage `segment_index` (index into the request's segments, 0 is the question)."""

    text: str
    segment_index: int
    char_start: int
    char_end: int
    score: float


@dataclass(frozen=True)
class SegmentName:
    namespace: str
    name: str


@dataclass(frozen=True)
class SegmentInfo:
    segment_id: str
    model: str
    role: str
    token_count: int
    codec: str
    stored_bytes: int
    token_ids: Tuple[int, ...] = ()
    name: Optional[SegmentName] = None


@dataclass(frozen=True)
class GetSegmentsResult:
    found: Tuple[SegmentInfo, ...]
    missing_ids: Tuple[str, ...]
    missing_names: Tuple[SegmentName, ...]


@dataclass(frozen=True)
class DeleteSegmentsResult:
    deleted: int
    not_found_ids: Tuple[str, ...]
    not_found_names: Tuple[SegmentName, ...]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    architecture: str
    num_layers: int
    tower_layers: int
    hidden_size: int
    num_heads: int
    vocab_size: int
    max_positions: int
    position_mode: str
    labels: Tuple[str, ...]
    tasks: Tuple[str, ...]
    fingerprint: str
    tokenizer_fingerprint: str
    state_codec: str
    max_segment_tokens: int
    stored_segments: int


@dataclass(frozen=True)
class ModelList:
    models: Tuple[ModelInfo, ...]
    default_model: str
