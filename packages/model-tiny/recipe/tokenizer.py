#!/usr/bin/python3
"""Step 2: train a GPT-2-style byte-level BPE and tokenize the corpus.

Writes recipe/work/tokenizer.json (Hugging Face format, same structure as GPT-2 / Pythia:
BPE model, ByteLevel pre-tokenizer with add_prefix_space false, ByteLevel decoder and
post-processor, `<|endoftext|>` = id 0 as a special added token), then tokenizes
work/corpus/{train,val}.jsonl into work/data/{train,val}.bin (uint16, documents each followed
by <|endoftext|>) plus work/data/tokens.json (token counts per source).

Usage: /usr/bin/python3 recipe/tokenizer.py [--vocab 4096] [--train-only] [--encode-only]
"""
import argparse
import heapq
import json
import os
import sys
import time
from collections import Counter, defaultdict

import numpy as np
import regex

HERE = os.path.dirname(os.path.abspath(__file__))
EOT = "<|endoftext|>"
# GPT-2's pre-tokenizer pattern (the one the HF ByteLevel pre-tokenizer uses with use_regex=true)
PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def to_unicode(s):
    return "".join(B2U[b] for b in s.encode("utf-8"))


def pretokenize(text):
    return PAT.findall(text)


def train_bpe(word_counts, vocab_size, log=sys.stderr):
    """word_counts: {unicode-mapped pre-token: count}. Returns (vocab list of token strings, merges)."""
    base = [B2U[b] for b in range(256)]
    tokens = [EOT] + base  # id 0 = <|endoftext|>, ids 1..256 = the 256 bytes
    tok_id = {t: i for i, t in enumerate(tokens)}
    words = []
    freqs = []
    for w, c in word_counts.items():
        words.append([tok_id[ch] for ch in w])
        freqs.append(c)
    pair_counts = defaultdict(int)
    where = defaultdict(set)
    for wi, w in enumerate(words):
        f = freqs[wi]
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += f
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    n_merges = vocab_size - len(tokens)
    t0 = time.time()
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        c = pair_counts.get(pair, 0)
        if c <= 0:
            continue
        if -negc != c:  # stale entry: push the current count back
            heapq.heappush(heap, (-c, pair))
            continue
        a, b = pair
        new_tok = tokens[a] + tokens[b]
        new_id = len(tokens)
        tokens.append(new_tok)
        tok_id[new_tok] = new_id
        merges.append((tokens[a], tokens[b]))
        changed = set()
        for wi in list(where[pair]):
            w = words[wi]
            f = freqs[wi]
            # remove old pairs
            for p in zip(w, w[1:]):
                pair_counts[p] -= f
                where[p].discard(wi)
            # merge left to right
            nw = []
            i = 0
            L = len(w)
            while i < L:
                if i < L - 1 and w[i] == a and w[i + 1] == b:
                    nw.append(new_id)
                    i += 2
                else:
                    nw.append(w[i])
                    i += 1
            words[wi] = nw
            for p in zip(nw, nw[1:]):
                pair_counts[p] += f
                where[p].add(wi)
                changed.add(p)
        pair_counts.pop(pair, None)
        where.pop(pair, None)
        for p in changed:
            c2 = pair_counts.get(p, 0)
            if c2 > 0:
                heapq.heappush(heap, (-c2, p))
        if len(merges) % 500 == 0:
            print("  %d merges, %.1fs" % (len(merges), time.time() - t0), file=log)
    return tokens, merges


def tokenizer_json(tokens, merges):
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": 0, "content": EOT, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": dict(bl),
        "post_processor": dict(bl),
        "decoder": dict(bl),
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": {t: i for i, t in enumerate(tokens)},
            "merges": [a + " " + b for a, b in merges],
        },
    }


TOKENIZER_CONFIG = {
    "add_bos_token": False,
    "add_eos_token": False,
    "bos_token": EOT,
    "eos_token": EOT,
    "unk_token": EOT,
    "pad_token": EOT,
    "clean_up_tokenization_spaces": False,
    "model_max_length": 2048,
    "tokenizer_class": "GPTNeoXTokenizer",
    "added_tokens_decoder": {"0": {"content": EOT, "lstrip": False, "normalized": False,
                                   "rstrip": False, "single_word": False, "special": True}},
}


