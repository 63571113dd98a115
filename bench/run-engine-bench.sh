#!/bin/sh
# Engine vs PyTorch 1.13 on the same random weights, inputs and thread count, in one run.
# Both sides run with OPENBLAS_CORETYPE unset (the machines export Haswell, which halves OpenBLAS).
# Usage: bench/run-engine-bench.sh [BENCH_DIR] [ITERATIONS]
set -eu
cd "$(dirname "$0")/.."
DIR=${1:-/tmp/lait-engine-bench}
ITER=${2:-15}
unset OPENBLAS_CORETYPE
/usr/bin/python3 bench/python/torch_encoder.py --out "$DIR" --iterations "$ITER"
dotnet run -c Release --project bench/Lait.Bench.Engine -- "$DIR" --iterations "$ITER" --threads 2
