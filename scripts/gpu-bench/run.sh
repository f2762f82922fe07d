#!/usr/bin/env bash
# GPU kit runner: what the device machine executes, from the repository root, as
#   bash .gpu-kit/run.sh [--quick] [--budget-s 470] [--cpu-threads N]
# (scripts/gpu-bench.sh pack copies this file to .gpu-kit/run.sh). Writes $OUT/gpu-bench.json,
# $OUT/gpu-bench.md and $OUT/gpu-bench.log — three files, within what comes back from a device run.
#
# Steps, each under its own timeout and all under one deadline (--budget-s, default 470 s: the
# whole fits in 8 minutes with the unpacking and the report). A step that fails or times out is
# recorded as such and the next one runs:
#   setup            unpack node + onnxruntime-node's library (xz, or Python's lzma without xz)
#   vulkan           libvulkan.so.1 from the kit's .deb files when the machine has none (dpkg -x to /);
#                    the ICD: NVIDIA's when present, else SwiftShader's (the CPU rehearsal)
#   tokenize         the prompts as token ids (the peer starts from the same ids)
#   passcost-webgpu  pass cost by S on onnxruntime-node's WebGPU EP (passcost.mjs)
#   bench-webgpu-ar  dynamo bench --device webgpu --modes ar,dynamo (ar, dynamo@eps, dynamo-chain@P)
#   bench-webgpu-verified  dynamo bench --device webgpu --modes verified (resolver's choice, trees at
#                    several budgets, chains, n-gram, draft head, assistant when the kit has one)
#   hf-peer          transformers generate() on the same weights on CUDA (hf_peer.py)
#   ort-python       pass cost by S through the machine's Python onnxruntime, every EP it has
#                    (ort_passcost.py: runs even from a lite kit, without Node)
#   bench-cpu        dynamo bench --device cpu (the CPU EP: reference on the same machine)
#   passcost-cpu     pass cost by S on the CPU EP
#   report           report.py: gpu-bench.json + gpu-bench.md
set -u
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(pwd)"
OUT="${OUT:-/tmp/gpu-bench-out}"
WORK="${WORK:-/tmp/gpukit-work}"
QUICK=0
BUDGET=470
CPU_THREADS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --budget-s) BUDGET="$2"; shift ;;
    --cpu-threads) CPU_THREADS="$2"; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$OUT" "$WORK"
