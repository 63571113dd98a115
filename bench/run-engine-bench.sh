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
# Strictly single-threaded torch (OpenBLAS too) for the CPU-time comparison with the 1-thread engine.
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/python/torch_encoder.py --out "$DIR" --iterations "$ITER" --reuse-models --threads 1 --results torch_results_1thread.json
dotnet run -c Release --project bench/Lait.Bench.Engine -- "$DIR" --iterations "$ITER" --threads 2
# Single-threaded engine: its CPU time is the cleanest efficiency figure on a shared machine.
dotnet run -c Release --project bench/Lait.Bench.Engine -- "$DIR" --iterations "$ITER" --threads 1 --torch torch_results_1thread.json
