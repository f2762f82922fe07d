#!/usr/bin/env bash
# Step 6: the co-occurrence (n-gram) tables for the DynaMo masking sampler, counted on the training
# split with the project's own TypeScript builder (`dynamo ngrams build`, @dynamojs/samplers format).
# Needs the workspace built (packages/cli/dist). Usage: recipe/ngrams.sh [WORK=recipe/work] [ORDER=3] [MIN_COUNT=2]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-$here/work}"
order="${2:-3}"
min="${3:-2}"
cli="$here/../../cli/dist/bin.js"
if [ ! -f "$cli" ]; then echo "ngrams.sh: build the workspace first (missing $cli)" >&2; exit 1; fi
node "$cli" ngrams build --tokenizer "$work/tokenizer.json" --out "$work/ngrams.bin" \
  --order "$order" --min-count "$min" "$work/corpus/train.jsonl"
