#!/usr/bin/python3
"""The assistant model for assistant-model speculative decoding (@dynamojs/model-tiny-assistant).

A 2-layer GPT-NeoX student of the base's width (160), heads, tokenizer and vocabulary, initialised
from the base's layers 1 and 6 (indexes 0 and 5, `--init-layers`) plus its input embedding, final
LayerNorm and output embedding, and distilled on the base's own next-token distributions over the
recipe's training data (recipe/work/data/train.bin, teacher-forced 256-token windows):

    loss = KL(p_base || q_student) over the full vocabulary, mean over positions
           (+ hard_weight * cross-entropy on the data's next token, 0 by default)

Everything in the student is trained (it is its own copy of the embeddings); the base is frozen and
runs without gradients next to it. The schedule runs on progress p = max(step / max_steps,
training seconds / time_budget_s): warm-up over 2 %, then cosine from `lr` to lr * min_lr_frac.

Subcommands (run from packages/model-tiny/):
  train   /usr/bin/python3 recipe/assistant.py train --base recipe/work/shipped.pt --out recipe/work/assistant \
              --time-budget-s 2100            (resumable: add --resume; any flag given overrides the saved one)
  eval    /usr/bin/python3 recipe/assistant.py eval --ckpt recipe/work/assistant/ckpt.pt
              greedy agreement (argmax student == argmax base, teacher-forced) and KL on all of val.bin,
              and the expected acceptance sum_v min(p, q) of speculative sampling -> work/assistant/eval.json
  export  /usr/bin/python3 recipe/assistant.py export --ckpt recipe/work/assistant/ckpt.pt
              -> packages/model-tiny-assistant/model/ (config.json, generation_config.json, tokenizer.json,
              tokenizer_config.json, onnx/model.onnx, assistant.json) in the hub / transformers.js layout of
              model/base/, the graph written by export.py's base-only exporter; and PyTorch reference
              logits for recipe/assistant_check.mjs -> work/assistant/ref.{json,bin}

The base checkpoint (`--base`) is the shipped weights recovered with ckpt_from_onnx.py (README,
"Re-exporting the shipped model"); train.py's and distill.py's checkpoints load as well.
"""
import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import export_onnx, hf_config, sha256  # noqa: E402
from model import Config, DynamoModel  # noqa: E402
from train import cosine, get_batch, save  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(PKG))
BASE_DIR = os.path.join(PKG, "model", "base")
OUT_DIR = os.path.join(ROOT, "packages", "model-tiny-assistant", "model")

DEFAULTS = dict(
    init_layers="0,5", ctx=256, batch=16, lr=1e-3, min_lr_frac=0.1, warmup_frac=0.02, weight_decay=0.1,
    beta1=0.9, beta2=0.95, grad_clip=1.0, hard_weight=0.0, max_steps=100000, time_budget_s=2100.0,
    eval_every=100, eval_windows=48, ckpt_every_s=300.0, log_every=10, seed=4321, threads=1,
)


def load_model(path):
    st = torch.load(path, map_location="cpu")
    m = DynamoModel(Config.from_dict(st["model_cfg"]))
    m.load_state_dict(st["model"])
    m.eval()
    return m, st


def make_student(base, layers):
    """The student: len(layers) decoder layers copied from the base, its embeddings, final norm and
    unembedding; no DynaMo head layers."""
    bc = base.cfg
    cfg = Config(vocab_size=bc.vocab_size, hidden_size=bc.hidden_size, num_layers=len(layers),
                 num_heads=bc.num_heads, intermediate_size=bc.intermediate_size, rotary_pct=bc.rotary_pct,
                 rotary_base=bc.rotary_base, layer_norm_eps=bc.layer_norm_eps,
                 max_position_embeddings=bc.max_position_embeddings, extra_heads=0, init_std=bc.init_std)
    s = DynamoModel(cfg)
    with torch.no_grad():
        s.gpt_neox.embed_in.load_state_dict(base.gpt_neox.embed_in.state_dict())
        s.gpt_neox.final_layer_norm.load_state_dict(base.gpt_neox.final_layer_norm.state_dict())
        s.embed_out.load_state_dict(base.embed_out.state_dict())
        for i, j in enumerate(layers):
            s.gpt_neox.layers[i].load_state_dict(base.gpt_neox.layers[j].state_dict())
    return s


def logits1(model, x):
    return model.forward_train(x, n_heads=1)[0]


