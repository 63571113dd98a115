#!/usr/bin/env bash
# Builds the service and starts it on its defaults: h2c on 127.0.0.1:50051, the embedded FASTER
# store under ./data/store, the default model under ./models. Extra arguments go to the server
# (see README: --port, --store-dir, --model-dir, --api-key, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish src/Lait.Server -c Release -o artifacts/server --nologo -v quiet
exec dotnet artifacts/server/Lait.Server.dll "$@"
