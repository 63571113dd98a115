#!/usr/bin/env python3
"""Generates the lait.v1 Python stubs into src/lait_client/_proto/ from the repository's protos/.

Uses Debian's protoc 3.21 (protobuf-compiler) and its gRPC plugin (protobuf-compiler-grpc).
Debian's python3-grpc-tools is not used: its bundled protoc 3.5 is too old for these protos.

protoc writes `from lait.v1 import lait_pb2` into the gRPC stub; that import is rewritten to
point inside the package so that the stubs need no sys.path changes and cannot clash with
another copy of the protos in the same program.

Usage: python3 generate_stubs.py [--protos DIR]   (DIR defaults to ../../protos)
"""

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTOS = os.path.normpath(os.path.join(HERE, "..", "..", "protos"))
OUT_DIR = os.path.join(HERE, "src", "lait_client", "_proto")
PROTOC = "/usr/bin/protoc"
PLUGIN = "/usr/bin/grpc_python_plugin"
# lait.proto imports google/api/annotations.proto (its JSON routes; vendored in protos/), which
# imports google/protobuf/descriptor.proto from Debian's libprotobuf-dev.
PROTO_FILES = ["lait/v1/lait.proto", "google/api/annotations.proto", "google/api/http.proto"]
WELL_KNOWN = "/usr/include"
HINT = "run scripts/install-test-deps.sh (needs protobuf-compiler, protobuf-compiler-grpc and libprotobuf-dev)"


def generate(protos_dir=DEFAULT_PROTOS):
    for tool in (PROTOC, PLUGIN, os.path.join(WELL_KNOWN, "google", "protobuf", "descriptor.proto")):
        if not os.path.exists(tool):
            raise SystemExit(f"{tool} is missing: {HINT}")
    shutil.rmtree(OUT_DIR, ignore_errors=True)
    os.makedirs(OUT_DIR)
    cmd = [
        PROTOC,
        f"--plugin=protoc-gen-grpc_python={PLUGIN}",
        f"-I{protos_dir}",
        f"-I{WELL_KNOWN}",
        f"--python_out={OUT_DIR}",
        f"--grpc_python_out={OUT_DIR}",
    ] + PROTO_FILES
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"protoc failed ({' '.join(cmd)}):\n{result.stderr}")
    # Make every generated folder a package and the cross-file imports package-relative.
    for root, _dirs, files in os.walk(OUT_DIR):
        open(os.path.join(root, "__init__.py"), "a").close()
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            fixed = (text.replace("from lait.v1 import", "from lait_client._proto.lait.v1 import")
                     .replace("from google.api import", "from lait_client._proto.google.api import"))
            if fixed != text:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(fixed)
    return OUT_DIR


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protos", default=DEFAULT_PROTOS, help="folder holding lait/v1/lait.proto")
    args = parser.parse_args()
    out = generate(args.protos)
    print(f"stubs written to {out}")


if __name__ == "__main__":
    sys.exit(main())