class Encoder:
    """Pure-python encoder equal to HF's BPE (no dropout): lowest-rank merge first."""

    def __init__(self, path):
        tj = json.load(open(path, encoding="utf-8"))
        self.vocab = tj["model"]["vocab"]
        self.inv = {i: t for t, i in self.vocab.items()}
        ms = tj["model"]["merges"]
        ms = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in ms]
        self.ranks = {m: i for i, m in enumerate(ms)}
        self.cache = {}
        self.special = {t["content"]: t["id"] for t in tj["added_tokens"]}

    def bpe(self, word):
        r = self.cache.get(word)
        if r is not None:
            return r
        parts = list(word)
        ranks = self.ranks
        while len(parts) > 1:
            best = None
            best_i = -1
            for i in range(len(parts) - 1):
                rk = ranks.get((parts[i], parts[i + 1]))
                if rk is not None and (best is None or rk < best):
                    best, best_i = rk, i
            if best is None:
                break
            a, b = parts[best_i], parts[best_i + 1]
            # merge every occurrence of the pair, left to right (same result as a priority queue)
            np_ = []
            i = 0
            while i < len(parts):
                if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b:
                    np_.append(a + b)
                    i += 2
                else:
                    np_.append(parts[i])
                    i += 1
            parts = np_
        r = [self.vocab[p] for p in parts]
        self.cache[word] = r
        return r

    def encode(self, text):
        ids = []
        # split on the special token first (as HF does for added tokens)
        chunks = text.split(EOT)
        for ci, chunk in enumerate(chunks):
            if ci > 0:
                ids.append(self.special[EOT])
            for w in pretokenize(chunk):
                ids.extend(self.bpe(to_unicode(w)))
        return ids

    def decode(self, ids):
        s = "".join(self.inv[i] for i in ids)
        out = bytearray()
        for ch in s:
            if ch in U2B and len(s) > 0:
                out.append(U2B[ch])
        return out.decode("utf-8", errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--encode-only", action="store_true")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--max-docs", type=int, default=0, help="for smoke tests")
    ap.add_argument("--check-only", action="store_true", help="only write work/tokenizer_check.json")
    args = ap.parse_args()
    cdir = os.path.join(args.work, "corpus")
    tok_path = os.path.join(args.work, "tokenizer.json")

    def read_docs(split):
        docs = []
        with open(os.path.join(cdir, split + ".jsonl"), encoding="utf-8") as f:
            for line in f:
                docs.append(json.loads(line))
                if args.max_docs and len(docs) >= args.max_docs:
                    break
        return docs

    if args.check_only:
        write_check(Encoder(tok_path), read_docs("val"), os.path.join(args.work, "tokenizer_check.json"))
        return
    train = read_docs("train")
    if not args.encode_only and not args.check_only:
        t0 = time.time()
        wc = Counter()
        for d in train:
            wc.update(pretokenize(d["text"]))
        wcu = Counter()
        for w, c in wc.items():
            wcu[to_unicode(w)] += c
        print("unique pre-tokens: %d (%.1fs)" % (len(wcu), time.time() - t0), file=sys.stderr)
        tokens, merges = train_bpe(wcu, args.vocab)
        tj = tokenizer_json(tokens, merges)
        with open(tok_path, "w", encoding="utf-8") as f:
            json.dump(tj, f, ensure_ascii=False)
        with open(os.path.join(args.work, "tokenizer_config.json"), "w") as f:
            json.dump(TOKENIZER_CONFIG, f, indent=2)
        print("tokenizer: %d tokens, %d merges, %.1fs" % (len(tokens), len(merges), time.time() - t0),
              file=sys.stderr)
    if args.train_only:
        return
    enc = Encoder(tok_path)
    ddir = os.path.join(args.work, "data")
    os.makedirs(ddir, exist_ok=True)
    counts = {}
    for split, docs in (("train", train), ("val", read_docs("val"))):
        t0 = time.time()
        all_ids = []
        per_src = defaultdict(lambda: {"docs": 0, "tokens": 0})
        for d in docs:
            ids = enc.encode(d["text"]) + [0]
            all_ids.extend(ids)
            per_src[d["source"]]["docs"] += 1
            per_src[d["source"]]["tokens"] += len(ids)
        arr = np.array(all_ids, dtype=np.uint16)
        arr.tofile(os.path.join(ddir, split + ".bin"))
        counts[split] = {"tokens": int(arr.size), "sources": dict(per_src)}
        print("%s: %d tokens (%.1fs)" % (split, arr.size, time.time() - t0), file=sys.stderr)
    json.dump(counts, open(os.path.join(ddir, "tokens.json"), "w"), indent=2)
    write_check(enc, read_docs("val"), os.path.join(args.work, "tokenizer_check.json"))


CHECK_STRINGS = [
    "Hello world", " Hello  world ", "\n\nThe end.\n", "don't won't I'm you'll we've they'd it's",
    "Café, naïve façade, Ångström, Œuvre, über", "東京は日本の首都です。中文字符", "emoji 🙂🚀👍🏽 and ZWJ 👨‍👩‍👧",
    "tabs\tand\r\nCRLF  \n\n\n   spaces", "numbers 1234567 3.14159 -42 1,000,000", "<|endoftext|>",
    "a<|endoftext|>b", "   leading and trailing   ", "UPPER lower MiXeD", "$100 & 50% off!!! ???", "ﬁ ligature, ß, İ",
    "\u00a0nbsp and \u2003 em space", "Ελληνικά и русский текст", "العربية עברית", "  \n \n", "x" * 300,
]


def write_check(enc, val_docs, path):
    """Strings + the ids this (python) encoder gives them, for recipe/check_tokenizer.mjs."""
    samples = list(CHECK_STRINGS)
    for d in val_docs[:40]:
        samples.append(d["text"][:4000])
    json.dump([{"text": t, "ids": enc.encode(t)} for t in samples], open(path, "w", encoding="utf-8"),
              ensure_ascii=False)


if __name__ == "__main__":
    main()
