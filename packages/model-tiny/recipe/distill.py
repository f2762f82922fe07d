#!/usr/bin/python3
"""Stage 2 (optional): self-distil the DynaMo head layers on a frozen base (resumable).

The heads of train.py learn what the *corpus* says 2 and 3 tokens ahead. Draft-and-verify decoding
and DynaMo's joint want what the *base model* would write there. This step trains the extra head
layers (`dynamo_heads.*`, nothing else) on the base's own behaviour, as Medusa-2 / EAGLE do and as
the DynaMo paper's "T2-H" variant does (new layers trained on a frozen stem). The stem, the base's
last layer, the final LayerNorm and both embeddings are frozen, so head 1, the base-only graph and
every autoregressive output stay bit-identical; the script checks that before it saves.

Data (`data/` in --out, generated once, deterministic, resumable chunk by chunk):
  * prefixes of P tokens from the training text (P uniform in [--prefix-min, --prefix-max] per chunk;
    --doc-start-frac of them start a document, like a prompt), continued by the base to --seq-len
    tokens, either greedily (argmax of the raw logits, as `ar-greedy`) or sampled at the model's
    decoding defaults exactly as @dynamojs/samplers applies them (CTRL repetition penalty over the
    whole history, then temperature, then top-k; multinomial);
  * optionally ("branch" chunks) windows of real text with the base's greedy continuation of 1 and
    2 tokens grown from *every* position at once (a tree pass: one query per branch node, attending
    to its text prefix and its own branch), which gives targets at every text position.
For each sequence the base is run once more in parallel to store, per position, the stem output
(the heads' input) and the base's final hidden state at the position each head's target is read
from. The teacher for head n at position t is the base's own next-token distribution after
x_{<=t} and the n-1 tokens that follow in the sequence (on a generated sequence: the base's own
greedy / sampled tokens; on a branch: its greedy branch). Over sampled intermediate tokens, its
expectation is exactly the marginal that head n should predict; on a greedy sequence its argmax is
the token greedy decoding emits n-1 steps after the next one.

Loss per head: KL(teacher || head) (soft targets, full vocabulary, teacher logits recomputed from
the stored hidden state through the frozen output embedding) + --hard-weight x cross-entropy to the
teacher's argmax on greedy rows. Only positions whose intermediate tokens came from the base count.

Usage (from packages/model-tiny/):
  /usr/bin/python3 recipe/distill.py --base CKPT --out recipe/work/distill [--config recipe/distill-t3.json]
  /usr/bin/python3 recipe/distill.py --out recipe/work/distill --resume [--time-budget-s N]
CKPT is a train.py checkpoint (or one recovered by ckpt_from_onnx.py). The base's shape and the
tokenizer are checked against --model's manifest (default: the shipped model) before anything runs.
Writes --out/ckpt.pt (train.py's format plus a `distillation` record; export.py exports it),
--out/log.jsonl and --out/DONE. It never writes into a model folder.
"""
import argparse
import hashlib
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, DynamoModel  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
EOT = 0

DEFAULTS = dict(
    # data
    train_sequences=4096, val_sequences=256, seq_len=192, prefix_min=4, prefix_max=64, doc_start_frac=0.25,
    gen_batch=64, mix="greedy:1,sampled:1", temperature=0.7, top_k=50, repetition_penalty=1.1,
    store_dtype="float16",
    # training
    init="heads", batch=16, lr=1e-3, min_lr_frac=0.1, warmup_frac=0.02, weight_decay=0.1, beta1=0.9,
    beta2=0.95, grad_clip=1.0, epochs=4.0, max_steps=0, time_budget_s=0.0, hard_weight=0.0,
    hard_rows="greedy", soft_weight=1.0, train_kinds="all", eval_every=200, ckpt_every_s=300.0, log_every=10, seed=4321,
    threads=1,
)
KINDS = ("greedy", "sampled", "branch")


