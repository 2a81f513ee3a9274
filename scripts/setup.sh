#!/usr/bin/env bash
# Installs what tinyforge needs on Debian 12: the toolchains and emulators from apt (when missing and
# when run as root or with sudo), then the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf gcc-xtensa-lx106 flatbuffers-compiler socat udev gcc make cmake chromium openocd redis-server libonnx-testdata)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >&2
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # onnxruntime-node's install script fetches only GPU parts (.npmrc says the same)
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >&2
fi
