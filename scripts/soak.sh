#!/usr/bin/env bash
# The long part of the reliability suite (issue 8): a load run (64 EncodeSegment streams + 8 Combine
# callers, default 60 s) and 20 kill -9 crash cycles, each against a real server on 127.0.0.1.
# Results go to stdout and artifacts/soak-output.log; exit status 1 on any error, wrong answer or
# lost acknowledged segment. Usage: bash scripts/soak.sh [--duration 30] [--cycles 20] [--streams 64]
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE # halves OpenBLAS speed on these machines (DESIGN.md §5)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build bench/Lait.Bench.Load -c Release --nologo -v quiet
mkdir -p artifacts
log=artifacts/soak-output.log
{
  echo "soak run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet bench/Lait.Bench.Load/bin/Release/net10.0/Lait.Bench.Load.dll --mode both "$@"
} 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
