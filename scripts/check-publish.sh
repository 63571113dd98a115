#!/usr/bin/env bash
# The container image without a Docker engine: performs the Dockerfile's publish step on the host
# into a temporary /app, starts the output the way the image's ENTRYPOINT does (its WORKDIR, its
# ENV read from the Dockerfile), waits until `--probe` (the HEALTHCHECK command) exits 0, checks that
# /metrics answers, stops the server with SIGTERM and requires exit code 0.
#
# Deviations from the image, all for a shared host: LAIT_HOST=127.0.0.1 instead of 0.0.0.0, free
# ports instead of 50051/9464, a temporary store directory instead of the volume, and --model-dir (or
# the tests' tiny model when models/lait-nli-minilm is not in the checkout) instead of the default model.
#
#   scripts/check-publish.sh [--no-build] [--configuration Release] [--model-dir DIR] [--timeout SECONDS]
#     --no-build    publish the existing build (the test command builds first)
#     --model-dir   model folder to serve instead of the image's default model
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

no_build=()
configuration=Release
model_dir=""
timeout_s=90
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) no_build=(--no-build); shift ;;
    --configuration) configuration="$2"; shift 2 ;;
    --model-dir) model_dir="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    *) echo "check-publish: unknown option $1" >&2; exit 2 ;;
  esac