class DistillError(Exception):
    """A refusal: the command prints `distill: <message>` and exits with status 2."""


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="run folder (data/, ckpt.pt, log.jsonl)")
    ap.add_argument("--base", default=None, help="base checkpoint (train.py format); required unless --resume")
    ap.add_argument("--model", default=os.path.join(PKG, "model"),
                    help="model folder whose dynamo.json the base and tokenizer must match (default: the shipped one)")
    ap.add_argument("--tokenizer", default=None,
                    help="tokenizer.json the data was encoded with (default: WORK/tokenizer.json, else MODEL/tokenizer.json)")
    ap.add_argument("--data", default=None, help="folder with train.bin / val.bin (default: WORK/data)")
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--config", default=None, help="JSON file with any of the flags below")
    ap.add_argument("--resume", action="store_true", help="continue the run in --out (data and training)")
    ap.add_argument("--force", action="store_true", help="start over in an --out that already holds a run")
    ap.add_argument("--data-only", action="store_true", help="generate the data and stop")
    for k, v in DEFAULTS.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=None)
    a = ap.parse_args(argv)
    cfg = dict(DEFAULTS)
    if a.config:
        cfg.update(json.load(open(a.config)))
    for k in DEFAULTS:
        v = getattr(a, k)
        if v is not None:
            cfg[k] = v
    return a, cfg


# ------------------------------------------------------------------------------------------ checks
def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_base(man, mcfg, where):
    """The checkpoint's shape must be the manifest's (same vocabulary, layers, widths, rotary, heads)."""
    a = man.get("architecture", {})
    want = {"vocab_size": man.get("vocabSize"), "num_layers": a.get("layers"), "extra_heads": a.get("headLayers"),
            "hidden_size": a.get("hiddenSize"), "num_heads": a.get("attentionHeads"),
            "intermediate_size": a.get("intermediateSize"), "rotary_pct": a.get("rotaryPct"),
            "rotary_base": a.get("rotaryBase"), "layer_norm_eps": a.get("layerNormEps")}
    bad = []
    for k, v in want.items():
        have = getattr(mcfg, k)
        if v is None or (float(have) != float(v)):
            bad.append("%s: checkpoint %s, manifest %s" % (k, have, v))
    if bad:
        raise DistillError("the base checkpoint does not match the manifest %s: %s" % (where, "; ".join(bad)))


def check_tokenizer(man, tok_path, where):
    """The tokenizer must be the one the manifest lists (sha256) and hold vocabSize tokens."""
    entry = next((f for f in man.get("files", []) if f.get("role") == "tokenizer"), None)
    if entry is None or not entry.get("sha256"):
        raise DistillError("the manifest %s lists no tokenizer with a sha256" % where)
    if not os.path.exists(tok_path):
        raise DistillError("tokenizer %s does not exist" % tok_path)
    got = sha256_file(tok_path)
    if got != entry["sha256"]:
        raise DistillError("tokenizer %s (sha256 %s) is not the model's tokenizer (manifest %s lists %s): "
                           "the data must be encoded with the base's own tokenizer" %
                           (tok_path, got[:16], where, entry["sha256"][:16]))
    tj = json.load(open(tok_path, encoding="utf-8"))
    n = len(set(tj["model"]["vocab"].values()) | {t["id"] for t in tj.get("added_tokens", [])})
    if n != man.get("vocabSize"):
        raise DistillError("tokenizer %s has %d tokens, the manifest %s says %s" % (tok_path, n, where, man.get("vocabSize")))


def check_data(data_dir, tok_path, vocab):
    """train.bin / val.bin exist, hold ids < vocab, and were encoded with this tokenizer: the first
    validation document decodes and re-encodes to the same ids."""
    from tokenizer import Encoder, U2B  # noqa: E402  (recipe/tokenizer.py)
    for split in ("train", "val"):
        p = os.path.join(data_dir, split + ".bin")
        if not os.path.exists(p):
            raise DistillError("%s does not exist (run recipe/tokenizer.py, or pass --data)" % p)
        arr = np.memmap(p, dtype=np.uint16, mode="r")
        if arr.size < 1024:
            raise DistillError("%s holds only %d tokens" % (p, arr.size))
        if int(arr.max()) >= vocab:
            raise DistillError("%s holds token id %d, the vocabulary has %d" % (p, int(arr.max()), vocab))
    val = np.fromfile(os.path.join(data_dir, "val.bin"), dtype=np.uint16)
    ends = np.nonzero(val == EOT)[0]
    doc = [int(i) for i in val[:int(ends[0]) if ends.size else min(val.size, 2000)][:2000]]
    enc = Encoder(tok_path)
    # cut at a pre-token boundary (a token starting with a space) so re-encoding sees whole words
    cut = max((i for i, t in enumerate(doc) if i > 0 and enc.inv.get(t, "").startswith("\u0120")), default=len(doc))
    doc = doc[:cut]
    try:
        text = b"".join(bytes(U2B[ch] for ch in enc.inv[t]) for t in doc).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        text = None
    if text is None or enc.encode(text) != doc:
        raise DistillError("%s was not encoded with %s (its first validation document does not round-trip)" %
                           (data_dir, tok_path))


