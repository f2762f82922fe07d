#!/usr/bin/env bash
# Installs the Debian packages the test suite needs on a fresh machine (idempotent, quiet):
#  - python3-torch, python3-onnx, python3-numpy, python3-regex, libopenblas0-pthread, bible-kjv(-text): the model recipe smoke test
#  - chromium, libvulkan1: WebGPU (SwiftShader) tests in headless Chromium and onnxruntime-node's webgpu EP
# Skips what is already installed; needs root (or sudo) only when something is missing.
set -euo pipefail
pkgs=(python3-torch python3-onnx python3-numpy python3-regex libopenblas0-pthread bible-kjv bible-kjv-text chromium libvulkan1)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps: all present"
  exit 0
fi
echo "system deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system deps: done"
