#!/usr/bin/env bash
# Checks deploy/ and the Dockerfile without a Docker engine or a cluster:
#   1. yamllint (deploy/.yamllint) over every YAML file in deploy/;
#   2. tests/Lait.Deploy.Tests without the publish test: our Dockerfile linter, and the structural
#      checks of deploy/k8s, deploy/compose.yaml and deploy/prometheus.yml (ports, probe service
#      names, LAIT_HOST, store path = volume mount, image name, settings the server really reads).
# scripts/check-publish.sh is the third check (it publishes and starts the server); the xunit
# project runs all three in the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

command -v yamllint >/dev/null || { echo "check-deploy: yamllint is missing (scripts/install-test-deps.sh installs it)" >&2; exit 1; }
/usr/bin/python3 -c 'import yaml' 2>/dev/null || { echo "check-deploy: python3-yaml is missing (scripts/install-test-deps.sh installs it)" >&2; exit 1; }

echo "check-deploy: yamllint deploy/"
yamllint --strict -c deploy/.yamllint deploy/

echo "check-deploy: Dockerfile lint and manifest structure (tests/Lait.Deploy.Tests)"
nice -n 10 dotnet test tests/Lait.Deploy.Tests -c Release --nologo -v quiet --filter "Category!=Publish"
echo "check-deploy: OK"
