#!/usr/bin/python3
"""A reference lait.test.v1.Echo server on grpcio, with the CLI contract of
tests/Lait.Interop.EchoServer, used to prove that the interop suites themselves are right.

    reference_echo_server.py --port 0 [--api-key KEY] [--max-receive-bytes N] [--max-send-bytes N]
                             [--tls-cert file.pfx --tls-password PW]

Prints `LISTENING 127.0.0.1:<port>` once listening; serves until SIGTERM or stdin closes.
Hosts lait.test.v1.Echo, grpc.health.v1.Health ("" and "lait.test.v1.Echo" SERVING) and server
reflection (v1 and v1alpha). Responses are gzip-compressed, so the clients' decompression is
exercised too.

Echo semantics (see tests/protos/lait/test/v1/echo.proto):
- every response's `metadata` holds the request headers starting with "x-" (values of "-bin"
  headers base64-encoded, padded); request headers starting with "x-echo-" come back as response
  headers of the same name and, for ASCII ones, as trailers named "<name>-trailer".
- Unary: sleeps delay_ms, then throws (throw_exception) or fails (fail_code) or replies.
- ServerStream: `repeat` responses, delay_ms before each; fails or throws once fail_after
  responses were sent (at the end when fail_after >= repeat).
- ClientStream: reads every request (sleeping delay_ms after each); a request with
  throw_exception or fail_code ends the call right away; otherwise one reply with count and the
  messages joined by ",".
- Bidi: one reply per request (delay_ms before it); a request with throw_exception ends the call,
  a request with fail_code ends it when at least fail_after responses were sent.
- The exception text contains the request's message, so a client can check it does not leak.
- GetStats.cancelled_calls counts Echo calls that ended because the client cancelled or the
  deadline passed while the handler was still running.
"""

import argparse
import base64
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc
from google.protobuf import descriptor_pool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_protos  # noqa: E402

stubs = interop_protos.load_stubs()
echo_pb2 = stubs.echo_pb2
health_pb2 = stubs.health_pb2

ECHO_SERVICE = "lait.test.v1.Echo"


class _CallState:
    """Tracks whether a handler finished on its own or was cut off by cancel/deadline.

    grpcio runs termination callbacks only once every pending operation of the call is done, which
    for a bidi handler parked at `yield` can be never; so the servicer also polls is_active().
    """

    def __init__(self, servicer, context):
        self.finished = False
        self.cancelled = threading.Event()
        self.context = context
        self._servicer = servicer
        servicer.track(self)
        context.add_callback(self.check)

    def check(self):
        """Counts the call as cancelled once, if it ended while its handler was still running."""
        if self.finished or self.context.is_active():
            return
        with self._servicer.lock:
            if self.cancelled.is_set() or self.finished:
                return
            self.cancelled.set()
        self._servicer.count_cancelled()

    def ended_by_cancel(self):
        """After a request stream ends: grpcio may end the request iterator when the client
        cancels before it marks the call cancelled, so give the cancel a moment to show."""
        for _ in range(10):
            if not self.context.is_active():
                self.check()
                return True
            time.sleep(0.01)
        return False

    @property
    def done(self):
        return self.finished or self.cancelled.is_set()

    def sleep(self, delay_ms):
        """Sleeps, waking early on cancellation; returns False when the call was cancelled."""
        if delay_ms > 0:
            self.cancelled.wait(delay_ms / 1000.0)
        return not self.cancelled.is_set()


def _x_metadata(context):
    result = {}
    for key, value in context.invocation_metadata():
        if key.startswith("x-"):
            if key.endswith("-bin"):
                value = base64.b64encode(value).decode("ascii")
            result[key] = value
    return result


def _echo_headers(context):
    headers = []
    trailers = []
    for key, value in context.invocation_metadata():
        if key.startswith("x-echo-"):
            headers.append((key, value))
            if not key.endswith("-bin"):
                trailers.append((key + "-trailer", value))
    if headers:
        context.send_initial_metadata(headers)
    if trailers:
        context.set_trailing_metadata(trailers)


def _response(request, index, metadata):
    payload = request.payload
    if request.response_payload_size > 0:
        payload = b"\x5a" * request.response_payload_size
    return echo_pb2.EchoResponse(message=request.message, payload=payload, index=index, metadata=metadata)


