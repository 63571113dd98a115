#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently: Debian packages (real peers: Python
# gRPC, protoc for Python stubs, redis-server, linters) and the Node interop client's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  python3 python3-grpcio python3-protobuf   # Python interop client
  protobuf-compiler protobuf-compiler-grpc  # protoc 3.21 + grpc_python_plugin for Python stubs
  libprotobuf-dev                           # google/protobuf/descriptor.proto (imported by google/api/annotations.proto)
  redis-server                              # Redis store backend tests
  yamllint python3-yaml                     # deploy/ manifests (lint, structural checks)
  openssl                                   # TLS test certificates (interop reference server)
  libopenblas0-pthread                      # OpenBLAS GEMM backend (engine tests compare it with ours)
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node interop client (@grpc/grpc-js); npm ci when a lock file exists keeps versions pinned.
for dir in tests/interop/node clients/node; do
  if [ -f "$dir/package.json" ]; then
    if [ -f "$dir/package-lock.json" ]; then (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    else (cd "$dir" && npm install --no-audit --no-fund --loglevel=error); fi
  fi
done