def check_out(out, force, resume):
    if os.path.exists(os.path.join(out, "dynamo.json")) or os.path.exists(os.path.join(out, "model.onnx")):
        raise DistillError("--out %s is a model folder; distill.py writes a run folder (export.py writes models)" % out)
    if not resume and not force and os.path.exists(os.path.join(out, "ckpt.pt")):
        raise DistillError("%s already holds a run: pass --resume to continue it or --force to start over" % out)


# --------------------------------------------------------------------------------- base features
def rope(model, pos):
    return model.gpt_neox.layers[0].attention.rope(pos)


@torch.no_grad()
def base_features(model, x, pos=None, mask=None, past=None):
    """x [B, S] -> (stem [B, S, d], final hidden state after the final LayerNorm [B, S, d], per-layer
    (k, v) including `past`). Default: positions 0..S-1, causal mask, no past."""
    B, S = x.shape
    if pos is None:
        pos = torch.arange(S).unsqueeze(0).expand(B, S)
    if mask is None:
        mask = torch.ones(S, S, dtype=torch.bool).tril().view(1, 1, S, S)
    cos, sin = rope(model, pos)
    h = model.gpt_neox.embed_in(x)
    L = model.cfg.num_layers
    presents = []
    for i, layer in enumerate(model.gpt_neox.layers[:L - 1]):
        h, pr = layer(h, cos, sin, mask, None if past is None else past[i])
        presents.append(pr)
    stem = h
    h1, pr = model.gpt_neox.layers[L - 1](stem, cos, sin, mask, None if past is None else past[L - 1])
    presents.append(pr)
    return stem, model.gpt_neox.final_layer_norm(h1), presents


def process_logits(lg, presence, penalty, temperature, top_k):
    """@dynamojs/samplers' classic pipeline: CTRL penalty on every token in the history, temperature, top-k."""
    if penalty != 1.0:
        pen = torch.where(lg < 0, lg * penalty, lg / penalty)
        lg = torch.where(presence, pen, lg)
    if temperature != 1.0:
        lg = lg / temperature
    if 0 < top_k < lg.shape[-1]:
        kth = torch.topk(lg, top_k, dim=-1).values[..., -1:]
        lg = lg.masked_fill(lg < kth, float("-inf"))
    return lg


@torch.no_grad()
def continue_base(model, prefix, n_new, greedy, cfg, gen):
    """Autoregressive continuation with the KV cache. prefix [B, P]; greedy: argmax of the raw logits
    (no penalty, as greedy decoding); else sampled at the model's defaults. Returns [B, P + n_new]."""
    B, P = prefix.shape
    mc = model.cfg
    past = [(torch.zeros(B, mc.num_heads, 0, mc.head_dim),) * 2 for _ in range(mc.num_layers)]
    presence = torch.zeros(B, mc.vocab_size, dtype=torch.bool)
    presence.scatter_(1, prefix, True)
    seq = prefix
    inp = prefix
    for _ in range(n_new):
        L = seq.shape[1]
        S = inp.shape[1]
        lg, _, past = model.forward_cached(inp, torch.ones(B, L, dtype=torch.int64),
                                           torch.arange(L - S, L).unsqueeze(0).expand(B, S), past, with_heads=False)
        lg = lg[:, -1].float()
        if greedy:
            nxt = lg.argmax(-1)
        else:
            pl = process_logits(lg, presence, cfg["repetition_penalty"], cfg["temperature"], cfg["top_k"])
            nxt = torch.multinomial(torch.softmax(pl, -1), 1, generator=gen).squeeze(1)
        presence.scatter_(1, nxt.unsqueeze(1), True)
        inp = nxt.unsqueeze(1)
        seq = torch.cat([seq, inp], 1)
    return seq


