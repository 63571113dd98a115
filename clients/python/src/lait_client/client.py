"""LaitClient: an idiomatic wrapper over the generated lait.v1 stubs."""

import re
import threading
from typing import Iterable, Iterator, List, Optional, Sequence, Union

import grpc

from .errors import LaitError, status_code_from_number
from . import types as t

try:
    from ._proto.lait.v1 import lait_pb2 as pb
    from ._proto.lait.v1 import lait_pb2_grpc as pb_grpc
except ImportError as e:  # pragma: no cover - only without generated stubs
    raise ImportError(
        "lait_client's stubs are missing: run `python3 clients/python/generate_stubs.py` "
        "(needs protobuf-compiler and protobuf-compiler-grpc; see scripts/install-test-deps.sh)"
    ) from e

_SEGMENT_ID = re.compile(r"^[0-9a-f]{32,}$")

_ROLES = {None: pb.ROLE_UNSPECIFIED, "first": pb.ROLE_FIRST, "other": pb.ROLE_OTHER}
_AGGREGATIONS = {
    None: pb.AGGREGATION_UNSPECIFIED,
    "max_confidence": pb.AGGREGATION_MAX_CONFIDENCE,
    "mean": pb.AGGREGATION_MEAN,
    "majority": pb.AGGREGATION_MAJORITY,
}


def is_segment_id(value: str) -> bool:
    """True for a string shaped like a segment id (lowercase hex, 128 bits or more)."""
    return isinstance(value, str) and _SEGMENT_ID.match(value) is not None


class Segment:
    """An explicit reference for Combine calls, when a bare string would be ambiguous.

    Bare strings passed to verify_claim/classify/... are taken as segment ids when they look like
    one (see is_segment_id) and as inline text otherwise.
    """

    __slots__ = ("_ref",)

    def __init__(self, ref):
        self._ref = ref

    @classmethod
    def id(cls, segment_id: str) -> "Segment":
        return cls(pb.SegmentRef(segment_id=segment_id))

    @classmethod
    def text(cls, text: str, truncate: bool = False) -> "Segment":
        return cls(pb.SegmentRef(inline=_segment_input(text=text, truncate=truncate)))

    @classmethod
    def named(cls, namespace: str, name: str) -> "Segment":
        return cls(pb.SegmentRef(name=pb.SegmentName(namespace=namespace, name=name)))

    @property
    def ref(self):
        return self._ref


def _segment_input(text=None, token_ids=None, role=None, truncate=False):
    if role not in _ROLES:
        raise ValueError(f"role must be 'first', 'other' or None, got {role!r}")
    segment = pb.SegmentInput(
        role=_ROLES[role],
        truncation=pb.TRUNCATION_TRUNCATE if truncate else pb.TRUNCATION_UNSPECIFIED,
    )
    if token_ids is not None:
        segment.token_ids.ids.extend(token_ids)
    elif isinstance(text, str):
        segment.text = text
    else:
        raise TypeError(f"a segment needs 'text' (str) or 'token_ids', got {text!r}")
    return segment


def _ref(value) -> "pb.SegmentRef":
    if isinstance(value, Segment):
        return value.ref
    if isinstance(value, t.SegmentName):
        return Segment.named(value.namespace, value.name).ref
    if isinstance(value, str):
        return Segment.id(value).ref if is_segment_id(value) else Segment.text(value).ref
    raise TypeError(f"expected a segment id, a text, a SegmentName or a Segment, got {value!r}")


def _durability(durable: Optional[bool]):
    if durable is None:
        return pb.DURABILITY_UNSPECIFIED
    return pb.DURABILITY_DURABLE if durable else pb.DURABILITY_CHECKPOINT


def _names(names) -> List["pb.SegmentName"]:
    result = []
    for n in names or ():
        if isinstance(n, t.SegmentName):
            result.append(pb.SegmentName(namespace=n.namespace, name=n.name))
        else:
            namespace, name = n
            result.append(pb.SegmentName(namespace=namespace, name=name))
    return result


def _enum_name(enum_type, value, prefix) -> str:
    return enum_type.Name(value)[len(prefix):].lower()


def _scores(scores) -> tuple:
    return tuple(t.LabelScore(s.label, s.probability, s.logit) for s in scores)


