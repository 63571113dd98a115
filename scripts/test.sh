#!/usr/bin/env bash
# Installs what the tests need and runs all of them: the whole xunit suite (which starts real
# Kestrel servers on 127.0.0.1, drives them from Python and Node, runs real FASTER stores on disk
# and a real redis-server) plus the repository checks.
set -euo pipefail
cd "$(dirname "$0")/.."
# These machines export OPENBLAS_CORETYPE=Haswell, which halves OpenBLAS speed (DESIGN.md §5).
unset OPENBLAS_CORETYPE
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bash scripts/install-test-deps.sh

dotnet build LaitGrpc.sln -c Release --nologo -v quiet
mkdir -p artifacts
log=artifacts/test-output.log
status=0
dotnet test LaitGrpc.sln -c Release --no-build --nologo -v quiet \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results 2>&1 | tee "$log" || status=$?

# One closing line over every test assembly.
passed=$(awk '/^ +Passed: +[0-9]+/ {s += $2} END {print s + 0}' "$log")
failed=$(awk '/^ +Failed: +[0-9]+/ {s += $2} END {print s + 0}' "$log")
skipped=$(awk '/^ +Skipped: +[0-9]+/ {s += $2} END {print s + 0}' "$log")
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
