#!/usr/bin/env bash
# Re-exports the shipped reference model (packages/model-tiny/model/) from a checkpoint (train.py's
# ckpt.pt format: e.g. retrained head weights, or the shipped weights recovered by ckpt_from_onnx.py)
# and checks the result, in one command:
#   1. export.py writes every graph variant — model.onnx (fp32), model_mixed.onnx (head 1 fp32, the
#      extra heads 8-bit), model_q8.onnx, with tree_attention_mask and head_logits_rows; the weights
#      model.onnx and model_mixed.onnx share, once, in model_shared.onnx_data — base/ and dynamo.json
#      (sha256 / bytes, io flags, the default variant) into model/, keeping the shipped
#      tokenizer.json and ngrams.bin;
#   2. check_onnx.mjs: onnxruntime-node == PyTorch (chains, token trees, cache compaction, the extra
#      heads at every row, the last rows, chosen rows and none) for every multi-head graph and the
#      base graph; the mixed graph's head 1 == model.onnx's (same argmax on every row); the chain
#      logits of every graph next to the previous export's;
#   3. check_transformers.mjs: base/ still loads and generates in transformers.js, and greedy
#      decoding over model.onnx and model_mixed.onnx gives its tokens;
#   4. the package stays within its 40 MB budget; says whether base/onnx/model.onnx changed.
#
# Usage (from anywhere): packages/model-tiny/recipe/reexport.sh CKPT [--eval EVAL_JSON] [--same-weights]
#        [--model DIR]
#   --eval EVAL_JSON   the quality block (evaluate.py's output for these weights). Without it the
#                      current manifest's quality block is kept: right only for the same weights.
#   --same-weights     the checkpoint holds the shipped weights: every logit must equal the previous
#                      export's within 1e-5 and base/onnx/model.onnx must stay byte-identical.
#   --model DIR        another exported model folder to re-export in place (default: model/).
#   --decoding JSON    merged over the manifest's recommended decoding values (export.py --decoding),
#                      e.g. '{"headTemperature": [1.5, 1.3]}' for self-distilled heads.
# On a failure model/ is left as written: `git checkout packages/model-tiny/model` restores it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkg="$(dirname "$here")"
model="$pkg/model"
py="${PYTHON:-/usr/bin/python3}"
[ $# -ge 1 ] || { sed -n '2,21p' "$0"; exit 2; }
ckpt="$1"
shift
quality=(--keep-quality)
decoding=()
same=0
while [ $# -gt 0 ]; do
  case "$1" in
    --eval) quality=(--eval "$2"); shift 2 ;;
    --same-weights) same=1; shift ;;
    --decoding) decoding=(--decoding "$2"); shift 2 ;;
    --model) model="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "reexport: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$ckpt" ] || { echo "reexport: no checkpoint $ckpt" >&2; exit 2; }
tmp="$(mktemp -d /tmp/dynamo-reexport.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cp -r "$model" "$tmp/previous"
mkdir -p "$tmp/work"  # empty: export.py keeps model/'s tokenizer.json and ngrams.bin
if [ "${quality[0]}" = "--keep-quality" ]; then
  echo "reexport: no --eval: keeping the current quality block (right only when the weights are the same)"
fi
OMP_NUM_THREADS=1 "$py" "$here/export.py" --ckpt "$ckpt" --out "$model" --ref "$tmp/ref" --work "$tmp/work" \
  --ngrams none --threads 1 "${quality[@]}" "${decoding[@]}"
prev=(--previous "$tmp/previous")
[ "$same" = 1 ] && prev+=(--previous-tol 1e-5)
node "$here/check_onnx.mjs" "$model" "$tmp/ref" "${prev[@]}"
node "$here/check_transformers.mjs" "$model" "$tmp/ref"
if cmp -s "$model/base/onnx/model.onnx" "$tmp/previous/base/onnx/model.onnx"; then
  echo "reexport: base/onnx/model.onnx unchanged (byte-identical)"
else
  echo "reexport: base/onnx/model.onnx CHANGED (the base weights differ)"
  [ "$same" = 1 ] && { echo "reexport: --same-weights, but the base graph changed" >&2; exit 1; }
fi
# every file the manifest lists (external data once), and the manifest itself
total="$(node -e '
  const { readFileSync, statSync } = require("node:fs");
  const dir = process.argv[1];
  const files = JSON.parse(readFileSync(dir + "/dynamo.json", "utf8")).files;
  const paths = new Set(["dynamo.json"]);
  for (const f of files) {
    paths.add(f.path);
    for (const d of f.externalData ?? []) paths.add(d.path);
  }
  let total = 0;
  for (const p of paths) total += statSync(dir + "/" + p).size;
  console.log(total);
' "$model")"
limit=$((40 * 1024 * 1024))
echo "reexport: $model holds $total bytes (budget $limit)"
[ "$total" -le "$limit" ] || { echo "reexport: over the 40 MB budget" >&2; exit 1; }
echo "reexport: OK ($model)"