done
unset OPENBLAS_CORETYPE
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work=$(mktemp -d "${TMPDIR:-/tmp}/lait-check-publish.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "check-publish: FAIL: $*" >&2; [ -f "$work/server.log" ] && tail -n 40 "$work/server.log" >&2; exit 1; }

# --- What the image does, read from the Dockerfile itself ------------------------------------
# Instructions of the final stage with line continuations joined.
final_stage=$(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' Dockerfile | awk '/^FROM /{buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}')
workdir=$(printf '%s\n' "$final_stage" | awk '$1=="WORKDIR"{w=$2} END{print w}')
entrypoint=$(printf '%s\n' "$final_stage" | awk '$1=="ENTRYPOINT"{sub(/^ENTRYPOINT[ \t]+/, ""); e=$0} END{print e}')
env_pairs=$(printf '%s\n' "$final_stage" | awk '$1=="ENV"{for (i = 2; i <= NF; i++) print $i}')
[ "$workdir" = "/app" ] || fail "the final stage's WORKDIR is '$workdir', this script maps /app"
# ENTRYPOINT ["dotnet", "/app/Lait.Server.dll"] -> its words, /app mapped to the temporary app dir.
mapfile -t entry_words < <(printf '%s' "$entrypoint" | tr -d '[]' | tr ',' '\n' | sed -e 's/^[ \t]*"//' -e 's/"[ \t]*$//')
[ "${#entry_words[@]}" -ge 2 ] || fail "cannot read the exec-form ENTRYPOINT: $entrypoint"
app="$work/app"
for i in "${!entry_words[@]}"; do entry_words[$i]="${entry_words[$i]/#\/app/$app}"; done

# --- Publish, as the build stage does --------------------------------------------------------
echo "check-publish: dotnet publish -> $app"
nice -n 10 dotnet publish src/Lait.Server/Lait.Server.csproj -c "$configuration" --nologo -v quiet "${no_build[@]}" -o "$app" >"$work/publish.log" 2>&1 \
  || { cat "$work/publish.log" >&2; fail "dotnet publish failed"; }
[ -f "$app/Lait.Server.dll" ] || fail "the publish output has no Lait.Server.dll"

# --- The image's environment, then the host deviations ---------------------------------------
declare -A image_env=()
while IFS='=' read -r key value; do
  [ -n "$key" ] && image_env[$key]="$value"
done <<<"$env_pairs"
for required in LAIT_HOST LAIT_PORT LAIT_METRICS_PORT LAIT_STORE_DIR; do
  [ -n "${image_env[$required]:-}" ] || fail "the Dockerfile sets no $required"
done

# The image copies models/lait-nli-minilm to /app/models/lait-nli-minilm: copy it the same way, unless
# --model-dir names another model (or the default model is not in this checkout).
default_model_src="models/lait-nli-minilm"
if [ -z "$model_dir" ] && [ -f "$default_model_src/config.json" ]; then
  mkdir -p "$app/models"
  cp -r "$default_model_src" "$app/models/"
  model_env="${image_env[LAIT_MODEL_DIRS]:-}"
  model_env="${model_env//\/app/$app}"
else
  if [ -z "$model_dir" ]; then
    model_dir="$work/tiny-model"
    echo "check-publish: $default_model_src is missing; writing the tests' tiny model"
    nice -n 10 dotnet run tests/Lait.Deploy.Tests/Tools/write-tiny-model.cs -- "$model_dir" >"$work/tiny.log" 2>&1 \
      || { cat "$work/tiny.log" >&2; fail "could not write the tiny model"; }
  fi
  [ -f "$model_dir/config.json" ] || fail "no model at $model_dir"
  model_env="tiny=$model_dir"
fi

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
grpc_port=$(free_port)
metrics_port=$(free_port)
while [ "$metrics_port" = "$grpc_port" ]; do metrics_port=$(free_port); done

# Only the image's environment reaches the server (env -i), plus what dotnet needs to be found.
run_env=(env -i "PATH=$PATH" "HOME=${HOME:-/tmp}")
[ -n "${DOTNET_ROOT:-}" ] && run_env+=("DOTNET_ROOT=$DOTNET_ROOT")
for key in "${!image_env[@]}"; do run_env+=("$key=${image_env[$key]}"); done
run_env+=(LAIT_HOST=127.0.0.1 "LAIT_PORT=$grpc_port" "LAIT_METRICS_PORT=$metrics_port"
          "LAIT_STORE_DIR=$work/store" "LAIT_MODEL_DIRS=$model_env")
if [ -n "${image_env[LAIT_DEFAULT_MODEL]:-}" ] && [ "${model_env%%=*}" = "tiny" ]; then run_env+=(LAIT_DEFAULT_MODEL=tiny); fi

# --- Start as ENTRYPOINT does, probe as HEALTHCHECK does --------------------------------------
echo "check-publish: starting ${entry_words[*]} on 127.0.0.1:$grpc_port (metrics $metrics_port)"
(cd "$app" && exec "${run_env[@]}" "${entry_words[@]}") >"$work/server.log" 2>&1 &
server_pid=$!

probe() { (cd "$app" && "${run_env[@]}" dotnet "$app/Lait.Server.dll" --probe "$1") >>"$work/probe.log" 2>&1; }
deadline=$((SECONDS + timeout_s))
until probe lait.v1.Lait; do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited during start-up"
  [ "$SECONDS" -lt "$deadline" ] || fail "no SERVING from --probe lait.v1.Lait within ${timeout_s}s"
  sleep 1
done
echo "check-publish: --probe lait.v1.Lait exited 0 (SERVING)"
probe "" || fail "--probe of the overall health service (\"\") did not exit 0"

metrics=$(/usr/bin/python3 - "$metrics_port" <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5) as r:
    body = r.read().decode()
    print(r.status, r.headers.get("Content-Type", ""))
    print(body)
EOF
) || fail "GET /metrics failed"
first=$(printf '%s\n' "$metrics" | head -n 1)
case "$first" in 200\ text/plain*) ;; *) fail "GET /metrics answered '$first'" ;; esac
printf '%s\n' "$metrics" | grep -q '^# TYPE ' || fail "/metrics has no Prometheus '# TYPE' line"
echo "check-publish: GET /metrics answered $first"

# --- Stop as docker stop / the kubelet does ---------------------------------------------------
kill -TERM "$server_pid"
stop_deadline=$((SECONDS + 30))
while kill -0 "$server_pid" 2>/dev/null; do
  [ "$SECONDS" -lt "$stop_deadline" ] || fail "the server did not exit within 30s of SIGTERM"
  sleep 0.2
done
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" -eq 0 ] || fail "the server exited with $rc after SIGTERM (expected 0)"
echo "check-publish: SIGTERM -> exit 0"
echo "check-publish: OK"
