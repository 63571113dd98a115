#!/usr/bin/python3
"""Interop suite: drives a lait.test.v1.Echo server (plus health and reflection) with Debian's
python3-grpcio, as a real third-party gRPC client would.

    /usr/bin/python3 interop_test.py [--area AREA ...] [--target HOST:PORT] [-v]

Areas: calls errors deadlines cancellation compression limits metadata exceptions health
reflection auth tls (default: all). Server addresses and settings come from the environment
(arguments override them):
  LAIT_INTEROP_TARGET                 plain h2c server (every area but auth and tls)
  LAIT_INTEROP_MAX_RECEIVE_BYTES      limits: the --max-receive-bytes the target was started with
  LAIT_INTEROP_MAX_SEND_BYTES         limits: the --max-send-bytes the target was started with
  LAIT_INTEROP_AUTH_TARGET            auth: a server started with --api-key
  LAIT_INTEROP_API_KEY                auth: that key
  LAIT_INTEROP_TLS_TARGET             tls: a server started with --tls-cert
  LAIT_INTEROP_TLS_ROOT               tls: the server certificate (PEM), trusted as the only root
  LAIT_INTEROP_TLS_SERVER_NAME        tls: optional host name to verify instead of the target's
An area whose settings are missing fails; it is never skipped silently.
"""

import argparse
import base64
import os
import queue
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_protos  # noqa: E402

try:
    import grpc
    from google.protobuf import descriptor_pb2, descriptor_pool
except ImportError as e:  # a clear message instead of a stack trace
    print(f"interop suite cannot start: {e}: {interop_protos.INSTALL_HINT}", file=sys.stderr)
    sys.exit(2)

stubs = None  # generated in main()

NON_ASCII_MESSAGE = "ungültige Eingabe: 数据 ✗ — 100% sûr %41 ok"
ECHO_SERVICE = "lait.test.v1.Echo"
WAIT_S = 20.0  # upper bound for anything the suite waits on; never a speed assertion
LEAK_CANARY = "leak-canary-7d1f"
# Text of the Echo handlers' exceptions (C#: "...secret detail: /etc/lait/secret.key"; reference:
# "...exploded on purpose: <message>") and of stack traces: none may reach the client.
LEAK_MARKERS = (LEAK_CANARY, "exploded", "secret", "/etc/", "InvalidOperation", "RuntimeError", "   at ",
                "Traceback", ".cs:line", "File \"")


def env(name):
    value = os.environ.get(name, "")
    if not value:
        raise unittest.SkipTest(f"{name} is not set")  # turned into a failure by the runner
    return value


def req(**kwargs):
    return stubs.echo_pb2.EchoRequest(**kwargs)


