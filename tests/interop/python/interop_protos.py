"""Generates the Python stubs the interop suite and the reference server need, at run time.

Stubs are never committed: they are written by Debian's protoc 3.21 (protobuf-compiler) and its
gRPC plugin (protobuf-compiler-grpc) into a fresh temporary folder that is put first on sys.path.
Debian's python3-grpc-tools is not used: its bundled protoc 3.5 rejects proto3 `optional`.

Proto roots are chosen so that no generated package is called `grpc` (it would shadow grpcio):
  tests/protos  -> lait/test/v1/echo_pb2.py         (file name "lait/test/v1/echo.proto")
  protos/grpc   -> health/v1/health_pb2.py, reflection/v1/reflection_pb2.py, ...
"""

import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"
INSTALL_HINT = "run scripts/install-test-deps.sh (needs protobuf-compiler, protobuf-compiler-grpc, python3-grpcio, python3-protobuf)"

_generated = None


class Stubs:
    """The generated modules, by role."""

    def __init__(self):
        self.echo_pb2 = importlib.import_module("lait.test.v1.echo_pb2")
        self.echo_pb2_grpc = importlib.import_module("lait.test.v1.echo_pb2_grpc")
        self.health_pb2 = importlib.import_module("health.v1.health_pb2")
        self.health_pb2_grpc = importlib.import_module("health.v1.health_pb2_grpc")
        self.reflection_v1_pb2 = importlib.import_module("reflection.v1.reflection_pb2")
        self.reflection_v1_pb2_grpc = importlib.import_module("reflection.v1.reflection_pb2_grpc")
        self.reflection_v1alpha_pb2 = importlib.import_module("reflection.v1alpha.reflection_pb2")
        self.reflection_v1alpha_pb2_grpc = importlib.import_module("reflection.v1alpha.reflection_pb2_grpc")


def _protoc(include_dir, files, out_dir):
    cmd = [
        "protoc",
        f"--plugin=protoc-gen-grpc_python={GRPC_PYTHON_PLUGIN}",
        f"-I{include_dir}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
    ] + files
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"protoc failed ({' '.join(cmd)}):\n{result.stderr}")


def load_stubs():
    """Generates the stubs once per process and imports them."""
    global _generated
    if _generated is not None:
        return _generated
    if shutil.which("protoc") is None or not os.path.exists(GRPC_PYTHON_PLUGIN):
        raise RuntimeError(f"protoc or {GRPC_PYTHON_PLUGIN} is missing: {INSTALL_HINT}")
    try:
        import grpc  # noqa: F401
        import google.protobuf  # noqa: F401
    except ImportError as e:
        raise RuntimeError(f"{e}: {INSTALL_HINT}") from e

    out_dir = tempfile.mkdtemp(prefix="lait-interop-stubs-")
    atexit.register(shutil.rmtree, out_dir, True)
    _protoc(os.path.join(REPO_ROOT, "tests", "protos"), ["lait/test/v1/echo.proto"], out_dir)
    _protoc(
        os.path.join(REPO_ROOT, "protos", "grpc"),
        ["health/v1/health.proto", "reflection/v1/reflection.proto", "reflection/v1alpha/reflection.proto"],
        out_dir,
    )
    sys.path.insert(0, out_dir)
    _generated = Stubs()
    return _generated