class EchoServicer(stubs.echo_pb2_grpc.EchoServicer):
    def __init__(self, health):
        self.lock = threading.Lock()
        self._cancelled = 0
        self._completed = 0
        self._health = health
        self._live = set()
        threading.Thread(target=self._watch_live_calls, daemon=True).start()

    def track(self, state):
        with self.lock:
            self._live.add(state)

    def _watch_live_calls(self):
        while True:
            time.sleep(0.05)
            with self.lock:
                live = list(self._live)
            for state in live:
                state.check()
            with self.lock:
                self._live = {s for s in self._live if not s.done}

    def count_cancelled(self):
        with self.lock:
            self._cancelled += 1

    def _count_completed(self, state):
        state.finished = True
        with self.lock:
            self._completed += 1

    @staticmethod
    def _fail(state, context, request):
        state.finished = True
        if request.throw_exception:
            # What a production server does with a handler exception: log it, tell the client
            # only INTERNAL (grpcio alone would send UNKNOWN with the exception text).
            try:
                raise RuntimeError(f"reference handler exploded on purpose: {request.message}")
            except RuntimeError as e:
                print(f"handler exception: {e!r}", file=sys.stderr, flush=True)
            context.abort(grpc.StatusCode.INTERNAL, "internal server error")
        context.abort(_status_code(request.fail_code), request.fail_message)

    def Unary(self, request, context):
        state = _CallState(self, context)
        metadata = _x_metadata(context)
        _echo_headers(context)
        if not state.sleep(request.delay_ms):
            return echo_pb2.EchoResponse()
        if request.throw_exception or request.fail_code:
            self._fail(state, context, request)
        self._count_completed(state)
        return _response(request, 0, metadata)

    def ServerStream(self, request, context):
        state = _CallState(self, context)
        metadata = _x_metadata(context)
        _echo_headers(context)
        failing = request.throw_exception or request.fail_code
        for i in range(request.repeat):
            if failing and i == request.fail_after:
                self._fail(state, context, request)
            if not state.sleep(request.delay_ms):
                return
            yield _response(request, i, metadata)
        if failing:
            self._fail(state, context, request)
        self._count_completed(state)

    def ClientStream(self, request_iterator, context):
        state = _CallState(self, context)
        metadata = _x_metadata(context)
        _echo_headers(context)
        messages = []
        for request in request_iterator:
            if request.throw_exception or request.fail_code:
                self._fail(state, context, request)
            messages.append(request.message)
            if not state.sleep(request.delay_ms):
                return echo_pb2.EchoResponse()
        if state.ended_by_cancel():
            return echo_pb2.EchoResponse()
        self._count_completed(state)
        return echo_pb2.EchoResponse(message=",".join(messages), count=len(messages), metadata=metadata)

    def Bidi(self, request_iterator, context):
        state = _CallState(self, context)
        metadata = _x_metadata(context)
        _echo_headers(context)
        sent = 0
        for request in request_iterator:
            if request.throw_exception or (request.fail_code and sent >= request.fail_after):
                self._fail(state, context, request)
            if not state.sleep(request.delay_ms):
                return
            yield _response(request, sent, metadata)
            sent += 1
        if state.ended_by_cancel():
            return
        self._count_completed(state)

    def GetStats(self, request, context):
        with self.lock:
            return echo_pb2.StatsResponse(cancelled_calls=self._cancelled, completed_calls=self._completed)

    def SetServing(self, request, context):
        self._health.set(request.service, request.serving)
        return self.GetStats(echo_pb2.StatsRequest(), context)


def _status_code(code):
    for status in grpc.StatusCode:
        if status.value[0] == code:
            return status
    return grpc.StatusCode.UNKNOWN


