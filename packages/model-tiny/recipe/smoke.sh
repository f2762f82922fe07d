#!/usr/bin/env bash
# CI smoke test of the whole recipe at a tiny size (well under 2 minutes on 2 cores):
# corpus -> tokenizer (vocab 512, 150 documents) -> tokenizer parity with @huggingface/tokenizers
# -> train a 2-layer T3 model for a few steps -> export (fp32, q8, base) -> onnxruntime-node vs PyTorch
# -> evaluate -> the one-command re-export of the same weights -> the export again with
# external-data weights. Everything goes to a temporary folder. Usage: recipe/smoke.sh [WORKDIR]
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
echo "smoke: OK ($work)"