@torch.no_grad()
def branch_features(model, x, depth):
    """Greedy branches of `depth` tokens grown from every position of x [B, T] at once, one tree pass
    per level with the KV cache of the levels before: node (level l, position t) holds the l-th greedy
    token after x_{<=t}, at position t + l, and attends to x_{<=t} and to the nodes (1..l, t).
    Returns (the text's stem [B, T, d], final hidden states [depth, B, T, d] of the levels 1..depth:
    level l at t is the base's state after x_{<=t} and its l greedy tokens)."""
    B, T = x.shape
    stem, hn, past = base_features(model, x)
    outs = []
    t_idx = torch.arange(T)
    for lvl in range(1, depth + 1):
        tok = model.embed_out(hn if lvl == 1 else outs[-1]).argmax(-1)  # greedy token of the level before
        k_lvl = torch.arange(lvl + 1).repeat_interleave(T)  # level of each key (0 = text)
        k_t = t_idx.repeat(lvl + 1)
        m = torch.where(k_lvl.unsqueeze(0) == 0, k_t.unsqueeze(0) <= t_idx.unsqueeze(1),
                        k_t.unsqueeze(0) == t_idx.unsqueeze(1))
        pos = (t_idx + lvl).unsqueeze(0).expand(B, T)
        _, h, past = base_features(model, tok, pos, m.view(1, 1, T, T * (lvl + 1)), past)
        outs.append(h)
    return stem, torch.stack(outs)


def sample_starts(rng, tokens, n, length, doc_starts, doc_frac):
    starts = rng.integers(0, len(tokens) - length - 1, size=n)
    use_doc = rng.random(n) < doc_frac
    ok = doc_starts[doc_starts < len(tokens) - length - 1]
    if ok.size:
        starts = np.where(use_doc, ok[rng.integers(0, ok.size, size=n)], starts)
    return starts


def kind_pattern(mix):
    pat = []
    for part in mix.split(","):
        name, _, w = part.partition(":")
        name = name.strip()
        if name not in KINDS:
            raise DistillError("--mix: unknown kind %r (kinds: %s)" % (name, ", ".join(KINDS)))
        try:
            w = int(w or 1)
        except ValueError as e:
            raise DistillError("--mix: weight of %s must be an integer, got %r" % (name, w)) from e
        pat += [name] * w
    if not pat:
        raise DistillError("--mix is empty")
    return pat


@torch.no_grad()
def make_chunk(model, tokens, doc_starts, split, c, cfg, E):
    """One chunk of `gen_batch` sequences of one kind; everything the training needs, nothing else."""
    pat = kind_pattern(cfg["mix"])
    kind = pat[c % len(pat)]
    salt = 0 if split == "train" else 7919
    rng = np.random.default_rng(cfg["seed"] * 1000003 + salt * 100003 + c)
    gen = torch.Generator().manual_seed(int(cfg["seed"] * 1000003 + salt * 100003 + c))
    B, T = cfg["gen_batch"], cfg["seq_len"]
    P = int(rng.integers(cfg["prefix_min"], cfg["prefix_max"] + 1)) if kind != "branch" else T
    starts = sample_starts(rng, tokens, B, P, doc_starts, cfg["doc_start_frac"] if kind != "branch" else 0.0)
    prefix = torch.from_numpy(np.stack([tokens[s:s + P].astype(np.int64) for s in starts]))
    mask = torch.zeros(B, E, T, dtype=torch.bool)
    if kind == "branch":
        x = prefix
        parts = [branch_features(model, x[i:i + 16], E) for i in range(0, B, 16)]  # bounded attention memory
        stem = torch.cat([s for s, _ in parts])
        teach = torch.cat([t for _, t in parts], 1).permute(1, 0, 2, 3)  # [B, E, T, d]
        mask[:] = True
        argmax_ok = 1.0
    else:
        x = continue_base(model, prefix, T - P, kind == "greedy", cfg, gen)
        stem, hn, _ = base_features(model, x)
        teach = torch.zeros(B, E, T, hn.shape[-1])
        for j in range(E):
            n = j + 2  # head n at t reads the base's distribution at t + n - 1
            teach[:, j, :T - n + 1] = hn[:, n - 1:]
            mask[:, j, P - 1:T - n + 1] = True
        # sanity: the parallel pass reproduces the cached greedy steps
        am = model.embed_out(hn[:, P - 1:-1]).argmax(-1)
        argmax_ok = float((am == x[:, P:]).float().mean()) if kind == "greedy" else None
    dt = getattr(torch, cfg["store_dtype"])
    return {"kind": kind, "prefix": P, "tokens": x.to(torch.int16), "stem": stem.to(dt), "teach": teach.to(dt),
            "mask": mask, "greedy": torch.full((B,), kind != "sampled", dtype=torch.bool),
            "greedy_consistency": argmax_ok}