class HealthServicer(stubs.health_pb2_grpc.HealthServicer):
    def __init__(self):
        self._cond = threading.Condition()
        self._status = {"": health_pb2.HealthCheckResponse.SERVING, ECHO_SERVICE: health_pb2.HealthCheckResponse.SERVING}

    def set(self, service, serving):
        with self._cond:
            self._status[service] = (
                health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
            )
            self._cond.notify_all()

    def Check(self, request, context):
        with self._cond:
            status = self._status.get(request.service)
        if status is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return health_pb2.HealthCheckResponse(status=status)

    def Watch(self, request, context):
        last = None
        while context.is_active():
            with self._cond:
                status = self._status.get(request.service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
                if status == last:
                    self._cond.wait(0.2)
                    continue
            last = status
            yield health_pb2.HealthCheckResponse(status=status)


def make_reflection_servicer(pb2, pb2_grpc, service_names):
    class ReflectionServicer(pb2_grpc.ServerReflectionServicer):
        def ServerReflectionInfo(self, request_iterator, context):
            pool = descriptor_pool.Default()
            for request in request_iterator:
                response = pb2.ServerReflectionResponse(valid_host=request.host, original_request=request)
                kind = request.WhichOneof("message_request")
                try:
                    if kind == "list_services":
                        for name in service_names:
                            response.list_services_response.service.add(name=name)
                    elif kind == "file_containing_symbol":
                        file = pool.FindFileContainingSymbol(request.file_containing_symbol)
                        response.file_descriptor_response.file_descriptor_proto.append(file.serialized_pb)
                    elif kind == "file_by_filename":
                        file = pool.FindFileByName(request.file_by_filename)
                        response.file_descriptor_response.file_descriptor_proto.append(file.serialized_pb)
                    else:
                        response.error_response.error_code = grpc.StatusCode.UNIMPLEMENTED.value[0]
                        response.error_response.error_message = "not supported"
                except KeyError:
                    response.error_response.error_code = grpc.StatusCode.NOT_FOUND.value[0]
                    response.error_response.error_message = "not found"
                yield response

    return ReflectionServicer()


class ApiKeyInterceptor(grpc.ServerInterceptor):
    """Requires `authorization: Bearer <key>` on every call except health checks."""

    def __init__(self, api_key):
        self._expected = f"Bearer {api_key}"

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith("/grpc.health.v1.Health/"):
            return handler
        metadata = dict(handler_call_details.invocation_metadata)
        if metadata.get("authorization") == self._expected:
            return handler

        def deny(request_or_iterator, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong API key")

        if handler.request_streaming and handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(deny)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(deny)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(deny)
        return grpc.unary_unary_rpc_method_handler(deny)


def _pfx_to_pem(pfx_path, password):
    """Splits a PKCS#12 file into (private key PEM, certificate chain PEM) with the openssl CLI."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "all.pem")
        for legacy in ([], ["-legacy"]):
            cmd = ["openssl", "pkcs12", "-in", pfx_path, "-nodes", "-passin", f"pass:{password}", "-out", out] + legacy
            if subprocess.run(cmd, capture_output=True).returncode == 0:
                break
        else:
            raise RuntimeError(f"openssl could not read {pfx_path}")
        with open(out, "rb") as f:
            text = f.read().decode("ascii", "replace")
    key_start = text.index("-----BEGIN PRIVATE KEY-----")
    key_end = text.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")
    certs = []
    rest = text
    while "-----BEGIN CERTIFICATE-----" in rest:
        start = rest.index("-----BEGIN CERTIFICATE-----")
        end = rest.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
        certs.append(rest[start:end])
        rest = rest[end:]
    return (text[key_start:key_end] + "\n").encode(), ("\n".join(certs) + "\n").encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key")
    parser.add_argument("--max-receive-bytes", type=int)
    parser.add_argument("--max-send-bytes", type=int)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-password", default="")
    args = parser.parse_args()

    options = []
    if args.max_receive_bytes:
        options.append(("grpc.max_receive_message_length", args.max_receive_bytes))
    if args.max_send_bytes:
        options.append(("grpc.max_send_message_length", args.max_send_bytes))
    interceptors = [ApiKeyInterceptor(args.api_key)] if args.api_key else []
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=64),
        options=options,
        interceptors=interceptors,
        compression=grpc.Compression.Gzip,
        maximum_concurrent_rpcs=None,
    )
    health = HealthServicer()
    stubs.health_pb2_grpc.add_HealthServicer_to_server(health, server)
    stubs.echo_pb2_grpc.add_EchoServicer_to_server(EchoServicer(health), server)
    service_names = [ECHO_SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                     "grpc.reflection.v1alpha.ServerReflection"]
    stubs.reflection_v1_pb2_grpc.add_ServerReflectionServicer_to_server(
        make_reflection_servicer(stubs.reflection_v1_pb2, stubs.reflection_v1_pb2_grpc, service_names), server)
    stubs.reflection_v1alpha_pb2_grpc.add_ServerReflectionServicer_to_server(
        make_reflection_servicer(stubs.reflection_v1alpha_pb2, stubs.reflection_v1alpha_pb2_grpc, service_names), server)

    address = f"127.0.0.1:{args.port}"
    if args.tls_cert:
        key, chain = _pfx_to_pem(args.tls_cert, args.tls_password)
        port = server.add_secure_port(address, grpc.ssl_server_credentials([(key, chain)]))
    else:
        port = server.add_insecure_port(address)
    server.start()
    print(f"LISTENING 127.0.0.1:{port}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    while not stop.wait(0.5):
        pass
    server.stop(grace=0.5).wait()


if __name__ == "__main__":
    main()
