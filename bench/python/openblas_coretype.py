#!/usr/bin/python3
"""Prints the OPENBLAS_CORETYPE under which PyTorch's matmul is fastest on this machine ("" = unset).

The torch side of the engine benchmark must run in its best configuration. Debian's OpenBLAS 0.3.21
picks its kernels from the CPU model: on the Zen 5 machines the exported OPENBLAS_CORETYPE=Haswell
halved it, and on a newer Xeon its own detection fell back to Prescott (a quarter of the speed). So
each candidate is timed in a fresh process (the variable is read once, at load) on a batch-1 layer
shape, one thread, and the fastest wins. Progress goes to stderr.
"""
import os
import subprocess
import sys

CANDIDATES = ["", "Haswell", "SkylakeX", "Cooperlake", "SapphireRapids", "Zen"]
PROBE = """
import time, torch
torch.set_num_threads(1)
a, b = torch.randn(128, 384), torch.randn(384, 1536)
for _ in range(20): a @ b
best = 1e9
for _ in range(5):
    t = time.perf_counter()
    for _ in range(50): a @ b
    best = min(best, (time.perf_counter() - t) / 50)
print(2 * 128 * 384 * 1536 / best / 1e9)
"""


def main():
    results = {}
    for core in CANDIDATES:
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        env["OPENBLAS_NUM_THREADS"] = "1"
        if core:
            env["OPENBLAS_CORETYPE"] = core
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"  OPENBLAS_CORETYPE={core or '(unset)'}: failed", file=sys.stderr)
            continue
        results[core] = float(out.stdout.strip())
        print(f"  OPENBLAS_CORETYPE={core or '(unset)'}: {results[core]:.0f} GFLOP/s (torch matmul 128x384x1536, 1 thread)", file=sys.stderr)
    best = max(results, key=results.get)
    print(f"  torch's best: OPENBLAS_CORETYPE={best or '(unset)'}", file=sys.stderr)
    print(best)


if __name__ == "__main__":
    main()
