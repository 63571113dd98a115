#!/usr/bin/python3
"""The Python side of the transport benchmark (driven by Lait.Bench.Transport, which starts the
server and passes the same sizes and counts it uses for the C# client).

    python_client.py --target 127.0.0.1:PORT --unary N --warmup W --small-bytes B --stream SIZE:COUNT ... --bidi SIZE:COUNT ...

Prints one JSON object: unary latencies (microseconds, sorted) and, per streaming case, the
seconds it took. Debian's python3-grpcio; stubs generated at run time (tests/interop/python).
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "interop", "python"))
import interop_protos  # noqa: E402

import grpc  # noqa: E402

OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024), ("grpc.max_send_message_length", 64 * 1024 * 1024)]


def pair(text):
    size, count = text.split(":")
    return int(size), int(count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--unary", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--small-bytes", type=int, default=16)
    parser.add_argument("--stream", type=pair, action="append", default=[])
    parser.add_argument("--bidi", type=pair, action="append", default=[])
    args = parser.parse_args()

    stubs = interop_protos.load_stubs()
    pb = stubs.echo_pb2
    with grpc.insecure_channel(args.target, options=OPTIONS) as channel:
        echo = stubs.echo_pb2_grpc.EchoStub(channel)
        small = pb.EchoRequest(message="bench", payload=b"\x01" * args.small_bytes)
        for _ in range(args.warmup):
            echo.Unary(small, timeout=30)
        latencies = []
        for _ in range(args.unary):
            start = time.perf_counter_ns()
            echo.Unary(small, timeout=30)
            latencies.append((time.perf_counter_ns() - start) / 1000.0)
        latencies.sort()

        streams = []
        for size, count in args.stream:
            list(echo.ServerStream(pb.EchoRequest(repeat=min(count, 50), response_payload_size=size), timeout=120))  # warm-up
            start = time.perf_counter()
            received = 0
            payload_bytes = 0
            for response in echo.ServerStream(pb.EchoRequest(repeat=count, response_payload_size=size), timeout=600):
                received += 1
                payload_bytes += len(response.payload)
            seconds = time.perf_counter() - start
            assert received == count and payload_bytes == size * count, (received, payload_bytes)
            streams.append({"size": size, "count": count, "seconds": seconds})

        bidis = []
        for size, count in args.bidi:
            request = pb.EchoRequest(payload=b"\x02" * size)
            list(echo.Bidi(iter([request] * min(count, 50)), timeout=120))  # warm-up
            start = time.perf_counter()
            received = 0
            for response in echo.Bidi(iter([request] * count), timeout=600):
                received += 1
            seconds = time.perf_counter() - start
            assert received == count, received
            bidis.append({"size": size, "count": count, "seconds": seconds})

    print(json.dumps({"unary_us": latencies, "stream": streams, "bidi": bidis}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