def build_data(model, data_dir, out, cfg, E, log):
    ddir = os.path.join(out, "data")
    os.makedirs(ddir, exist_ok=True)
    # chunk c depends on these and on c only, so a larger --train-sequences extends the same data
    spec = {k: cfg[k] for k in ("seq_len", "prefix_min", "prefix_max", "doc_start_frac", "gen_batch", "mix",
                                "temperature", "top_k", "repetition_penalty", "store_dtype", "seed")}
    spec_path = os.path.join(ddir, "spec.json")
    if os.path.exists(spec_path):
        old = {k: v for k, v in json.load(open(spec_path)).items() if k not in ("train_sequences", "val_sequences")}
        if old != spec:
            raise DistillError("%s was generated with other settings (%s); use a new --out or --force" % (
                ddir, ", ".join("%s %s -> %s" % (k, old.get(k), v) for k, v in spec.items() if old.get(k) != v)))
    else:
        json.dump(spec, open(spec_path, "w"), indent=2)
    if cfg["seq_len"] > model.cfg.max_position_embeddings or cfg["prefix_max"] >= cfg["seq_len"] or cfg["prefix_min"] < 1:
        raise DistillError("need 1 <= prefix-min <= prefix-max < seq-len (got %d, %d, %d)" % (
            cfg["prefix_min"], cfg["prefix_max"], cfg["seq_len"]))
    t_gen = 0.0
    chunks = {}
    for split, n_seq in (("train", cfg["train_sequences"]), ("val", cfg["val_sequences"])):
        tokens = np.fromfile(os.path.join(data_dir, split + ".bin"), dtype=np.uint16)
        doc_starts = np.concatenate([[0], np.nonzero(tokens == EOT)[0] + 1])
        n_chunks = max(1, math.ceil(n_seq / cfg["gen_batch"]))
        chunks[split] = []
        for c in range(n_chunks):
            path = os.path.join(ddir, "%s-%05d.pt" % (split, c))
            if not os.path.exists(path):
                t0 = time.time()
                ch = make_chunk(model, tokens, doc_starts, split, c, cfg, E)
                ch["seconds"] = time.time() - t0
                tmp = path + ".tmp"
                torch.save(ch, tmp)
                os.replace(tmp, path)
                log({"data": split, "chunk": c, "of": n_chunks, "kind": ch["kind"], "prefix": ch["prefix"],
                     "greedy_consistency": ch["greedy_consistency"], "s": round(ch["seconds"], 2)})
            chunks[split].append(path)
    for split in chunks:
        for p in chunks[split]:
            t_gen += torch.load(p)["seconds"]
    return chunks, t_gen


def load_split(paths):
    parts = [torch.load(p) for p in paths]
    cat = {k: torch.cat([p[k] for p in parts]) for k in ("tokens", "stem", "teach", "mask", "greedy")}
    cat["kind"] = sum(([p["kind"]] * p["tokens"].shape[0] for p in parts), [])
    return cat


# -------------------------------------------------------------------------------------- training
def head_logits(model, stem):
    """stem [B, T, d] -> logits [E, B, T, V] of the extra heads (the frozen final LN and embed_out)."""
    B, T, _ = stem.shape
    cos, sin = rope(model, torch.arange(T).unsqueeze(0).expand(B, T))
    mask = torch.ones(T, T, dtype=torch.bool).tril().view(1, 1, T, T)
    outs = []
    for layer in model.dynamo_heads:
        hh, _ = layer(stem, cos, sin, mask)
        outs.append(model.embed_out(model.gpt_neox.final_layer_norm(hh)))
    return outs


def batch_losses(model, b, cfg, with_metrics=False):
    stem = b["stem"].float()
    outs = head_logits(model, stem)
    res = []
    for j, lg in enumerate(outs):
        m = b["mask"][:, j]  # [B, T]
        lp = F.log_softmax(lg[m], -1)  # [N, V]
        with torch.no_grad():
            tlg = model.embed_out(b["teach"][:, j][m].float())
            tlp = F.log_softmax(tlg, -1)
            tgt = tlg.argmax(-1)
        kl = (tlp.exp() * (tlp - lp)).sum(-1)
        soft = kl.mean()
        rows = b["greedy"].unsqueeze(1).expand_as(m)[m] if cfg["hard_rows"] == "greedy" else torch.ones_like(tgt, dtype=torch.bool)
        ce = F.nll_loss(lp, tgt, reduction="none")
        hard = ce[rows].mean() if rows.any() else ce.sum() * 0.0
        r = {"loss": cfg["soft_weight"] * soft + cfg["hard_weight"] * hard, "kl": soft.detach(), "ce": hard.detach()}
        if with_metrics:
            r["agree"] = (lp.argmax(-1) == tgt)
            r["kl_each"] = kl.detach()
            r["kind_rows"] = m.nonzero()[:, 0]
        res.append(r)
    return res