def kl_terms(t_logits, s_logits):
    """Per-position KL(p || q), argmax agreement and sum_v min(p, q) (speculative sampling's
    acceptance probability), all [N]."""
    lp = F.log_softmax(t_logits.float(), dim=-1)
    lq = F.log_softmax(s_logits.float(), dim=-1)
    kl = (lp.exp() * (lp - lq)).sum(-1)
    agree = (t_logits.argmax(-1) == s_logits.argmax(-1)).float()
    acc = torch.minimum(lp.exp(), lq.exp()).sum(-1)
    return kl, agree, acc


@torch.no_grad()
def evaluate(student, base, val, ctx, windows, batch=8):
    """Teacher-forced over `windows` evenly spaced ctx-token windows of val (all of it when windows == 0:
    consecutive windows). Returns mean KL, greedy agreement, expected acceptance, data CE of both."""
    student.eval()
    if windows > 0:
        starts = np.linspace(0, len(val) - ctx - 2, windows).astype(np.int64)
    else:
        starts = np.arange(0, len(val) - ctx - 1, ctx, dtype=np.int64)
    tot = dict(kl=0.0, agree=0.0, accept=0.0, ce_student=0.0, ce_base=0.0)
    n = 0
    for i in range(0, len(starts), batch):
        xs = np.stack([val[s:s + ctx + 1].astype(np.int64) for s in starts[i:i + batch]])
        x = torch.from_numpy(xs)
        inp, lab = x[:, :ctx], x[:, 1:]
        tl, sl = logits1(base, inp), logits1(student, inp)
        kl, agree, acc = kl_terms(tl.reshape(-1, tl.shape[-1]), sl.reshape(-1, sl.shape[-1]))
        tot["kl"] += kl.sum().item()
        tot["agree"] += agree.sum().item()
        tot["accept"] += acc.sum().item()
        tot["ce_student"] += F.cross_entropy(sl.reshape(-1, sl.shape[-1]), lab.reshape(-1), reduction="sum").item()
        tot["ce_base"] += F.cross_entropy(tl.reshape(-1, tl.shape[-1]), lab.reshape(-1), reduction="sum").item()
        n += lab.numel()
    student.train()
    out = {k: v / n for k, v in tot.items()}
    out["positions"] = n
    return out


