#!/usr/bin/python3
"""Runs the interop suites against servers started here, without dotnet test.

    /usr/bin/python3 tests/interop/run_matrix.py [--server reference|csharp|"CMD ..."] [--suite python|node|both]
                                                  [--area AREA ...]

Starts three servers with the EchoServer CLI contract (plain with size limits, --api-key, TLS
with a self-signed certificate made here by openssl), exports the LAIT_INTEROP_* settings the
suites read, runs the suites and stops the servers. `reference` is
tests/interop/python/reference_echo_server.py; `csharp` is the built
tests/Lait.Interop.EchoServer (Release). The xunit project tests/Lait.Interop.Tests does the
same for the C# server under `dotnet test`.
"""

import argparse
import glob
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MAX_RECEIVE = 1024 * 1024
MAX_SEND = 1024 * 1024
API_KEY = "interop-key-3f9c"
TLS_PASSWORD = "interop-pw"


def server_command(name):
    if name == "reference":
        return ["/usr/bin/python3", os.path.join(HERE, "python", "reference_echo_server.py")]
    if name == "csharp":
        dlls = glob.glob(os.path.join(REPO, "tests", "Lait.Interop.EchoServer", "bin", "Release", "*", "Lait.Interop.EchoServer.dll"))
        if not dlls:
            sys.exit("build it first: dotnet build tests/Lait.Interop.EchoServer -c Release")
        return ["dotnet", dlls[0]]
    return shlex.split(name)


def start(cmd, extra):
    proc = subprocess.Popen(cmd + ["--port", "0"] + extra, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("LISTENING "):
            return proc, line.split()[1]
    proc.kill()
    sys.exit(f"server did not start: {cmd + extra}")


def make_certificate(folder):
    key, cert, pfx = (os.path.join(folder, n) for n in ("key.pem", "cert.pem", "cert.pfx"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", key, "-in", cert, "-out", pfx,
                    "-passout", f"pass:{TLS_PASSWORD}"], check=True, capture_output=True)
    return cert, pfx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="reference")
    parser.add_argument("--suite", default="both", choices=["python", "node", "both"])
    parser.add_argument("--area", action="append", default=[])
    args = parser.parse_args()
    cmd = server_command(args.server)
    procs = []
    with tempfile.TemporaryDirectory(prefix="lait-interop-") as tmp:
        cert, pfx = make_certificate(tmp)
        try:
            plain, plain_addr = start(cmd, ["--max-receive-bytes", str(MAX_RECEIVE), "--max-send-bytes", str(MAX_SEND)])
            procs.append(plain)
            auth, auth_addr = start(cmd, ["--api-key", API_KEY])
            procs.append(auth)
            tls, tls_addr = start(cmd, ["--tls-cert", pfx, "--tls-password", TLS_PASSWORD])
            procs.append(tls)
            env = dict(os.environ,
                       LAIT_INTEROP_TARGET=plain_addr,
                       LAIT_INTEROP_MAX_RECEIVE_BYTES=str(MAX_RECEIVE),
                       LAIT_INTEROP_MAX_SEND_BYTES=str(MAX_SEND),
                       LAIT_INTEROP_AUTH_TARGET=auth_addr,
                       LAIT_INTEROP_API_KEY=API_KEY,
                       LAIT_INTEROP_TLS_TARGET=tls_addr,
                       LAIT_INTEROP_TLS_ROOT=cert)
            rc = 0
            if args.suite in ("python", "both"):
                area_args = [a for area in args.area for a in ("--area", area)]
                rc |= subprocess.run(["/usr/bin/python3", os.path.join(HERE, "python", "interop_test.py")] + area_args, env=env).returncode
            if args.suite in ("node", "both"):
                node_dir = os.path.join(HERE, "node")
                files = [os.path.join(node_dir, "test", f"{a}.test.js") for a in args.area] or \
                    sorted(glob.glob(os.path.join(node_dir, "test", "*.test.js")))
                rc |= subprocess.run(["node", "--test", "--test-concurrency=1", "--test-reporter=spec"] + files, env=env, cwd=node_dir).returncode
            return rc
        finally:
            for p in procs:
                p.stdin.close()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    sys.exit(main())