rm -f "$WORK"/*.json "$WORK"/*.log "$WORK"/*.txt 2>/dev/null
LOG="$OUT/gpu-bench.log"
: >"$LOG"
START=$(date +%s)
DEADLINE=$((START + BUDGET))
MODEL="${MODEL:-$ROOT/packages/model-tiny/model}"
ASSISTANT="${ASSISTANT:-$ROOT/packages/model-tiny-assistant/model}"
[ -f "$ASSISTANT/onnx/model.onnx" ] || [ -f "$ASSISTANT/dynamo.json" ] || ASSISTANT=""
[ -n "$CPU_THREADS" ] || CPU_THREADS=$(($(nproc) >= 8 ? 4 : 1))
PYTHON="${PYTHON:-python3}" # the device's python3 holds torch + transformers
STEPS="$WORK/steps.txt"
: >"$STEPS"

say() { echo "[gpu-kit $(($(date +%s) - START))s] $*" | tee -a "$LOG" >&2; }

# step NAME MAX_SECONDS RESERVE_SECONDS -- command...: runs under min(MAX, time left - RESERVE), both
# given for the default 470 s budget and scaled with --budget-s (RESERVE: what the later steps keep)
step() {
  local name="$1" max=$(($2 * BUDGET / 470)) reserve=$(($3 * BUDGET / 470))
  shift 4
  local now left t0 rc
  now=$(date +%s)
  left=$((DEADLINE - now - reserve))
  if [ "$left" -lt 5 ]; then
    say "$name: skipped (deadline: ${left}s left after the reserve)"
    echo "$name skipped 0 deadline" >>"$STEPS"
    return 0
  fi
  [ "$left" -lt "$max" ] && max=$left
  say "$name: start (timeout ${max}s)"
  t0=$(date +%s)
  timeout -k 5 "$max" "$@" >>"$WORK/$name.log" 2>&1
  rc=$?
  local wall=$(($(date +%s) - t0))
  local status=ok
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status=timeout; elif [ $rc -ne 0 ]; then status=failed; fi
  say "$name: $status (rc $rc, ${wall}s)"
  echo "$name $status $wall rc=$rc" >>"$STEPS"
  { echo "----- $name ($status, rc $rc, ${wall}s) -----"; tail -c 6000 "$WORK/$name.log"; } >>"$LOG"
  return 0
}

# ---------------------------------------------------------------- setup: node + onnxruntime-node
unxz_to() { # SRC.xz DEST
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"; else
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
NODE=""
APP="$WORK/app"
if [ -f "$KIT/bin/node.xz" ]; then
  say "setup: unpacking node and onnxruntime-node into $WORK"
  rm -rf "$APP" && cp -r "$KIT/app" "$APP"
  mkdir -p "$WORK/bin"
  unxz_to "$KIT/bin/node.xz" "$WORK/bin/node" && chmod +x "$WORK/bin/node"
  for f in $(cd "$APP" && find . -name '*.xz'); do
    unxz_to "$APP/$f" "$APP/${f%.xz}" && rm -f "$APP/$f"
  done
  if "$WORK/bin/node" -e 'process.exit(0)' 2>>"$LOG"; then NODE="$WORK/bin/node"; say "setup: node $("$NODE" --version)"; else say "setup: node does not start"; fi
elif [ -f "$KIT/stage.id" ]; then
  # a two-call kit: the first device call (bash .gpu-kit-bin/stage.sh) unpacked node and the library
  # into $WORK/stage on this machine; this call carries the rest
  if [ "$(cat "$WORK/stage/stage.id" 2>/dev/null)" = "$(cat "$KIT/stage.id")" ] && [ -x "$WORK/stage/node" ]; then
    say "setup: node and onnxruntime-node's library staged by the first call ($(cat "$KIT/stage.id"))"
    rm -rf "$APP" && cp -r "$KIT/app" "$APP"
    libdir="$(dirname "$(cd "$APP" && find . -name onnxruntime_binding.node | head -1)")"
    cp "$WORK/stage/libonnxruntime.so.1" "$APP/$libdir/libonnxruntime.so.1"
    mkdir -p "$WORK/bin" && cp "$WORK/stage/node" "$WORK/bin/node"
    if "$WORK/bin/node" -e 'process.exit(0)' 2>>"$LOG"; then NODE="$WORK/bin/node"; say "setup: node $("$NODE" --version)"; else say "setup: node does not start"; fi
  else
    say "setup: this kit's first call did not run on this machine ($WORK/stage/stage.id: $(cat "$WORK/stage/stage.id" 2>/dev/null || echo missing), kit: $(cat "$KIT/stage.id")) — the machine was given back between the calls? Run bash .gpu-kit-bin/stage.sh (carry .gpu-kit-bin) again first; the JS steps are skipped"
  fi
elif command -v node >/dev/null 2>&1 && [ -d "$KIT/app" ]; then
  NODE="$(command -v node)"
  rm -rf "$APP" && cp -r "$KIT/app" "$APP"
  for f in $(cd "$APP" && find . -name '*.xz'); do unxz_to "$APP/$f" "$APP/${f%.xz}" && rm -f "$APP/$f"; done
  say "setup: no node in the kit, using $NODE"
else
  say "setup: no node in the kit (a lite pack): the JS steps are skipped"
fi

# ---------------------------------------------------------------- environment + Vulkan
GPU_NAME="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
say "gpu: ${GPU_NAME:-none (nvidia-smi: not found or no GPU)}"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  if ls "$KIT"/gl/*.deb >/dev/null 2>&1; then
    say "vulkan: no libvulkan.so.1 here, unpacking the kit's $(ls "$KIT"/gl/*.deb | wc -l) .deb files to /"
    for f in "$KIT"/gl/*.deb; do dpkg -x "$f" / >>"$LOG" 2>&1 || say "vulkan: dpkg -x $f failed"; done
    ldconfig
  else
    say "vulkan: no libvulkan.so.1 and no .deb in the kit"
  fi
fi
VULKAN_LIB="$(ldconfig -p 2>/dev/null | grep 'libvulkan.so.1' | head -1 | sed 's/.*=> //')"
ICD_KIND=none
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"; ICD_KIND=nvidia; break; fi
  done
fi
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json; ICD_KIND=swiftshader
fi
[ "$ICD_KIND" = none ] && [ -n "${VK_ICD_FILENAMES:-}" ] && ICD_KIND=given
if [ "$ICD_KIND" = nvidia ]; then # the ICD names libGLX_nvidia.so.0: make sure the loader finds it
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    case ":${LD_LIBRARY_PATH:-}:" in *":$d:"*) ;; *) [ -d "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;; esac
  done
fi
if [ "$ICD_KIND" = nvidia ] && [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
say "vulkan: loader ${VULKAN_LIB:-missing}, ICD ${VK_ICD_FILENAMES:-none} ($ICD_KIND)"
cat >"$WORK/env.json" <<EOF
{"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "host": "$(uname -n)", "arch": "$(uname -m)", "cpus": $(nproc),
 "cpuModel": "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' | tr -d '"')",
 "gpu": "$(echo "$GPU_NAME" | tr -d '"')", "vulkanLoader": "${VULKAN_LIB:-}", "icd": "${VK_ICD_FILENAMES:-}",
 "icdKind": "$ICD_KIND", "node": "$([ -n "$NODE" ] && "$NODE" --version)", "quick": $QUICK, "budgetS": $BUDGET,
 "cpuThreads": $CPU_THREADS, "model": "$MODEL", "assistant": "${ASSISTANT:-}",
 "python": "$("$PYTHON" --version 2>&1)", "kit": $(cat "$KIT/kit.json" 2>/dev/null || echo null)}
EOF

# ---------------------------------------------------------------- sizes of the run
if [ "$QUICK" = 1 ]; then
  PROMPTS="$KIT/prompts-quick.txt"; SEEDS=1; TOKENS=12; WARMUP=0; PC="--rounds 2 --reps 3 --base-s 1,4,16 --trees 8,24"
  PCBUDGET=40; HFTOK=12
else
  PROMPTS="$KIT/prompts.txt"; SEEDS=1,2; TOKENS=64; WARMUP=1; PC="--rounds 5 --reps 20"
  PCBUDGET=45; HFTOK=64
fi
PCBUDGET=$((PCBUDGET * BUDGET / 470))
# (one --tree-budget per run: the default, 8 on the CPU and 24 on a GPU — `dynamo bench` documents a
# list, but decodingFlags.ts parses the same flag as one integer; passcost.mjs times trees 8..64)
BENCH=("$APP/dynamo.mjs" bench --json --model "$MODEL" --prompts "$PROMPTS" --max-tokens "$TOKENS" --warmup "$WARMUP")
ASSIST_FLAG=()
[ -n "$ASSISTANT" ] && ASSIST_FLAG=(--assistant "$ASSISTANT")

# nvidia-smi samples during the GPU steps: evidence that the WebGPU rows ran on the GPU
SMI_PID=""
if command -v nvidia-smi >/dev/null 2>&1; then
  : >"$WORK/smi.txt" # appended to by both (O_APPEND), so the MARK lines are not overwritten
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -lms 500 >>"$WORK/smi.txt" 2>/dev/null &
  SMI_PID=$!
fi
mark() { echo "MARK $1 $(date -u +%Y/%m/%d\ %H:%M:%S)" >>"$WORK/smi.txt"; }

if [ -n "$NODE" ]; then
  step tokenize 30 300 -- "$NODE" "$APP/tokenize.mjs" "$MODEL" "$PROMPTS" "$WORK/prompt-ids.json"
  mark passcost-webgpu
  step passcost-webgpu 75 330 -- "$NODE" "$APP/passcost.mjs" --model "$MODEL" --ep webgpu $PC \
    --budget-s "$PCBUDGET" --ref-logits "$WORK/ref-logits.json" ${ASSISTANT:+--ref-assistant "$ASSISTANT"} \
    --out "$WORK/passcost-webgpu.json"
  mark bench-webgpu-ar
  step bench-webgpu-ar 80 270 -- sh -c '"$0" "$@" >"'"$WORK"'/bench-webgpu-ar.json"' "$NODE" "${BENCH[@]}" \
    --seeds "$SEEDS" --device webgpu --modes ar,dynamo --epsilon 0.5
  mark bench-webgpu-verified
  step bench-webgpu-verified 120 160 -- sh -c '"$0" "$@" >"'"$WORK"'/bench-webgpu-verified.json"' "$NODE" "${BENCH[@]}" \
    --seeds 1 --device webgpu --modes verified "${ASSIST_FLAG[@]}"
  mark end-webgpu
fi
# ---------------------------------------------------------------- static KV cache (issue 24, item 2)
# Its own block (kept apart from the steps above): per-step time of the static vs the dynamic KV cache
# (loadModel kvCache 'static') by context length, on the WebGPU EP and the CPU EP, interleaved, with
# packages/onnx/bench/staticKvCache.bench.mjs from the tree (node builtins + the adapter only). The
# adapter is the kit's bundle of @dynamojs/onnx's node entry, $APP/onnx-node.mjs — pack makes it with
#   "${esb[@]}" packages/onnx/dist/node.js --outfile="$KIT/app/onnx-node.mjs"
# (onnxruntime-node external: resolved from $APP/node_modules); without it the step says so and is
# skipped. Writes $OUT/static-kv-cache.json and $OUT/static-kv-cache.md.
if [ -n "$NODE" ] && [ -f "$APP/onnx-node.mjs" ]; then
  mark static-kv-cache
  if [ "$QUICK" = 1 ]; then SKV=(--contexts 128,512 --steps 8 --rounds 1); else SKV=(--contexts 128,512,2048 --steps 16 --rounds 3); fi
  step static-kv-cache 60 160 -- "$NODE" "$ROOT/packages/onnx/bench/staticKvCache.bench.mjs" --adapter "$APP/onnx-node.mjs" \
    --model "$MODEL/base" --devices webgpu,cpu --threads "$CPU_THREADS" "${SKV[@]}" --budget-s $((50 * BUDGET / 470)) \
    --out "$OUT/static-kv-cache.json" --md "$OUT/static-kv-cache.md"
  mark end-static-kv-cache
else
  say "static-kv-cache: skipped (no node, or no $APP/onnx-node.mjs: pack does not bundle the adapter yet)"
  echo "static-kv-cache skipped 0 no-adapter" >>"$STEPS"
fi
# ---------------------------------------------------------------- end of the static KV cache block
mark hf-peer
# rehearsal only: a stand-in for transformers where it is missing (GPU_KIT_STUB_TRANSFORMERS=1)
if [ "${GPU_KIT_STUB_TRANSFORMERS:-0}" = 1 ] && ! "$PYTHON" -c 'import transformers' 2>/dev/null; then
  export PYTHONPATH="$KIT/stub${PYTHONPATH:+:$PYTHONPATH}"
  say "hf-peer: REHEARSAL STUB of transformers on PYTHONPATH (its numbers mean nothing)"
fi
step hf-peer 100 110 -- "$PYTHON" "$KIT/hf_peer.py" --model "$MODEL" ${ASSISTANT:+--assistant "$ASSISTANT"} \
  --hf-dir "$WORK/hf" --out "$WORK/peer.json" --max-tokens "$HFTOK" --budget-s $((85 * BUDGET / 470)) --prompts-txt "$PROMPTS" \
  $([ -f "$WORK/prompt-ids.json" ] && echo --prompt-ids "$WORK/prompt-ids.json") \
  $([ -f "$WORK/ref-logits.json" ] && echo --ref-logits "$WORK/ref-logits.json")
mark ort-python
step ort-python 40 50 -- "$PYTHON" "$KIT/ort_passcost.py" --model "$MODEL" --out "$WORK/passcost-py.json" \
  --budget-s $((30 * BUDGET / 470)) --threads "$CPU_THREADS" $([ "$QUICK" = 1 ] && echo --quick)
mark end-hf
if [ -n "$NODE" ]; then
  step bench-cpu 45 20 -- sh -c '"$0" "$@" >"'"$WORK"'/bench-cpu.json"' "$NODE" "${BENCH[@]}" \
    --seeds 1 --device cpu --threads "$CPU_THREADS" --modes ar,dynamo,verified --epsilon 0.5 "${ASSIST_FLAG[@]}"
  step passcost-cpu 30 0 -- "$NODE" "$APP/passcost.mjs" --model "$MODEL" --ep cpu --threads "$CPU_THREADS" $PC \
    --budget-s $((20 * BUDGET / 470)) --out "$WORK/passcost-cpu.json"
fi
[ -n "$SMI_PID" ] && kill "$SMI_PID" 2>/dev/null
TOTAL=$(($(date +%s) - START))
say "steps done in ${TOTAL}s"
"$PYTHON" "$KIT/report.py" --work "$WORK" --out "$OUT" --wall "$TOTAL" >>"$LOG" 2>&1 || say "report: failed"
say "wrote $(ls "$OUT" | tr '\n' ' ')"
cat "$OUT/gpu-bench.md" 2>/dev/null