class _RequestQueue:
    """A request iterator the test feeds one message at a time (for ping-pong streams)."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def put(self, request):
        self._queue.put(request)

    def close(self):
        self._queue.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get(timeout=WAIT_S * 3)
        if item is self._END:
            raise StopIteration
        return item


class EchoTestCase(unittest.TestCase):
    target_env = "LAIT_INTEROP_TARGET"

    def setUp(self):
        self.target = env(self.target_env)
        self.channel = self.make_channel()
        self.echo = stubs.echo_pb2_grpc.EchoStub(self.channel)

    def tearDown(self):
        self.channel.close()

    def make_channel(self, **kwargs):
        return grpc.insecure_channel(self.target, **kwargs)

    def assert_status(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as ctx:
            result = fn(*args, **kwargs)
            if hasattr(result, "__iter__") and not isinstance(result, stubs.echo_pb2.EchoResponse):
                list(result)
        error = ctx.exception
        self.assertEqual(error.code(), code, f"details: {error.details()!r}")
        return error

    def stats(self):
        return self.echo.GetStats(stubs.echo_pb2.StatsRequest(), timeout=WAIT_S)

    def wait_cancelled_above(self, before):
        """Polls GetStats until the server has counted a cancelled call more than `before`."""
        deadline = time.monotonic() + WAIT_S
        while True:
            now = self.stats().cancelled_calls
            if now > before:
                return now
            if time.monotonic() > deadline:
                self.fail(f"server never counted the cancelled call (cancelled_calls stayed {now})")
            time.sleep(0.05)

    def assert_server_still_serves(self):
        self.assertEqual(self.echo.Unary(req(message="still here"), timeout=WAIT_S).message, "still here")


class Calls(EchoTestCase):
    def test_unary_echoes_message_and_payload(self):
        payload = bytes(range(256)) * 4
        response = self.echo.Unary(req(message=NON_ASCII_MESSAGE, payload=payload), timeout=WAIT_S)
        self.assertEqual(response.message, NON_ASCII_MESSAGE)
        self.assertEqual(response.payload, payload)
        self.assertEqual(response.index, 0)

    def test_unary_empty_request_gets_empty_response(self):
        response = self.echo.Unary(req(), timeout=WAIT_S)
        self.assertEqual(response.message, "")
        self.assertEqual(response.payload, b"")

    def test_server_stream_sends_repeat_responses_in_order(self):
        responses = list(self.echo.ServerStream(req(message="s", payload=b"\x00\x01", repeat=5), timeout=WAIT_S))
        self.assertEqual([r.index for r in responses], [0, 1, 2, 3, 4])
        self.assertTrue(all(r.message == "s" and r.payload == b"\x00\x01" for r in responses))

    def test_server_stream_with_zero_repeat_ends_ok_without_messages(self):
        call = self.echo.ServerStream(req(message="none", repeat=0), timeout=WAIT_S)
        self.assertEqual(list(call), [])
        self.assertEqual(call.code(), grpc.StatusCode.OK)

    def test_client_stream_counts_and_joins_messages(self):
        response = self.echo.ClientStream(iter([req(message="a"), req(message="b"), req(message="ç")]), timeout=WAIT_S)
        self.assertEqual(response.count, 3)
        self.assertEqual(response.message, "a,b,ç")

    def test_client_stream_without_requests_counts_zero(self):
        response = self.echo.ClientStream(iter([]), timeout=WAIT_S)
        self.assertEqual(response.count, 0)
        self.assertEqual(response.message, "")

    def test_bidi_replies_to_each_request_as_it_arrives(self):
        requests = _RequestQueue()
        call = self.echo.Bidi(requests, timeout=WAIT_S)
        for i in range(4):
            requests.put(req(message=f"ping {i}", payload=bytes([i]) * (i + 1)))
            response = next(call)  # the reply must come before the next request is sent
            self.assertEqual((response.message, response.index, response.payload), (f"ping {i}", i, bytes([i]) * (i + 1)))
        requests.close()
        self.assertEqual(list(call), [])
        self.assertEqual(call.code(), grpc.StatusCode.OK)

    def test_bidi_with_no_requests_ends_ok(self):
        call = self.echo.Bidi(iter([]), timeout=WAIT_S)
        self.assertEqual(list(call), [])
        self.assertEqual(call.code(), grpc.StatusCode.OK)

    def test_many_concurrent_calls_share_one_channel(self):
        futures = [self.echo.Unary.future(req(message=f"m{i}", payload=bytes([i]) * 100), timeout=WAIT_S) for i in range(32)]
        streams = [self.echo.ServerStream(req(message=f"s{i}", repeat=10), timeout=WAIT_S) for i in range(4)]
        for i, f in enumerate(futures):
            self.assertEqual(f.result().message, f"m{i}")
        for i, s in enumerate(streams):
            self.assertEqual([r.message for r in s], [f"s{i}"] * 10)

    def test_unknown_method_is_unimplemented(self):
        method = self.channel.unary_unary("/lait.test.v1.Echo/NoSuchMethod",
                                          request_serializer=stubs.echo_pb2.EchoRequest.SerializeToString,
                                          response_deserializer=stubs.echo_pb2.EchoResponse.FromString)
        self.assert_status(grpc.StatusCode.UNIMPLEMENTED, method, req(), timeout=WAIT_S)

    def test_unknown_service_is_unimplemented(self):
        method = self.channel.stream_stream("/no.such.Service/Bidi",
                                            request_serializer=stubs.echo_pb2.EchoRequest.SerializeToString,
                                            response_deserializer=stubs.echo_pb2.EchoResponse.FromString)
        self.assert_status(grpc.StatusCode.UNIMPLEMENTED, method, iter([req()]), timeout=WAIT_S)
        self.assert_server_still_serves()


class Errors(EchoTestCase):
    code = grpc.StatusCode.INVALID_ARGUMENT

    def test_unary_error_keeps_non_ascii_message(self):
        error = self.assert_status(self.code, self.echo.Unary,
                                   req(fail_code=3, fail_message=NON_ASCII_MESSAGE), timeout=WAIT_S)
        self.assertEqual(error.details(), NON_ASCII_MESSAGE)

    def test_control_characters_and_percent_signs_survive_grpc_message_encoding(self):
        text = "tab\there\nnew line\r % %% %zz %41 \x7f end"
        error = self.assert_status(self.code, self.echo.Unary, req(fail_code=3, fail_message=text), timeout=WAIT_S)
        self.assertEqual(error.details(), text)

    def test_unary_every_status_code_round_trips(self):
        for code in grpc.StatusCode:
            number = code.value[0]
            if number in (0, 1):  # OK is no error; CANCELLED is tested with real cancellation
                continue
            with self.subTest(code=code):
                error = self.assert_status(code, self.echo.Unary,
                                           req(fail_code=number, fail_message=f"code {number}"), timeout=WAIT_S)
                self.assertEqual(error.details(), f"code {number}")

    def test_server_stream_error_before_any_message(self):
        call = self.echo.ServerStream(req(repeat=5, fail_code=3, fail_after=0, fail_message=NON_ASCII_MESSAGE), timeout=WAIT_S)
        with self.assertRaises(grpc.RpcError):
            list(call)
        self.assertEqual(call.code(), self.code)
        self.assertEqual(call.details(), NON_ASCII_MESSAGE)

    def test_server_stream_error_after_two_messages(self):
        call = self.echo.ServerStream(req(repeat=5, fail_code=3, fail_after=2, fail_message=NON_ASCII_MESSAGE), timeout=WAIT_S)
        received = []
        with self.assertRaises(grpc.RpcError):
            for response in call:
                received.append(response.index)
        self.assertEqual(received, [0, 1])
        self.assertEqual(call.code(), self.code)
        self.assertEqual(call.details(), NON_ASCII_MESSAGE)

    def test_client_stream_error_from_a_later_request(self):
        requests = iter([req(message="a"), req(message="b"), req(fail_code=3, fail_message=NON_ASCII_MESSAGE)])
        error = self.assert_status(self.code, self.echo.ClientStream, requests, timeout=WAIT_S)
        self.assertEqual(error.details(), NON_ASCII_MESSAGE)

    def test_bidi_error_after_two_replies(self):
        requests = _RequestQueue()
        call = self.echo.Bidi(requests, timeout=WAIT_S)
        for i in range(2):
            requests.put(req(message=f"{i}"))
            self.assertEqual(next(call).index, i)
        requests.put(req(fail_code=3, fail_message=NON_ASCII_MESSAGE))
        with self.assertRaises(grpc.RpcError):
            next(call)
        requests.close()
        self.assertEqual(call.code(), self.code)
        self.assertEqual(call.details(), NON_ASCII_MESSAGE)
        self.assert_server_still_serves()


class Deadlines(EchoTestCase):
    def test_unary_past_deadline_is_deadline_exceeded_and_server_sees_it(self):
        before = self.stats().cancelled_calls
        self.assert_status(grpc.StatusCode.DEADLINE_EXCEEDED, self.echo.Unary, req(delay_ms=10_000), timeout=1.5)
        self.wait_cancelled_above(before)

    def test_unary_within_generous_deadline_succeeds(self):
        self.assertEqual(self.echo.Unary(req(message="quick"), timeout=60).message, "quick")

    def test_server_stream_deadline_mid_stream(self):
        before = self.stats().cancelled_calls
        call = self.echo.ServerStream(req(repeat=10_000, delay_ms=50), timeout=2.0)
        received = 0
        with self.assertRaises(grpc.RpcError):
            for _ in call:
                received += 1
        self.assertEqual(call.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertLess(received, 10_000)
        self.wait_cancelled_above(before)

    def test_client_stream_deadline_while_client_still_sending(self):
        hold = threading.Event()

        def requests():
            yield req(message="first")
            hold.wait(WAIT_S)  # never closes the stream in time

        try:
            self.assert_status(grpc.StatusCode.DEADLINE_EXCEEDED, self.echo.ClientStream, requests(), timeout=0.7)
        finally:
            hold.set()

    def test_bidi_deadline_while_server_delays_reply(self):
        requests = _RequestQueue()
        call = self.echo.Bidi(requests, timeout=0.7)
        requests.put(req(message="slow", delay_ms=10_000))
        with self.assertRaises(grpc.RpcError):
            next(call)
        requests.close()
        self.assertEqual(call.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assert_server_still_serves()


class Cancellation(EchoTestCase):
    def test_unary_cancel_reaches_the_handler(self):
        before = self.stats().cancelled_calls
        future = self.echo.Unary.future(req(delay_ms=10_000), timeout=WAIT_S * 3)
        time.sleep(1.0)  # let the call reach the handler's sleep
        self.assertTrue(future.cancel())
        self.wait_cancelled_above(before)

    def test_server_stream_cancel_mid_stream_reaches_the_handler(self):
        before = self.stats().cancelled_calls
        call = self.echo.ServerStream(req(repeat=100_000, delay_ms=20), timeout=WAIT_S * 3)
        for _ in range(3):
            next(call)
        call.cancel()
        self.assertEqual(call.code(), grpc.StatusCode.CANCELLED)
        self.wait_cancelled_above(before)

    def test_client_stream_cancel_mid_stream_reaches_the_handler(self):
        before = self.stats().cancelled_calls
        requests = _RequestQueue()
        future = self.echo.ClientStream.future(requests, timeout=WAIT_S * 3)
        requests.put(req(message="a"))
        requests.put(req(message="b"))
        time.sleep(1.0)  # let the handler read them and wait for more
        self.assertTrue(future.cancel())
        requests.close()
        self.wait_cancelled_above(before)

    def test_bidi_cancel_mid_stream_reaches_the_handler(self):
        before = self.stats().cancelled_calls
        requests = _RequestQueue()
        call = self.echo.Bidi(requests, timeout=WAIT_S * 3)
        for i in range(2):
            requests.put(req(message=f"{i}"))
            next(call)
        call.cancel()
        requests.close()
        self.assertEqual(call.code(), grpc.StatusCode.CANCELLED)
        self.wait_cancelled_above(before)
        self.assert_server_still_serves()


class Compression(EchoTestCase):
    gzip = grpc.Compression.Gzip
    payload = (b"compressible " * 8000) + bytes(range(256))

    def test_unary_gzip_request_and_response(self):
        response = self.echo.Unary(req(message=NON_ASCII_MESSAGE, payload=self.payload), timeout=WAIT_S, compression=self.gzip)
        self.assertEqual(response.payload, self.payload)
        self.assertEqual(response.message, NON_ASCII_MESSAGE)

    def test_server_stream_gzip(self):
        responses = list(self.echo.ServerStream(req(payload=self.payload, repeat=3), timeout=WAIT_S, compression=self.gzip))
        self.assertEqual([r.payload == self.payload for r in responses], [True] * 3)

    def test_client_stream_gzip(self):
        requests = iter([req(message=str(i), payload=self.payload) for i in range(3)])
        response = self.echo.ClientStream(requests, timeout=WAIT_S, compression=self.gzip)
        self.assertEqual((response.count, response.message), (3, "0,1,2"))

    def test_bidi_gzip(self):
        requests = iter([req(message=str(i), payload=self.payload) for i in range(3)])
        responses = list(self.echo.Bidi(requests, timeout=WAIT_S, compression=self.gzip))
        self.assertEqual([(r.index, r.payload == self.payload) for r in responses], [(0, True), (1, True), (2, True)])

    def test_channel_default_gzip_for_every_call(self):
        with self.make_channel(compression=self.gzip) as channel:
            echo = stubs.echo_pb2_grpc.EchoStub(channel)
            self.assertEqual(echo.Unary(req(payload=self.payload), timeout=WAIT_S).payload, self.payload)
            self.assertEqual(echo.GetStats(stubs.echo_pb2.StatsRequest(), timeout=WAIT_S).completed_calls >= 0, True)

    def test_incompressible_payload_with_gzip(self):
        payload = os.urandom(50_000)
        self.assertEqual(self.echo.Unary(req(payload=payload), timeout=WAIT_S, compression=self.gzip).payload, payload)


def _payload_for_size(size, **fields):
    """Payload length p such that EchoRequest(payload=p bytes, **fields) serializes to `size` bytes."""
    for p in range(size, 0, -1):
        if req(payload=b"\x00" * p, **fields).ByteSize() == size:
            return p
    raise ValueError(size)


class Limits(EchoTestCase):
    def setUp(self):
        super().setUp()
        self.max_receive = int(env("LAIT_INTEROP_MAX_RECEIVE_BYTES"))
        self.max_send = int(env("LAIT_INTEROP_MAX_SEND_BYTES"))

    def test_unary_request_exactly_at_receive_limit_is_accepted(self):
        p = _payload_for_size(self.max_receive, response_payload_size=1)
        self.assertEqual(req(payload=b"\x01" * p, response_payload_size=1).ByteSize(), self.max_receive)
        # The reply (same payload) must fit the send limit too, so ask for a small one.
        response = self.echo.Unary(req(payload=b"\x01" * p, response_payload_size=1), timeout=WAIT_S)
        self.assertEqual(len(response.payload), 1)

    def test_unary_request_one_byte_over_receive_limit_is_resource_exhausted(self):
        p = _payload_for_size(self.max_receive, response_payload_size=1)
        request = req(payload=b"\x01" * (p + 1), response_payload_size=1)
        self.assertEqual(request.ByteSize(), self.max_receive + 1)
        self.assert_status(grpc.StatusCode.RESOURCE_EXHAUSTED, self.echo.Unary, request, timeout=WAIT_S)
        self.assert_server_still_serves()

    def test_unary_response_exactly_at_send_limit_is_delivered(self):
        size = stubs.echo_pb2.EchoResponse(payload=b"\x00" * _payload_for_size(self.max_send)).ByteSize()
        self.assertEqual(size, self.max_send)
        response = self.echo.Unary(req(response_payload_size=_payload_for_size(self.max_send)), timeout=WAIT_S)
        self.assertEqual(response.ByteSize(), self.max_send)

    def test_unary_response_one_byte_over_send_limit_is_resource_exhausted(self):
        self.assert_status(grpc.StatusCode.RESOURCE_EXHAUSTED, self.echo.Unary,
                           req(response_payload_size=_payload_for_size(self.max_send) + 1), timeout=WAIT_S)
        self.assert_server_still_serves()

    def test_server_stream_response_over_send_limit_after_good_ones(self):
        # Responses are all the same size, so the over-limit one is the first: nothing arrives.
        call = self.echo.ServerStream(req(repeat=3, response_payload_size=_payload_for_size(self.max_send) + 1), timeout=WAIT_S)
        with self.assertRaises(grpc.RpcError):
            list(call)
        self.assertEqual(call.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_client_stream_second_request_over_limit_is_resource_exhausted(self):
        p = _payload_for_size(self.max_receive)
        requests = iter([req(payload=b"\x02" * p), req(payload=b"\x02" * (p + 1))])
        self.assert_status(grpc.StatusCode.RESOURCE_EXHAUSTED, self.echo.ClientStream, requests, timeout=WAIT_S)

    def test_bidi_at_limit_then_over_limit(self):
        p = _payload_for_size(self.max_receive, response_payload_size=8)
        requests = _RequestQueue()
        call = self.echo.Bidi(requests, timeout=WAIT_S)
        requests.put(req(payload=b"\x03" * p, response_payload_size=8))
        self.assertEqual(len(next(call).payload), 8)
        requests.put(req(payload=b"\x03" * (p + 1), response_payload_size=8))
        with self.assertRaises(grpc.RpcError):
            next(call)
        requests.close()
        self.assertEqual(call.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_gzip_request_over_limit_once_decompressed_is_resource_exhausted(self):
        # Compresses to a few KB; the limit applies to the decompressed message.
        request = req(payload=b"\x00" * (self.max_receive + 1000), response_payload_size=1)
        self.assert_status(grpc.StatusCode.RESOURCE_EXHAUSTED, self.echo.Unary, request, timeout=WAIT_S,
                           compression=grpc.Compression.Gzip)
        self.assert_server_still_serves()


class Metadata(EchoTestCase):
    binary = bytes(range(256))
    headers = (("x-ascii", "value with spaces, punctuation: ;=!"), ("x-data-bin", binary), ("other-header", "not echoed"))
    echo_headers = (("x-echo-alpha", "first value"), ("x-echo-beta-bin", b"\x00\xff\x10binary"))

    def check_metadata_map(self, response):
        self.assertEqual(response.metadata["x-ascii"], "value with spaces, punctuation: ;=!")
        encoded = response.metadata["x-data-bin"]
        self.assertEqual(base64.b64decode(encoded + "=" * (-len(encoded) % 4)), self.binary)
        self.assertNotIn("other-header", response.metadata)

    def check_echoed(self, initial, trailing):
        initial = dict(initial)
        trailing = dict(trailing)
        self.assertEqual(initial.get("x-echo-alpha"), "first value")
        self.assertEqual(initial.get("x-echo-beta-bin"), b"\x00\xff\x10binary")
        self.assertEqual(trailing.get("x-echo-alpha-trailer"), "first value")

    def test_unary_headers_reach_the_handler(self):
        response = self.echo.Unary(req(), metadata=self.headers, timeout=WAIT_S)
        self.check_metadata_map(response)

    def test_unary_echo_headers_come_back_as_headers_and_trailers(self):
        _, call = self.echo.Unary.with_call(req(), metadata=self.echo_headers, timeout=WAIT_S)
        self.check_echoed(call.initial_metadata(), call.trailing_metadata())

    def test_server_stream_headers_and_trailers(self):
        call = self.echo.ServerStream(req(repeat=2), metadata=self.headers + self.echo_headers, timeout=WAIT_S)
        responses = list(call)
        self.assertEqual(len(responses), 2)
        for r in responses:
            self.check_metadata_map(r)
        self.check_echoed(call.initial_metadata(), call.trailing_metadata())

    def test_client_stream_headers_and_trailers(self):
        response, call = self.echo.ClientStream.with_call(iter([req(), req()]), metadata=self.headers + self.echo_headers, timeout=WAIT_S)
        self.check_metadata_map(response)
        self.check_echoed(call.initial_metadata(), call.trailing_metadata())

    def test_bidi_headers_and_trailers(self):
        call = self.echo.Bidi(iter([req(), req()]), metadata=self.headers + self.echo_headers, timeout=WAIT_S)
        responses = list(call)
        self.assertEqual(len(responses), 2)
        for r in responses:
            self.check_metadata_map(r)
        self.check_echoed(call.initial_metadata(), call.trailing_metadata())

    def test_trailers_arrive_with_an_error_status(self):
        error = self.assert_status(grpc.StatusCode.FAILED_PRECONDITION, self.echo.Unary,
                                   req(fail_code=9, fail_message="with trailers"), metadata=self.echo_headers, timeout=WAIT_S)
        self.assertEqual(dict(error.trailing_metadata()).get("x-echo-alpha-trailer"), "first value")
        self.assertEqual(error.details(), "with trailers")

    def test_repeated_header_keeps_every_value_in_order(self):
        _, call = self.echo.Unary.with_call(req(), metadata=(("x-echo-multi", "one"), ("x-echo-multi", "two")), timeout=WAIT_S)
        # Grpc.AspNetCore hands a handler a repeated request header as one entry with the values
        # joined by "," (ASP.NET Core's StringValues), which HTTP defines as equivalent (RFC 9110
        # 5.3); grpcio keeps two entries. Either way every value must arrive, in order.
        def values(metadata, key):
            return [part.strip() for k, v in metadata if k == key for part in v.split(",")]
        self.assertEqual(values(call.initial_metadata(), "x-echo-multi"), ["one", "two"])
        self.assertEqual(values(call.trailing_metadata(), "x-echo-multi-trailer"), ["one", "two"])

    def test_large_header_value_round_trips(self):
        value = "v" * 4000
        response = self.echo.Unary(req(), metadata=(("x-large", value),), timeout=WAIT_S)
        self.assertEqual(response.metadata["x-large"], value)


class Exceptions(EchoTestCase):
    def check_no_leak(self, error):
        self.assertEqual(error.code(), grpc.StatusCode.INTERNAL)
        details = error.details() or ""
        for secret in LEAK_MARKERS:
            self.assertNotIn(secret, details, f"handler exception text leaked into details: {details!r}")

    def test_unary_exception_is_internal_without_leak(self):
        error = self.assert_status(grpc.StatusCode.INTERNAL, self.echo.Unary,
                                   req(message=LEAK_CANARY, throw_exception=True), timeout=WAIT_S)
        self.check_no_leak(error)
        self.assert_server_still_serves()

    def test_server_stream_exception_after_two_messages(self):
        # repeat == fail_after: the throw comes after two messages whether the server throws at
        # fail_after or after the last message (echo.proto leaves that open).
        call = self.echo.ServerStream(req(message=LEAK_CANARY, repeat=2, fail_after=2, throw_exception=True), timeout=WAIT_S)
        received = []
        with self.assertRaises(grpc.RpcError) as ctx:
            for r in call:
                received.append(r.index)
        self.assertEqual(received, [0, 1])
        self.check_no_leak(ctx.exception)

    def test_client_stream_exception(self):
        requests = iter([req(message="fine"), req(message=LEAK_CANARY, throw_exception=True)])
        error = self.assert_status(grpc.StatusCode.INTERNAL, self.echo.ClientStream, requests, timeout=WAIT_S)
        self.check_no_leak(error)

    def test_bidi_exception_after_one_reply(self):
        requests = _RequestQueue()
        call = self.echo.Bidi(requests, timeout=WAIT_S)
        requests.put(req(message="fine"))
        self.assertEqual(next(call).message, "fine")
        requests.put(req(message=LEAK_CANARY, throw_exception=True))
        with self.assertRaises(grpc.RpcError) as ctx:
            next(call)
        requests.close()
        self.check_no_leak(ctx.exception)
        self.assert_server_still_serves()


class Health(EchoTestCase):
    def setUp(self):
        super().setUp()
        self.health = stubs.health_pb2_grpc.HealthStub(self.channel)
        self.status = stubs.health_pb2.HealthCheckResponse

    def check(self, service):
        return self.health.Check(stubs.health_pb2.HealthCheckRequest(service=service), timeout=WAIT_S).status

    def set_serving(self, service, serving):
        self.echo.SetServing(stubs.echo_pb2.SetServingRequest(service=service, serving=serving), timeout=WAIT_S)

    def test_check_whole_server_and_echo_service_are_serving(self):
        self.assertEqual(self.check(""), self.status.SERVING)
        self.assertEqual(self.check(ECHO_SERVICE), self.status.SERVING)

    def test_check_unknown_service_is_not_found(self):
        self.assert_status(grpc.StatusCode.NOT_FOUND, self.health.Check,
                           stubs.health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=WAIT_S)

    def test_check_follows_set_serving(self):
        try:
            self.set_serving(ECHO_SERVICE, False)
            self.assertEqual(self.check(ECHO_SERVICE), self.status.NOT_SERVING)
        finally:
            self.set_serving(ECHO_SERVICE, True)
        self.assertEqual(self.check(ECHO_SERVICE), self.status.SERVING)

    def test_watch_reports_transitions(self):
        call = self.health.Watch(stubs.health_pb2.HealthCheckRequest(service=ECHO_SERVICE), timeout=WAIT_S * 2)
        try:
            self.assertEqual(next(call).status, self.status.SERVING)
            self.set_serving(ECHO_SERVICE, False)
            self.assertEqual(next(call).status, self.status.NOT_SERVING)
            self.set_serving(ECHO_SERVICE, True)
            self.assertEqual(next(call).status, self.status.SERVING)
        finally:
            call.cancel()
            self.set_serving(ECHO_SERVICE, True)

    def test_watch_unknown_service_reports_service_unknown(self):
        call = self.health.Watch(stubs.health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=WAIT_S)
        try:
            self.assertEqual(next(call).status, self.status.SERVICE_UNKNOWN)
        finally:
            call.cancel()


class _ReflectionTests:
    """Shared by the v1 and v1alpha protocol versions."""

    pb2 = None
    pb2_grpc = None

    def setUp(self):
        super().setUp()
        self.reflection = self.pb2_grpc.ServerReflectionStub(self.channel)

    def ask(self, *requests):
        responses = list(self.reflection.ServerReflectionInfo(iter(requests), timeout=WAIT_S))
        self.assertEqual(len(responses), len(requests))
        return responses

    def file_descriptors(self, response):
        self.assertEqual(response.WhichOneof("message_response"), "file_descriptor_response", str(response))
        protos = []
        for raw in response.file_descriptor_response.file_descriptor_proto:
            fdp = descriptor_pb2.FileDescriptorProto()
            fdp.ParseFromString(raw)
            protos.append(fdp)
        self.assertGreater(len(protos), 0)
        return protos

    def test_list_services(self):
        (response,) = self.ask(self.pb2.ServerReflectionRequest(list_services=""))
        names = {s.name for s in response.list_services_response.service}
        for expected in (ECHO_SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                         "grpc.reflection.v1alpha.ServerReflection"):
            self.assertIn(expected, names)

    def test_file_containing_echo_service_is_a_usable_descriptor(self):
        (response,) = self.ask(self.pb2.ServerReflectionRequest(file_containing_symbol=ECHO_SERVICE))
        protos = self.file_descriptors(response)
        echo_file = protos[0]
        self.assertEqual(echo_file.name, "lait/test/v1/echo.proto")
        self.assertEqual(echo_file.package, "lait.test.v1")
        (service,) = [s for s in echo_file.service if s.name == "Echo"]
        methods = {m.name: m for m in service.method}
        self.assertEqual(set(methods), {"Unary", "ServerStream", "ClientStream", "Bidi", "GetStats", "SetServing"})
        self.assertTrue(methods["Bidi"].client_streaming and methods["Bidi"].server_streaming)
        self.assertFalse(methods["Unary"].client_streaming or methods["Unary"].server_streaming)
        self.assertEqual(methods["Unary"].input_type, ".lait.test.v1.EchoRequest")
        # Loads into a fresh pool (with its dependencies), as grpcurl does.
        pool = descriptor_pool.DescriptorPool()
        for fdp in reversed(protos):
            pool.Add(fdp)
        fields = {f.name for f in pool.FindMessageTypeByName("lait.test.v1.EchoRequest").fields}
        self.assertIn("fail_message", fields)

    def test_file_containing_message_and_method_symbols(self):
        responses = self.ask(self.pb2.ServerReflectionRequest(file_containing_symbol="lait.test.v1.EchoRequest"),
                             self.pb2.ServerReflectionRequest(file_containing_symbol="lait.test.v1.Echo.Bidi"),
                             self.pb2.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.Health"))
        self.assertEqual(self.file_descriptors(responses[0])[0].name, "lait/test/v1/echo.proto")
        self.assertEqual(self.file_descriptors(responses[1])[0].name, "lait/test/v1/echo.proto")
        self.assertEqual(self.file_descriptors(responses[2])[0].package, "grpc.health.v1")

    def test_file_by_filename(self):
        (response,) = self.ask(self.pb2.ServerReflectionRequest(file_by_filename="lait/test/v1/echo.proto"))
        self.assertEqual(self.file_descriptors(response)[0].package, "lait.test.v1")

    def test_unknown_symbol_is_not_found_in_band(self):
        (response,) = self.ask(self.pb2.ServerReflectionRequest(file_containing_symbol="no.such.Symbol"))
        self.assertEqual(response.WhichOneof("message_response"), "error_response")
        self.assertEqual(response.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])

    def test_answers_in_order_on_one_stream(self):
        responses = self.ask(self.pb2.ServerReflectionRequest(list_services=""),
                             self.pb2.ServerReflectionRequest(file_containing_symbol="no.such.Symbol"),
                             self.pb2.ServerReflectionRequest(file_containing_symbol=ECHO_SERVICE))
        self.assertEqual([r.WhichOneof("message_response") for r in responses],
                         ["list_services_response", "error_response", "file_descriptor_response"])
        # grpcio's reflection echoes each request in original_request; Grpc.Reflection (the C#
        # server's package) leaves it unset. When it is set, it must be the request answered.
        if responses[2].HasField("original_request"):
            self.assertEqual(responses[2].original_request.file_containing_symbol, ECHO_SERVICE)


class ReflectionV1(_ReflectionTests, EchoTestCase):
    @classmethod
    def setUpClass(cls):
        cls.pb2, cls.pb2_grpc = stubs.reflection_v1_pb2, stubs.reflection_v1_pb2_grpc


class ReflectionV1Alpha(_ReflectionTests, EchoTestCase):
    @classmethod
    def setUpClass(cls):
        cls.pb2, cls.pb2_grpc = stubs.reflection_v1alpha_pb2, stubs.reflection_v1alpha_pb2_grpc


class Auth(EchoTestCase):
    target_env = "LAIT_INTEROP_AUTH_TARGET"

    def setUp(self):
        super().setUp()
        self.key = env("LAIT_INTEROP_API_KEY")
        self.good = (("authorization", f"Bearer {self.key}"),)

    def test_missing_key_is_unauthenticated_for_every_call_type(self):
        self.assert_status(grpc.StatusCode.UNAUTHENTICATED, self.echo.Unary, req(), timeout=WAIT_S)
        self.assert_status(grpc.StatusCode.UNAUTHENTICATED, self.echo.ServerStream, req(repeat=2), timeout=WAIT_S)
        self.assert_status(grpc.StatusCode.UNAUTHENTICATED, self.echo.ClientStream, iter([req()]), timeout=WAIT_S)
        self.assert_status(grpc.StatusCode.UNAUTHENTICATED, self.echo.Bidi, iter([req()]), timeout=WAIT_S)

    def test_wrong_key_is_unauthenticated(self):
        for value in (f"Bearer {self.key}x", f"Bearer {self.key[:-1]}", f"Basic {self.key}", self.key, "Bearer "):
            with self.subTest(authorization=value):
                self.assert_status(grpc.StatusCode.UNAUTHENTICATED, self.echo.Unary, req(),
                                   metadata=(("authorization", value),), timeout=WAIT_S)

    def test_right_key_is_accepted_for_every_call_type(self):
        self.assertEqual(self.echo.Unary(req(message="in"), metadata=self.good, timeout=WAIT_S).message, "in")
        self.assertEqual(len(list(self.echo.ServerStream(req(repeat=2), metadata=self.good, timeout=WAIT_S))), 2)
        self.assertEqual(self.echo.ClientStream(iter([req()]), metadata=self.good, timeout=WAIT_S).count, 1)
        self.assertEqual(len(list(self.echo.Bidi(iter([req(), req()]), metadata=self.good, timeout=WAIT_S))), 2)

    def test_health_is_exempt(self):
        health = stubs.health_pb2_grpc.HealthStub(self.channel)
        response = health.Check(stubs.health_pb2.HealthCheckRequest(service=""), timeout=WAIT_S)
        self.assertEqual(response.status, stubs.health_pb2.HealthCheckResponse.SERVING)


class Tls(EchoTestCase):
    target_env = "LAIT_INTEROP_TLS_TARGET"

    def make_channel(self, **kwargs):
        with open(env("LAIT_INTEROP_TLS_ROOT"), "rb") as f:
            root = f.read()
        options = []
        server_name = os.environ.get("LAIT_INTEROP_TLS_SERVER_NAME")
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        return grpc.secure_channel(self.target, grpc.ssl_channel_credentials(root_certificates=root), options=options, **kwargs)

    def test_every_call_type_over_tls(self):
        self.assertEqual(self.echo.Unary(req(message=NON_ASCII_MESSAGE), timeout=WAIT_S).message, NON_ASCII_MESSAGE)
        self.assertEqual(len(list(self.echo.ServerStream(req(repeat=3), timeout=WAIT_S))), 3)
        self.assertEqual(self.echo.ClientStream(iter([req(), req()]), timeout=WAIT_S).count, 2)
        self.assertEqual(len(list(self.echo.Bidi(iter([req(), req()]), timeout=WAIT_S))), 2)

    def test_error_status_over_tls(self):
        error = self.assert_status(grpc.StatusCode.NOT_FOUND, self.echo.Unary,
                                   req(fail_code=5, fail_message=NON_ASCII_MESSAGE), timeout=WAIT_S)
        self.assertEqual(error.details(), NON_ASCII_MESSAGE)

    def test_health_over_tls(self):
        health = stubs.health_pb2_grpc.HealthStub(self.channel)
        response = health.Check(stubs.health_pb2.HealthCheckRequest(service=""), timeout=WAIT_S)
        self.assertEqual(response.status, stubs.health_pb2.HealthCheckResponse.SERVING)

    def test_plaintext_client_cannot_talk_to_tls_port(self):
        with grpc.insecure_channel(self.target) as channel:
            echo = stubs.echo_pb2_grpc.EchoStub(channel)
            self.assert_status(grpc.StatusCode.UNAVAILABLE, echo.Unary, req(), timeout=5)

    def test_untrusted_certificate_is_rejected(self):
        with grpc.secure_channel(self.target, grpc.ssl_channel_credentials()) as channel:  # system roots only
            echo = stubs.echo_pb2_grpc.EchoStub(channel)
            self.assert_status(grpc.StatusCode.UNAVAILABLE, echo.Unary, req(), timeout=5)


AREAS = {
    "calls": [Calls],
    "errors": [Errors],
    "deadlines": [Deadlines],
    "cancellation": [Cancellation],
    "compression": [Compression],
    "limits": [Limits],
    "metadata": [Metadata],
    "exceptions": [Exceptions],
    "health": [Health],
    "reflection": [ReflectionV1, ReflectionV1Alpha],
    "auth": [Auth],
    "tls": [Tls],
}


class _NoSkipResult(unittest.TextTestResult):
    """A test that cannot find its server settings fails: a silent skip would hide a gap."""

    def addSkip(self, test, reason):
        try:
            raise AssertionError(f"not configured: {reason}")
        except AssertionError:
            self.addFailure(test, sys.exc_info())


def main():
    global stubs
    parser = argparse.ArgumentParser(description="gRPC interop suite (Python client)")
    parser.add_argument("--area", action="append", choices=sorted(AREAS), help="area to run (repeatable; default all)")
    parser.add_argument("--target", help="overrides LAIT_INTEROP_TARGET")
    parser.add_argument("-k", dest="pattern", help="run only tests whose name contains this")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.target:
        os.environ["LAIT_INTEROP_TARGET"] = args.target
    try:
        stubs = interop_protos.load_stubs()
    except RuntimeError as e:
        print(f"interop suite cannot start: {e}", file=sys.stderr)
        return 2

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for area in args.area or sorted(AREAS):
        for case in AREAS[area]:
            for test in loader.loadTestsFromTestCase(case):
                if not args.pattern or args.pattern in test.id():
                    suite.addTest(test)
    if suite.countTestCases() == 0:
        print("no tests selected", file=sys.stderr)
        return 2
    runner = unittest.TextTestRunner(verbosity=2, resultclass=_NoSkipResult, stream=sys.stdout)
    result = runner.run(suite)
    print(f"SUMMARY python interop: ran={result.testsRun} failures={len(result.failures)} errors={len(result.errors)}")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