@torch.no_grad()
def validate(model, val, cfg):
    """Per head and data kind: mean KL(teacher || head) and how often the head's argmax equals the
    teacher's (on greedy sequences: the token greedy decoding emits n-1 steps after the next)."""
    model.eval()
    N = val["tokens"].shape[0]
    E = model.cfg.extra_heads
    acc = {}
    for i in range(0, N, 16):
        b = {k: val[k][i:i + 16] for k in ("stem", "teach", "mask", "greedy")}
        kinds = val["kind"][i:i + 16]
        for j, r in enumerate(batch_losses(model, b, cfg, with_metrics=True)):
            for kind in set(kinds):
                sel = torch.tensor([kinds[int(row)] == kind for row in r["kind_rows"]], dtype=torch.bool)
                a = acc.setdefault((j, kind), [0.0, 0.0, 0])
                a[0] += float(r["kl_each"][sel].sum())
                a[1] += float(r["agree"][sel].sum())
                a[2] += int(sel.sum())
    model.train()
    out = {}
    for (j, kind), (kl, ag, n) in sorted(acc.items()):
        out.setdefault("head%d" % (j + 2), {})[kind] = {"kl": round(kl / max(1, n), 4), "agree": round(ag / max(1, n), 4),
                                                        "positions": n}
    return out


def cosine(p, warm, min_frac):
    if p < warm:
        return (p / warm) if warm > 0 else 1.0
    q = min(1.0, (p - warm) / max(1e-9, 1.0 - warm))
    return min_frac + (1 - min_frac) * 0.5 * (1 + math.cos(math.pi * q))


