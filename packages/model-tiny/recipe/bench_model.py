#!/usr/bin/python3
"""A benchmark-only model: a random-weight DynaMo-T3 with Pythia-70M dimensions
(6 layers, d = 512, 8 heads, intermediate 2048, vocab 50304, context 2048, rotary 0.25), exported
with the same exporter as the shipped model (model.onnx, model_q8.onnx, base/, dynamo.json) into a
cache folder. Its weights are random: it is for measuring the runtime and the samplers at a
realistic size, never for text quality. It is not committed.

A byte-level BPE tokenizer with as many tokens as the recipe corpus allows (up to 50304) is trained
on recipe/work/corpus when that exists, so the folder is a complete model; otherwise a byte-only
tokenizer (257 tokens) is written.

Usage: /usr/bin/python3 recipe/bench_model.py [OUT=~/.cache/dynamojs/bench-70m] [--no-q8] [--no-tokenizer-training]
"""
import argparse
import json
import os
import subprocess
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PYTHIA_70M = {"vocab_size": 50304, "hidden_size": 512, "num_layers": 6, "num_heads": 8, "intermediate_size": 2048,
              "rotary_pct": 0.25, "rotary_base": 10000.0, "max_position_embeddings": 2048, "extra_heads": 2}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=os.path.expanduser("~/.cache/dynamojs/bench-70m"))
    ap.add_argument("--no-q8", action="store_true")
    ap.add_argument("--no-tokenizer-training", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import tokenizer as tk
    work = os.path.join(args.out, "_work")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(HERE, "work", "corpus", "train.jsonl")
    if os.path.exists(corpus) and not args.no_tokenizer_training:
        wc = Counter()
        with open(corpus, encoding="utf-8") as f:
            for line in f:
                wc.update(tk.pretokenize(json.loads(line)["text"]))
        wcu = Counter()
        for w, c in wc.items():
            wcu[tk.to_unicode(w)] += c
        tokens, merges = tk.train_bpe(wcu, PYTHIA_70M["vocab_size"], log=open(os.devnull, "w"))
    else:
        tokens, merges = tk.train_bpe({}, 257)
    json.dump(tk.tokenizer_json(tokens, merges), open(os.path.join(work, "tokenizer.json"), "w", encoding="utf-8"),
              ensure_ascii=False)
    json.dump(tk.TOKENIZER_CONFIG, open(os.path.join(work, "tokenizer_config.json"), "w"), indent=2)
    print("tokenizer: %d tokens (model vocab %d)" % (len(tokens), PYTHIA_70M["vocab_size"]), file=sys.stderr)
    cmd = [sys.executable, os.path.join(HERE, "export.py"), "--random", json.dumps(PYTHIA_70M), "--out", args.out,
           "--work", work, "--ref", os.path.join(work, "ref"), "--name", "dynamo-bench-70m-random-t3",
           "--ngrams", "none", "--threads", str(args.threads)]
    if args.no_q8:
        cmd.append("--no-q8")
    subprocess.run(cmd, check=True)
    man_path = os.path.join(args.out, "dynamo.json")
    man = json.load(open(man_path))
    man["contextLength"] = PYTHIA_70M["max_position_embeddings"]
    man["provenance"]["note"] = "RANDOM WEIGHTS, benchmark only (Pythia-70M dimensions)"
    json.dump(man, open(man_path, "w"), indent=2)
    print("wrote %s (check: node recipe/check_onnx.mjs %s %s)" % (args.out, args.out, os.path.join(work, "ref")),
          file=sys.stderr)


if __name__ == "__main__":
    main()