def _name(message) -> Optional[t.SegmentName]:
    return t.SegmentName(message.namespace, message.name) if message.namespace or message.name else None


def _segment_info(s) -> t.SegmentInfo:
    return t.SegmentInfo(
        segment_id=s.segment_id, model=s.model, role=_enum_name(pb.Role, s.role, "ROLE_"),
        token_count=s.token_count, codec=s.codec, stored_bytes=s.stored_bytes,
        token_ids=tuple(s.token_ids), name=_name(s.name) if s.HasField("name") else None)


def _model_info(m) -> t.ModelInfo:
    return t.ModelInfo(
        name=m.name, architecture=m.architecture, num_layers=m.num_layers, tower_layers=m.tower_layers,
        hidden_size=m.hidden_size, num_heads=m.num_heads, vocab_size=m.vocab_size,
        max_positions=m.max_positions, position_mode=m.position_mode, labels=tuple(m.labels),
        tasks=tuple(_enum_name(pb.TaskType, x, "TASK_TYPE_") for x in m.tasks),
        fingerprint=m.fingerprint, tokenizer_fingerprint=m.tokenizer_fingerprint,
        state_codec=m.state_codec, max_segment_tokens=m.max_segment_tokens,
        stored_segments=m.stored_segments)


class LaitClient:
    """A client for one LaitGrpc server (or load balancer).

    target: "host:port". api_key: sent as "authorization: Bearer <key>" on every call.
    timeout: deadline in seconds for unary calls (streams take their own `timeout`, default none).
    credentials: grpc.ChannelCredentials for TLS; plaintext when omitted.
    model: the model used when a call does not name one ("" = the server's default).
    """

    def __init__(self, target: str, api_key: Optional[str] = None, timeout: Optional[float] = 30.0,
                 credentials: Optional[grpc.ChannelCredentials] = None, model: str = "", options=None):
        self.target = target
        self.timeout = timeout
        self.model = model
        self._metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
        if credentials is not None:
            self._channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._stub = pb_grpc.LaitStub(self._channel)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "LaitClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def wait_for_ready(self, timeout: float = 30.0) -> None:
        """Blocks until the channel is connected (not a health check); LaitError on timeout."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise LaitError(grpc.StatusCode.UNAVAILABLE, f"could not connect to {self.target} within {timeout} s") from None

    def _model(self, model: Optional[str]) -> str:
        return self.model if model is None else model

    def _unary(self, method: str, request, timeout: Optional[float]):
        try:
            return getattr(self._stub, method)(
                request, timeout=self.timeout if timeout is None else timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise LaitError.from_rpc_error(e, method) from None

    # -- ingestion -------------------------------------------------------------------------------

    def encode_segments(self, segments: Iterable[Union[str, dict]], role: Optional[str] = "other",
                        durable: Optional[bool] = True, namespace: Optional[str] = None,
                        model: Optional[str] = None, truncate: bool = False, max_in_flight: int = 32,
                        timeout: Optional[float] = None) -> Iterator[t.SegmentAck]:
        """Streams segments to the server and yields one SegmentAck per segment, in input order.

        `segments` is any iterable (a generator over a huge file is fine): items are texts, or
        dicts with "text" or "token_ids" and optionally "name" (needs `namespace` or a "namespace"
        key), "role", "tag" and "truncate". At most `max_in_flight` segments are sent before
        their acks arrive, so the iterable is consumed only as fast as the server stores segments
        (and memory stays bounded). A bad segment yields an ack with `.error` set; problems with
        the stream itself raise LaitError. durable: True = DURABLE, False = CHECKPOINT, None =
        the server's default. Closing the returned generator early cancels the stream.
        """
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        window = threading.Semaphore(max_in_flight)
        stop = threading.Event()
        failure = []  # an exception raised by the caller's iterable, re-raised after the acks
        model_name = self._model(model)
        durability = _durability(durable)

        def request(item):
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, dict):
                raise TypeError(f"a segment is a str or a dict, got {type(item).__name__}")
            message = pb.EncodeSegmentRequest(
                model=model_name, durability=durability, client_tag=str(item.get("tag", "")),
                segment=_segment_input(item.get("text"), item.get("token_ids"), item.get("role", role),
                                       item.get("truncate", truncate)))
            if item.get("name") is not None:
                ns = item.get("namespace", namespace)
                if not ns:
                    raise ValueError(f"segment name {item['name']!r} needs a namespace")
                message.name.CopyFrom(pb.SegmentName(namespace=ns, name=item["name"]))
            return message

        def requests():
            try:
                items = iter(segments)
                while True:
                    # Backpressure: take a slot before pulling the next item from the caller, so at
                    # most max_in_flight items have been taken and not yet acknowledged.
                    while not window.acquire(timeout=0.1):
                        if stop.is_set():
                            return
                    if stop.is_set():
                        return
                    try:
                        item = next(items)
                    except StopIteration:
                        return
                    yield request(item)
            except Exception as e:  # ends the stream cleanly; raised to the caller after the acks
                failure.append(e)

        call = self._stub.EncodeSegment(requests(), timeout=timeout, metadata=self._metadata)
        try:
            for r in call:
                window.release()
                error = t.ItemError(status_code_from_number(r.error.code), r.error.message) if r.HasField("error") else None
                yield t.SegmentAck(r.sequence, r.segment_id, r.token_count, r.already_stored, r.truncated,
                                   r.client_tag, error)
        except grpc.RpcError as e:
            if failure:
                raise failure[0]
            raise LaitError.from_rpc_error(e, "EncodeSegment") from None
        finally:
            stop.set()
            call.cancel()
        if failure:
            raise failure[0]

    def encode_document(self, text: str, role: Optional[str] = "other", durable: Optional[bool] = True,
                        namespace: Optional[str] = None, name_prefix: Optional[str] = None,
                        truncate: bool = False, model: Optional[str] = None,
                        timeout: Optional[float] = None) -> List[t.Sentence]:
        """Lets the server split `text` into sentences, stores each and returns them in order.

        With `namespace` and `name_prefix`, sentence i is named name_prefix + "/" + i.
        """
        request = pb.EncodeDocumentRequest(
            model=self._model(model), text=text, role=_ROLES[role], namespace=namespace or "",
            name_prefix=name_prefix or "", durability=_durability(durable),
            truncation=pb.TRUNCATION_TRUNCATE if truncate else pb.TRUNCATION_UNSPECIFIED)
        response = self._unary("EncodeDocument", request, timeout)
        return [t.Sentence(s.segment_id, s.text, s.char_start, s.char_end, s.token_count, s.already_stored,
                           s.truncated) for s in response.sentences]

    # -- combine ---------------------------------------------------------------------------------

    def _combine(self, task, segments, model, timeout, truncate=False, **fields):
        request = pb.CombineRequest(
            model=self._model(model), task=task, segments=[_ref(s) for s in segments],
            truncation=pb.TRUNCATION_TRUNCATE if truncate else pb.TRUNCATION_UNSPECIFIED, **fields)
        return self._unary("Combine", request, timeout)

    def classify(self, segments: Sequence, model: Optional[str] = None, truncate: bool = False,
                 timeout: Optional[float] = None) -> t.Classification:
        """Classifies the segments jointly (segments[0] first: the claim / hypothesis / question; then evidence / premise / passage)."""
        response = self._combine(pb.TASK_TYPE_CLASSIFY, segments, model, timeout, truncate)
        c = response.classification
        return t.Classification(c.label, _scores(c.scores), tuple(response.segment_ids))

    def verify_claim(self, claim, evidence: Sequence, aggregation: str = "max_confidence", top_k: int = 0,
                     model: Optional[str] = None, timeout: Optional[float] = None) -> t.ClaimVerification:
        """Checks `claim` against each evidence on its own and aggregates a verdict.

        claim and evidence items are segment ids, inline texts, SegmentNames or Segments.
        aggregation: "max_confidence", "mean" or "majority". top_k: keep only the best k (0 = all).
        """
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {sorted(k for k in _AGGREGATIONS if k)}, got {aggregation!r}")
        if isinstance(evidence, (str, Segment, t.SegmentName)):
            evidence = [evidence]
        response = self._combine(pb.TASK_TYPE_VERIFY_CLAIM, [claim, *evidence], model, timeout,
                                 aggregation=_AGGREGATIONS[aggregation], top_k=top_k)
        v = response.claim_verification
        return t.ClaimVerification(
            verdict=v.verdict, verdict_scores=_scores(v.verdict_scores),
            evidence=tuple(t.EvidenceResult(e.index, e.segment_id, e.label, _scores(e.scores), e.rank)
                           for e in v.evidence),
            aggregation=_enum_name(pb.Aggregation, v.aggregation, "AGGREGATION_"),
            segment_ids=tuple(response.segment_ids))

    def answer_yes_no(self, question, passage, model: Optional[str] = None,
                      timeout: Optional[float] = None) -> t.YesNoAnswer:
        """Answers a yes/no question over a passage (a text, an id, or a list of them)."""
        passages = list(passage) if isinstance(passage, (list, tuple)) else [passage]
        y = self._combine(pb.TASK_TYPE_YES_NO, [question, *passages], model, timeout).yes_no
        return t.YesNoAnswer(y.answer, y.yes_probability, _scores(y.scores))

    def extract_answer(self, question, passage, max_answer_tokens: int = 0, n_best: int = 0,
                       model: Optional[str] = None, timeout: Optional[float] = None) -> List[t.AnswerSpan]:
        """Extractive QA: answer spans of the passage(s), best first (empty when none is found)."""
        passages = list(passage) if isinstance(passage, (list, tuple)) else [passage]
        x = self._combine(pb.TASK_TYPE_EXTRACTIVE_QA, [question, *passages], model, timeout,
                          max_answer_tokens=max_answer_tokens, n_best=n_best).extractive
        return [t.AnswerSpan(a.text, a.segment_index, a.char_start, a.char_end, a.score) for a in x.answers]

    # -- segments --------------------------------------------------------------------------------

    def get_segments(self, ids: Sequence[str] = (), names=(), include_tokens: bool = False,
                     model: Optional[str] = None, timeout: Optional[float] = None) -> t.GetSegmentsResult:
        """Looks segments up by id and/or (namespace, name); absent ones are listed as missing."""
        if isinstance(ids, str):
            ids = [ids]
        request = pb.GetSegmentsRequest(model=self._model(model), segment_ids=list(ids), names=_names(names),
                                        include_tokens=include_tokens)
        r = self._unary("GetSegments", request, timeout)
        return t.GetSegmentsResult(tuple(_segment_info(s) for s in r.found), tuple(r.missing_ids),
                                   tuple(t.SegmentName(n.namespace, n.name) for n in r.missing_names))

    def delete_segments(self, ids: Sequence[str] = (), names=(), model: Optional[str] = None,
                        timeout: Optional[float] = None) -> t.DeleteSegmentsResult:
        """Deletes segments by id and/or (namespace, name); idempotent."""
        if isinstance(ids, str):
            ids = [ids]
        request = pb.DeleteSegmentsRequest(model=self._model(model), segment_ids=list(ids), names=_names(names))
        r = self._unary("DeleteSegments", request, timeout)
        return t.DeleteSegmentsResult(r.deleted, tuple(r.not_found_ids),
                                      tuple(t.SegmentName(n.namespace, n.name) for n in r.not_found_names))

    def list_segments(self, namespace: str, page_size: int = 0, model: Optional[str] = None,
                      timeout: Optional[float] = None) -> Iterator[t.SegmentInfo]:
        """Yields the named segments of a namespace in name order, fetching pages as needed."""
        token = ""
        while True:
            request = pb.ListSegmentsRequest(model=self._model(model), namespace=namespace, page_size=page_size,
                                             page_token=token)
            r = self._unary("ListSegments", request, timeout)
            for s in r.segments:
                yield _segment_info(s)
            token = r.next_page_token
            if not token:
                return

    # -- models ----------------------------------------------------------------------------------

    def list_models(self, timeout: Optional[float] = None) -> t.ModelList:
        r = self._unary("ListModels", pb.ListModelsRequest(), timeout)
        return t.ModelList(tuple(_model_info(m) for m in r.models), r.default_model)

    def describe_model(self, model: Optional[str] = None, timeout: Optional[float] = None) -> t.ModelInfo:
        return _model_info(self._unary("DescribeModel", pb.DescribeModelRequest(model=self._model(model)), timeout))