def save(path, obj):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main(argv=None):
    a, cfg = parse(argv)
    torch.set_num_threads(cfg["threads"])
    out = os.path.abspath(a.out)
    ckpt_path = os.path.join(out, "ckpt.pt")
    check_out(out, a.force, a.resume)
    state = None
    if a.resume:
        if not os.path.exists(ckpt_path):
            raise DistillError("nothing to resume in %s (no ckpt.pt)" % out)
        state = torch.load(ckpt_path, map_location="cpu")
        saved = state["distill_cfg"]
        for k in DEFAULTS:
            if getattr(a, k) is None and k in saved:
                cfg[k] = saved[k]
        run = state["distill_run"]
        base_path, model_dir, tok_path, data_dir = run["base"], run["model"], run["tokenizer"], run["data"]
    else:
        if not a.base:
            raise DistillError("--base CKPT is required (a train.py checkpoint, or one from ckpt_from_onnx.py)")
        base_path, model_dir = os.path.abspath(a.base), os.path.abspath(a.model)
        tok_path = a.tokenizer or (os.path.join(a.work, "tokenizer.json") if os.path.exists(os.path.join(a.work, "tokenizer.json"))
                                   else os.path.join(model_dir, "tokenizer.json"))
        data_dir = os.path.abspath(a.data or os.path.join(a.work, "data"))
        tok_path = os.path.abspath(tok_path)
    if cfg["hard_rows"] not in ("greedy", "all"):
        raise DistillError("--hard-rows must be greedy or all")
    if cfg["init"] not in ("heads", "random"):
        raise DistillError("--init must be heads (continue from the base checkpoint's heads) or random")
    man_path = os.path.join(model_dir, "dynamo.json")
    if not os.path.exists(man_path):
        raise DistillError("%s does not exist (--model must be a DynaMo model folder)" % man_path)
    man = json.load(open(man_path))
    if not os.path.exists(base_path):
        raise DistillError("base checkpoint %s does not exist" % base_path)
    base_state = torch.load(base_path, map_location="cpu")
    if not isinstance(base_state, dict) or "model" not in base_state or "model_cfg" not in base_state:
        raise DistillError("%s is not a train.py checkpoint (no model / model_cfg)" % base_path)
    mcfg = Config.from_dict(base_state["model_cfg"])
    check_base(man, mcfg, man_path)
    if mcfg.extra_heads < 1:
        raise DistillError("the base has no DynaMo head layers to train")
    check_tokenizer(man, tok_path, man_path)
    check_data(data_dir, tok_path, mcfg.vocab_size)
    os.makedirs(out, exist_ok=True)
    log_path = os.path.join(out, "log.jsonl")
    if not a.resume and a.force:
        for f in ("ckpt.pt", "DONE", "log.jsonl"):
            if os.path.exists(os.path.join(out, f)):
                os.remove(os.path.join(out, f))
    logf = open(log_path, "a")

    def log(rec):
        print(json.dumps(rec), flush=True)
        logf.write(json.dumps(rec) + "\n")
        logf.flush()

    model = DynamoModel(mcfg)
    try:
        model.load_state_dict(base_state["model"])
    except RuntimeError as e:
        raise DistillError("the base checkpoint's tensors do not fit its config: %s" % str(e).splitlines()[0]) from e
    model.eval()
    base_sd = {k: v.clone() for k, v in model.state_dict().items()}
    E = mcfg.extra_heads
    if not a.resume:
        log({"start": True, "base": base_path, "model": model_dir, "tokenizer": tok_path, "data": data_dir, "cfg": cfg})

    chunks, gen_s = build_data(model, data_dir, out, cfg, E, log)
    if a.data_only:
        print("distill: data ready in %s (%.0fs of generation)" % (os.path.join(out, "data"), gen_s), flush=True)
        return
    train = load_split(chunks["train"])
    if cfg["train_kinds"] != "all":
        keep_kinds = {k.strip() for k in cfg["train_kinds"].split(",")}
        if not keep_kinds <= set(KINDS):
            raise DistillError("--train-kinds: unknown kind in %r (kinds: %s)" % (cfg["train_kinds"], ", ".join(KINDS)))
        rows = torch.tensor([k in keep_kinds for k in train["kind"]])
        if not rows.any():
            raise DistillError("--train-kinds %s: the data holds no such sequences (--mix %s)" % (cfg["train_kinds"], cfg["mix"]))
        train = {k: (v[rows] if torch.is_tensor(v) else [x for x, r in zip(v, rows.tolist()) if r]) for k, v in train.items()}
    val = load_split(chunks["val"])
    N = train["tokens"].shape[0]
    positions = int(train["mask"].sum())
    steps_per_epoch = max(1, N // cfg["batch"])
    max_steps = cfg["max_steps"] or max(1, int(round(cfg["epochs"] * steps_per_epoch)))

    # only the head layers train; everything else is frozen and checked bit for bit before saving
    for n_, p in model.named_parameters():
        p.requires_grad_(n_.startswith("dynamo_heads."))
    heads = [(n_, p) for n_, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW([
        {"params": [p for n_, p in heads if p.dim() >= 2], "weight_decay": cfg["weight_decay"]},
        {"params": [p for n_, p in heads if p.dim() < 2], "weight_decay": 0.0},
    ], lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]))
    step, train_s, seen, last = 0, 0.0, 0, {}
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, train_s, seen, last = state["step_distill"], state["train_s_distill"], state["positions_seen"], state["last_distill"]
        print("resumed at step %d (%.0fs trained)" % (step, train_s), flush=True)
    before = last.get("val_before")
    if before is None:
        model.load_state_dict(base_sd)
        if cfg["init"] == "random":
            model.reinit_heads(cfg["seed"])
        before = validate(model, val, cfg)
        last["val_before"] = before
        log({"step": step, "val": before, "note": "before distillation"})
    machine = "%s, %s, %d threads" % (platform.node(), platform.processor() or platform.machine(), cfg["threads"])

    def progress():
        p = step / max_steps
        if cfg["time_budget_s"] > 0:
            p = max(p, train_s / cfg["time_budget_s"])
        return min(1.0, p)

    def checkpoint():
        sd = model.state_dict()
        changed = [k for k, v in base_sd.items() if not k.startswith("dynamo_heads.") and not torch.equal(v, sd[k])]
        if changed:
            raise RuntimeError("frozen base tensors changed: %s" % changed[:5])
        rec = {
            "stage": "self-distillation of the DynaMo head layers on the frozen base (recipe/distill.py)",
            "trained": "dynamo_heads.* only; stem, last base layer, final LayerNorm, embeddings frozen (bit-identical)",
            "init": "the base checkpoint's heads" if cfg["init"] == "heads" else "random",
            "data": {"trainSequences": N, "valSequences": val["tokens"].shape[0], "seqLen": cfg["seq_len"],
                     "prefixTokens": [cfg["prefix_min"], cfg["prefix_max"]], "docStartFrac": cfg["doc_start_frac"],
                     "mix": cfg["mix"], "trainKinds": cfg["train_kinds"], "trainPositions": positions, "source": "training-text prefixes (train.bin)",
                     "sampling": {"temperature": cfg["temperature"], "topK": cfg["top_k"],
                                  "repetitionPenalty": cfg["repetition_penalty"]}},
            "loss": {"soft": "KL(base's next-token distribution n-1 tokens later || head n)", "softWeight": cfg["soft_weight"],
                     "hardWeight": cfg["hard_weight"], "hardRows": cfg["hard_rows"]},
            "training": {k: cfg[k] for k in ("batch", "lr", "min_lr_frac", "warmup_frac", "weight_decay", "beta1",
                                             "beta2", "grad_clip", "epochs", "time_budget_s", "seed")},
            "steps": step, "positionsSeen": seen, "generateSeconds": round(gen_s, 1), "trainSeconds": round(train_s, 1),
            "machine": machine, "valBefore": before, "val": last.get("val"),
            "baseCheckpoint": run_base_sha,
            "savedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        obj = {k: v for k, v in base_state.items() if k not in ("model", "opt")}
        obj.update({"model": sd, "opt": opt.state_dict(), "distill_cfg": cfg, "distillation": rec,
                    "distill_run": {"base": base_path, "model": model_dir, "tokenizer": tok_path, "data": data_dir},
                    "step_distill": step, "train_s_distill": train_s, "positions_seen": seen, "last_distill": last})
        save(ckpt_path, obj)

    run_base_sha = {"file": os.path.basename(base_path), "sha256": sha256_file(base_path)}
    model.train()
    t_ckpt = time.time()
    win_t, win_pos = time.time(), 0
    while progress() < 1.0:
        p = progress()
        lr = cfg["lr"] * cosine(p, cfg["warmup_frac"], cfg["min_lr_frac"])
        for g in opt.param_groups:
            g["lr"] = lr
        t0 = time.time()
        epoch, k = divmod(step, steps_per_epoch)
        perm = np.random.default_rng(cfg["seed"] * 7919 + epoch).permutation(N)
        idx = torch.from_numpy(perm[k * cfg["batch"]:(k + 1) * cfg["batch"]])
        b = {kk: train[kk][idx] for kk in ("stem", "teach", "mask", "greedy")}
        rs = batch_losses(model, b, cfg)
        loss = sum(r["loss"] for r in rs)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_([q for _, q in heads], cfg["grad_clip"])
        opt.step()
        step += 1
        train_s += time.time() - t0
        npos = int(b["mask"].sum())
        seen += npos
        win_pos += npos
        last["loss"] = [round(float(r["loss"]), 4) for r in rs]
        if step % cfg["log_every"] == 0:
            log({"step": step, "p": round(p, 4), "lr": lr, "kl": [round(float(r["kl"]), 4) for r in rs],
                 "ce": [round(float(r["ce"]), 4) for r in rs], "gnorm": round(float(gn), 3),
                 "pos_s": round(win_pos / max(1e-9, time.time() - win_t), 1), "train_s": round(train_s, 1)})
            win_t, win_pos = time.time(), 0
        if step % cfg["eval_every"] == 0:
            last["val"] = validate(model, val, cfg)
            log({"step": step, "val": last["val"]})
        if time.time() - t_ckpt > cfg["ckpt_every_s"]:
            checkpoint()
            t_ckpt = time.time()
    last["val"] = validate(model, val, cfg)
    log({"step": step, "final": True, "val": last["val"], "train_s": round(train_s, 1), "generate_s": round(gen_s, 1)})
    checkpoint()
    open(os.path.join(out, "DONE"), "w").write(json.dumps({"step": step, "val": last["val"], "train_s": train_s}) + "\n")


if __name__ == "__main__":
    try:
        main()
    except DistillError as e:
        print("distill: %s" % e, file=sys.stderr)
        sys.exit(2)
