#!/usr/bin/env bash
# CI smoke test of the whole recipe at a tiny size (well under 2 minutes on 2 cores):
# corpus -> tokenizer (vocab 512, 150 documents) -> tokenizer parity with @huggingface/tokenizers
# -> train a 2-layer T3 model for a few steps -> export (fp32, q8, base) -> onnxruntime-node vs PyTorch
# -> evaluate -> the one-command re-export of the same weights -> the export again with
# external-data weights -> stage 2: self-distil the head layers on the frozen base (refusals,
# resume), then check that only the heads changed and that the base-only graph is the same file.
# Everything goes to a temporary folder. Usage: recipe/smoke.sh [WORKDIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-/usr/bin/python3}"
work="${1:-$(mktemp -d /tmp/dynamo-smoke.XXXXXX)}"
mkdir -p "$work"
echo "smoke: working in $work"
"$py" "$here/corpus.py" --out "$work/corpus"
"$py" "$here/tokenizer.py" --work "$work" --vocab 512 --max-docs 150
node "$here/check_tokenizer.mjs" "$work/tokenizer.json" "$work/tokenizer_check.json"
"$py" "$here/train.py" --out "$work/run" --data "$work/data" --config "$here/smoke.json"
# resume must continue from the checkpoint
"$py" "$here/train.py" --out "$work/run" --data "$work/data" --resume --max-steps 12
"$py" "$here/evaluate.py" --ckpt "$work/run/ckpt.pt" --data "$work/data" --out "$work/eval.json" --max-windows 4 --agree-every 16
"$py" "$here/export.py" --ckpt "$work/run/ckpt.pt" --work "$work" --out "$work/model" --ref "$work/ref" --eval "$work/eval.json" --ngrams none
node "$here/check_onnx.mjs" "$work/model" "$work/ref"
node "$here/check_transformers.mjs" "$work/model" "$work/ref"
# the one-command re-export (what the shipped model gets) of the same weights: identical graphs
"$here/reexport.sh" "$work/run/ckpt.pt" --model "$work/model" --same-weights --eval "$work/eval.json"
# the same export with every graph's weights in <graph>.onnx_data (what models over 2 GB get)
"$py" "$here/export.py" --ckpt "$work/run/ckpt.pt" --work "$work" --out "$work/model-ext" --ref "$work/ref-ext" --eval "$work/eval.json" --ngrams none --external-data always
node "$here/check_onnx.mjs" "$work/model-ext" "$work/ref-ext"

# stage 2: distill.py refuses a base or tokenizer that does not match the manifest, and an --out
# holding a run, with a message and exit status 2
expect_refusal() {  # expect_refusal PATTERN distill.py-args...
  local pattern="$1"; shift
  local rc=0 msg
  msg="$("$py" "$here/distill.py" "$@" 2>&1)" || rc=$?
  if [ "$rc" -ne 2 ] || ! grep -q "$pattern" <<<"$msg"; then
    echo "smoke: expected distill.py to refuse with '$pattern' (exit 2), got exit $rc: $msg" >&2
    exit 1
  fi
  echo "smoke: distill.py refused as expected: $(tail -n 1 <<<"$msg")"
}
dargs=(--base "$work/run/ckpt.pt" --model "$work/model" --tokenizer "$work/tokenizer.json" --data "$work/data")
expect_refusal "does not match the manifest" "${dargs[@]:0:2}" --model "$here/../model" --tokenizer "$work/tokenizer.json" --data "$work/data" --out "$work/distill"
expect_refusal "is not the model's tokenizer" "${dargs[@]:0:4}" --tokenizer "$here/../model/tokenizer.json" --data "$work/data" --out "$work/distill"
expect_refusal "is a model folder" "${dargs[@]}" --out "$work/model"
"$py" "$here/distill.py" "${dargs[@]}" --out "$work/distill" --config "$here/smoke-distill.json"
expect_refusal "already holds a run" "${dargs[@]}" --out "$work/distill" --config "$here/smoke-distill.json"
"$py" "$here/distill.py" --out "$work/distill" --resume --max-steps 6
"$py" "$here/check_frozen.py" "$work/run/ckpt.pt" "$work/distill/ckpt.pt"
"$py" "$here/evaluate.py" --ckpt "$work/distill/ckpt.pt" --data "$work/data" --out "$work/eval-distill.json" --max-windows 4 --agree-every 16
"$py" "$here/export.py" --ckpt "$work/distill/ckpt.pt" --work "$work" --out "$work/model-distill" --ref "$work/ref-distill" --eval "$work/eval-distill.json" --ngrams none
node "$here/check_onnx.mjs" "$work/model-distill" "$work/ref-distill"
cmp "$work/model/base/onnx/model.onnx" "$work/model-distill/base/onnx/model.onnx"
if cmp -s "$work/model/model.onnx" "$work/model-distill/model.onnx"; then
  echo "smoke: the distilled heads did not change model.onnx" >&2
  exit 1
fi
echo "smoke: OK ($work)"
