#!/usr/bin/env bash
# First call of a two-call GPU kit (scripts/gpu-bench.sh pack, when kit + tree exceed one call's
# 64 MiB): this folder (.gpu-kit-bin/) carries the two large binaries — Node 24 and onnxruntime-node's
# library, xz'd — and this script unpacks them into $WORK/stage on the device machine, where the
# second call (bash .gpu-kit/run.sh, carry .gpu-kit) finds them while the machine stays warm.
#   bash .gpu-kit-bin/stage.sh
set -eu
BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${WORK:-/tmp/gpukit-work}"
T0=$(date +%s)
unxz_to() { # SRC.xz DEST
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"; else
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
(cd "$BIN" && sha256sum -c --quiet manifest.sha256)
rm -rf "$WORK/stage" && mkdir -p "$WORK/stage"
unxz_to "$BIN/node.xz" "$WORK/stage/node" && chmod +x "$WORK/stage/node"
unxz_to "$BIN/libonnxruntime.so.1.xz" "$WORK/stage/libonnxruntime.so.1"
"$WORK/stage/node" -e 'process.exit(0)'
cp "$BIN/stage.id" "$WORK/stage/stage.id"
echo "staged $(cat "$BIN/stage.id") in $WORK/stage in $(($(date +%s) - T0)) s: node $("$WORK/stage/node" --version)," \
  "libonnxruntime.so.1 $(stat -c %s "$WORK/stage/libonnxruntime.so.1") bytes"
echo "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || echo none)"
echo "next, within the machine's idle window: scripts/gpu-bench.sh aside 2, then the device call bash .gpu-kit/run.sh (carry .gpu-kit)"
