#!/bin/sh
# Engine vs PyTorch 1.13 on the same random weights, inputs and thread count, in one run.
# Torch runs under the OPENBLAS_CORETYPE that makes it fastest on this machine (probed first: the
# machines' exported value and OpenBLAS's own CPU detection have each been wrong on some machine);
# the engine's OpenBLAS backend picks its core type from the CPU's features itself.
# Usage: bench/run-engine-bench.sh [BENCH_DIR] [ITERATIONS]
set -eu
cd "$(dirname "$0")/.."
DIR=${1:-/tmp/lait-engine-bench}
ITER=${2:-30}
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "installing python3-torch (Debian) for the PyTorch side"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
# Build first and stop the build servers: a run started right after a build was measurably slower.
dotnet build bench/Lait.Bench.Engine -c Release --nologo -v quiet >/dev/null
dotnet build-server shutdown >/dev/null 2>&1 || true
ENGINE="dotnet bench/Lait.Bench.Engine/bin/Release/net10.0/Lait.Bench.Engine.dll"
unset OPENBLAS_CORETYPE
CORETYPE=$(/usr/bin/python3 bench/python/openblas_coretype.py)
torch_env() { if [ -n "$CORETYPE" ]; then env OPENBLAS_CORETYPE="$CORETYPE" "$@"; else "$@"; fi; }
torch_env /usr/bin/python3 bench/python/torch_encoder.py --out "$DIR" --iterations "$ITER"
# Strictly single-threaded torch (OpenBLAS too) for the CPU-time comparison with the 1-thread engine.
torch_env env OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/python/torch_encoder.py --out "$DIR" --iterations "$ITER" --reuse-models --threads 1 --results torch_results_1thread.json
# The default (managed) backend at 2 threads, then at 1 thread (its CPU time is the cleanest efficiency
# figure on a shared machine), then our OpenBLAS backend in its own process.
$ENGINE "$DIR" --iterations "$ITER" --threads 2 --no-openblas
$ENGINE "$DIR" --iterations "$ITER" --threads 1 --no-openblas --torch torch_results_1thread.json
$ENGINE "$DIR" --iterations "$ITER" --threads 2 --openblas-only