def cmd_train(a):
    cfg = dict(DEFAULTS)
    os.makedirs(a.out, exist_ok=True)
    ckpt_path = os.path.join(a.out, "ckpt.pt")
    state = None
    if a.resume and os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu")
        cfg.update(state["train_cfg"])
    for k in DEFAULTS:
        v = getattr(a, k)
        if v is not None:
            cfg[k] = v
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    base_path = state["base"] if state else a.base
    base, _ = load_model(base_path)
    for p in base.parameters():
        p.requires_grad_(False)
    layers = [int(s) for s in cfg["init_layers"].split(",")]
    student = make_student(base, layers)
    train = np.memmap(os.path.join(a.data, "train.bin"), dtype=np.uint16, mode="r")
    val = np.memmap(os.path.join(a.data, "val.bin"), dtype=np.uint16, mode="r")
    decay = lambda n, p: p.dim() >= 2 and "embed_in" not in n  # noqa: E731
    named = list(student.named_parameters())
    opt = torch.optim.AdamW([
        {"params": [p for n, p in named if decay(n, p)], "weight_decay": cfg["weight_decay"]},
        {"params": [p for n, p in named if not decay(n, p)], "weight_decay": 0.0},
    ], lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]))
    step, train_s, tokens_seen, last = 0, 0.0, 0, {}
    log = open(os.path.join(a.out, "log.jsonl"), "a")

    def emit(rec):
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n")
        log.flush()

    if state is not None:
        student.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, train_s, tokens_seen, last = state["step"], state["train_s"], state["tokens_seen"], state["last"]
        print("resumed at step %d (%.0f s trained, %d tokens)" % (step, train_s, tokens_seen), flush=True)
    else:
        ev = evaluate(student, base, val, cfg["ctx"], cfg["eval_windows"])
        emit({"step": 0, "init_layers": layers, "val": {k: round(v, 4) for k, v in ev.items()}})
    print("student: %d layers from base layers %s, %d parameters; base %s" % (
        len(layers), layers, sum(p.numel() for p in student.parameters()), base_path), flush=True)

    def progress():
        p = step / cfg["max_steps"]
        if cfg["time_budget_s"] > 0:
            p = max(p, train_s / cfg["time_budget_s"])
        return min(1.0, p)

    def checkpoint():
        save(ckpt_path, {"model": student.state_dict(), "opt": opt.state_dict(), "model_cfg": student.cfg.to_dict(),
                         "step": step, "train_s": train_s, "tokens_seen": tokens_seen, "train_cfg": cfg,
                         "last": last, "base": base_path,
                         "machine": "%s, %s, %d threads" % (platform.node(), platform.processor() or platform.machine(),
                                                            cfg["threads"]),
                         "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    student.train()
    t_ckpt, win_t, win_tok = time.time(), time.time(), 0
    while progress() < 1.0:
        p = progress()
        lr = cfg["lr"] * cosine(p, cfg["warmup_frac"], cfg["min_lr_frac"])
        for g in opt.param_groups:
            g["lr"] = lr
        t0 = time.time()
        x = get_batch(train, step, cfg, 0)
        inp, lab = x[:, :cfg["ctx"]], x[:, 1:]
        with torch.no_grad():
            tl = logits1(base, inp).reshape(-1, base.cfg.vocab_size)
            lp = F.log_softmax(tl, dim=-1)
        sl = logits1(student, inp).reshape(-1, base.cfg.vocab_size)
        lq = F.log_softmax(sl, dim=-1)
        kl = F.kl_div(lq, lp, log_target=True, reduction="batchmean")
        loss = kl
        ce = None
        if cfg["hard_weight"] > 0:
            ce = F.nll_loss(lq, lab.reshape(-1))
            loss = loss + cfg["hard_weight"] * ce
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(student.parameters(), cfg["grad_clip"])
        opt.step()
        train_s += time.time() - t0
        step += 1
        ntok = cfg["batch"] * cfg["ctx"]
        tokens_seen += ntok
        win_tok += ntok
        last = {"step": step, "kl": round(kl.item(), 4)}
        if step % cfg["log_every"] == 0:
            with torch.no_grad():
                agree = (tl.argmax(-1) == sl.argmax(-1)).float().mean().item()
            rec = {"step": step, "p": round(p, 4), "lr": lr, "kl": round(kl.item(), 4), "agree": round(agree, 4),
                   "gnorm": round(float(gn), 3), "tok_s": round(win_tok / max(1e-9, time.time() - win_t), 1),
                   "tokens": tokens_seen, "train_s": round(train_s, 1)}
            if ce is not None:
                rec["ce"] = round(ce.item(), 4)
            win_t, win_tok = time.time(), 0
            emit(rec)
        if step % cfg["eval_every"] == 0:
            ev = evaluate(student, base, val, cfg["ctx"], cfg["eval_windows"])
            last["val"] = {k: round(v, 4) for k, v in ev.items()}
            emit({"step": step, "val": last["val"], "tokens": tokens_seen})
        if time.time() - t_ckpt > cfg["ckpt_every_s"]:
            checkpoint()
            t_ckpt = time.time()
    ev = evaluate(student, base, val, cfg["ctx"], cfg["eval_windows"])
    last["val"] = {k: round(v, 4) for k, v in ev.items()}
    rec = {"step": step, "final": True, "val": last["val"], "tokens": tokens_seen, "train_s": round(train_s, 1)}
    emit(rec)
    checkpoint()
    open(os.path.join(a.out, "DONE"), "w").write(json.dumps(rec) + "\n")


def cmd_eval(a):
    torch.set_num_threads(a.threads)
    student, st = load_model(a.ckpt)
    base, _ = load_model(a.base or st["base"])
    val = np.memmap(os.path.join(a.data, "val.bin"), dtype=np.uint16, mode="r")
    ev = evaluate(student, base, val, st["train_cfg"]["ctx"], 0)
    ev["ckpt"] = os.path.relpath(a.ckpt, PKG)
    ev["step"] = st["step"]
    print(json.dumps(ev, indent=2))
    out = a.out or os.path.join(os.path.dirname(a.ckpt), "eval.json")
    json.dump(ev, open(out, "w"), indent=2)


def write_reference(model, ref_dir, tokens, n=48):
    """PyTorch logits of one prefill (the first n validation tokens) for assistant_check.mjs."""
    os.makedirs(ref_dir, exist_ok=True)
    ids = [int(t) for t in tokens[:n]]
    with torch.no_grad():
        lg = logits1(model, torch.tensor([ids])).numpy().astype(np.float32)
    lg.tofile(os.path.join(ref_dir, "ref.bin"))
    json.dump({"inputIds": ids, "logits": {"offset": 0, "shape": list(lg.shape)}},
              open(os.path.join(ref_dir, "ref.json"), "w"), indent=2)


def cmd_export(a):
    torch.set_num_threads(a.threads)
    student, st = load_model(a.ckpt)
    cfg = student.cfg
    out = a.out
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    export_onnx(student, os.path.join(out, "onnx", "model.onnx"), False)
    json.dump(hf_config(cfg), open(os.path.join(out, "config.json"), "w"), indent=2)
    for f in ("generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(BASE_DIR, f), os.path.join(out, f))
    ev = None
    ev_path = a.eval or os.path.join(os.path.dirname(a.ckpt), "eval.json")
    if os.path.exists(ev_path):
        ev = json.load(open(ev_path))
    tc = st["train_cfg"]
    files = {}
    for f in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"):
        p = os.path.join(out, f)
        files[f] = {"bytes": os.path.getsize(p), "sha256": sha256(p)}
    base_graph = os.path.join(BASE_DIR, "onnx", "model.onnx")
    manifest = {
        "name": "dynamo-tiny-assistant",
        "description": "2-layer assistant (draft) model for @dynamojs/model-tiny's base: same tokenizer and vocabulary",
        "target": {"package": "@dynamojs/model-tiny", "model": "model/base/onnx/model.onnx",
                   "sha256": sha256(base_graph),
                   "tokenizerSha256": hashlib.sha256(open(os.path.join(BASE_DIR, "tokenizer.json"), "rb").read()).hexdigest()},
        "architecture": {"layers": cfg.num_layers, "hiddenSize": cfg.hidden_size, "attentionHeads": cfg.num_heads,
                         "intermediateSize": cfg.intermediate_size, "vocabSize": cfg.vocab_size,
                         "parameters": sum(p.numel() for p in student.parameters())},
        "files": files,
        "provenance": {
            "initLayers": [int(s) for s in tc["init_layers"].split(",")],
            "objective": "KL(base || assistant) over the full vocabulary on the base's teacher-forced next-token "
                         "distributions" + (" + %g x cross-entropy" % tc["hard_weight"] if tc["hard_weight"] else ""),
            "data": "packages/model-tiny recipe training split (recipe/work/data/train.bin)",
            "steps": st["step"], "tokensSeen": st["tokens_seen"], "trainSeconds": round(st["train_s"], 1),
            "schedule": {k: tc[k] for k in ("ctx", "batch", "lr", "min_lr_frac", "warmup_frac", "weight_decay",
                                            "time_budget_s", "threads")},
            "machine": st.get("machine"), "checkpointSavedAt": st.get("saved_at"),
        },
    }
    if ev is not None:
        manifest["quality"] = {
            "heldOut": "all of the recipe's validation split (63 documents), teacher-forced %d-token windows" % tc["ctx"],
            "positions": ev["positions"], "greedyAgreement": round(ev["agree"], 4),
            "expectedAcceptance": round(ev["accept"], 4), "klBaseAssistant": round(ev["kl"], 4),
            "valLoss": {"assistant": round(ev["ce_student"], 4), "base": round(ev["ce_base"], 4)},
        }
    json.dump(manifest, open(os.path.join(out, "assistant.json"), "w"), indent=2)
    open(os.path.join(out, "assistant.json"), "a").write("\n")
    val = np.memmap(os.path.join(a.data, "val.bin"), dtype=np.uint16, mode="r")
    write_reference(student, a.ref, val)
    total = sum(v["bytes"] for v in files.values())
    print("wrote %s (%.2f MB)" % (out, total / 1e6), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--base", default=os.path.join(HERE, "work", "shipped.pt"))
    t.add_argument("--out", default=os.path.join(HERE, "work", "assistant"))
    t.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    t.add_argument("--resume", action="store_true")
    for k, v in DEFAULTS.items():
        t.add_argument("--" + k.replace("_", "-"), type=type(v), default=None)
    e = sub.add_parser("eval")
    e.add_argument("--ckpt", default=os.path.join(HERE, "work", "assistant", "ckpt.pt"))
    e.add_argument("--base", default=None, help="default: the base the checkpoint was trained from")
    e.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    e.add_argument("--out", default=None)
    e.add_argument("--threads", type=int, default=1)
    x = sub.add_parser("export")
    x.add_argument("--ckpt", default=os.path.join(HERE, "work", "assistant", "ckpt.pt"))
    x.add_argument("--out", default=OUT_DIR)
    x.add_argument("--eval", default=None, help="eval output (default: eval.json beside the checkpoint)")
    x.add_argument("--ref", default=os.path.join(HERE, "work", "assistant", "ref"))
    x.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    x.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    {"train": cmd_train, "eval": cmd_eval, "export": cmd_export}[a.cmd](a)


if __name__ == "__main__":
    main()
