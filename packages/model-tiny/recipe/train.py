#!/usr/bin/python3
"""Step 3: train the GPT-NeoX base and the DynaMo heads (resumable).

Schedule ("progress" p in [0, 1] = max(step / max_steps, train_seconds / time_budget_s)):
  * p < dynamo_start: base only (heads not computed), LR_B with warm-up + cosine;
  * p >= dynamo_start: DynaMo stage, all heads, loss = sum over heads; three learning rates:
      LR_B (base, continuing its cosine), LR_M (new head layers, own warm-up + cosine over the stage),
      and the heads' gradient into the stem scaled by stem_grad_scale (0.1 -> LR_MB = LR_B / 10).
  dynamo_start = 0 trains everything jointly from step 0.

Usage:
  /usr/bin/python3 recipe/train.py --out recipe/work/run [--config cfg.json] [flags]
  /usr/bin/python3 recipe/train.py --out recipe/work/run --resume
"""
import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, DynamoModel, config_from_hf, count_params, load_base_state_dict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULTS = dict(
    vocab_size=4096, hidden_size=160, num_layers=6, num_heads=5, intermediate_size=640,
    rotary_pct=0.25, rotary_base=10000.0, extra_heads=2, max_position_embeddings=2048,
    ctx=256, batch=16, lr_b=1.5e-3, lr_m=1.5e-3, stem_grad_scale=0.1, min_lr_frac=0.1,
    warmup_frac=0.02, head_warmup_frac=0.01, weight_decay=0.1, beta1=0.9, beta2=0.95, grad_clip=1.0,
    max_steps=100000, time_budget_s=0.0, dynamo_start=0.7, eval_every=200, eval_windows=48,
    ckpt_every_s=300.0, log_every=10, seed=1234, threads=2,
)


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    ap.add_argument("--config", default=None, help="JSON file with any of the flags below")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init-hf", default=None,
                    help="start from a Hugging Face GPT-NeoX/Pythia folder (config.json + pytorch_model.bin): "
                         "its weights become the base, the DynaMo head layers are new")
    ap.add_argument("--bench", type=float, default=0.0, help="run this many seconds, print tokens/s, exit")
    for k, v in DEFAULTS.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=None)
    a = ap.parse_args()
    cfg = dict(DEFAULTS)
    if a.config:
        cfg.update(json.load(open(a.config)))
    for k in DEFAULTS:
        v = getattr(a, k)
        if v is not None:
            cfg[k] = v
    return a, cfg


def cosine(p, warm, min_frac):
    if p < warm:
        return (p / warm) if warm > 0 else 1.0
    q = min(1.0, (p - warm) / max(1e-9, 1.0 - warm))
    return min_frac + (1 - min_frac) * 0.5 * (1 + math.cos(math.pi * q))


def get_batch(data, step, cfg, extra):
    rng = np.random.default_rng(cfg["seed"] * 1000003 + step)
    n = cfg["ctx"] + 1 + extra
    ix = rng.integers(0, len(data) - n, size=cfg["batch"])
    x = np.stack([data[i:i + n].astype(np.int64) for i in ix])
    return torch.from_numpy(x)


@torch.no_grad()
def evaluate(model, val, cfg, n_heads):
    model.eval()
    n = cfg["ctx"] + 1 + model.cfg.extra_heads
    starts = np.linspace(0, len(val) - n - 1, cfg["eval_windows"]).astype(np.int64)
    tot = [0.0] * n_heads
    for i in range(0, len(starts), 8):
        x = torch.from_numpy(np.stack([val[s:s + n].astype(np.int64) for s in starts[i:i + 8]]))
        ls = model.losses(x, n_heads=n_heads)
        for h in range(n_heads):
            tot[h] += ls[h].item() * x.shape[0]
    model.train()
    return [t / len(starts) for t in tot]


def save(path, obj):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    a, cfg = parse()
    torch.set_num_threads(cfg["threads"])
    os.makedirs(a.out, exist_ok=True)
    ckpt_path = os.path.join(a.out, "ckpt.pt")
    log_path = os.path.join(a.out, "log.jsonl")
    train = np.memmap(os.path.join(a.data, "train.bin"), dtype=np.uint16, mode="r")
    val = np.memmap(os.path.join(a.data, "val.bin"), dtype=np.uint16, mode="r")

    state = None
    if a.resume and os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu")
        # keep the run's recorded config, but let explicit flags override schedule limits
        saved = state["train_cfg"]
        for k in DEFAULTS:
            if getattr(a, k) is None:
                cfg[k] = saved.get(k, cfg[k])
        mcfg = Config.from_dict(state["model_cfg"])
    else:
        mcfg = Config(**{k: cfg[k] for k in ("vocab_size", "hidden_size", "num_layers", "num_heads",
                                             "intermediate_size", "rotary_pct", "rotary_base",
                                             "extra_heads", "max_position_embeddings")})
    if state is None and a.init_hf:
        hf = json.load(open(os.path.join(a.init_hf, "config.json")))
        if hf.get("model_type") != "gpt_neox" or not hf.get("use_parallel_residual", True):
            raise SystemExit("--init-hf needs a GPT-NeoX model with parallel residual (e.g. Pythia)")
        mcfg = config_from_hf(hf)
        mcfg.extra_heads = cfg["extra_heads"]
    torch.manual_seed(cfg["seed"])
    model = DynamoModel(mcfg)
    if state is None and a.init_hf:
        sd = torch.load(os.path.join(a.init_hf, "pytorch_model.bin"), map_location="cpu")
        load_base_state_dict(model, sd)
        print("base weights from %s" % a.init_hf, flush=True)
    nb, nh = count_params(model)
    print("params: base %d, heads %d, total %d" % (nb, nh, nb + nh), flush=True)

    def groups(m):
        decay = lambda n, p: p.dim() >= 2 and "embed_in" not in n  # noqa: E731
        base = [(n, p) for n, p in m.named_parameters() if not n.startswith("dynamo_heads.")]
        head = [(n, p) for n, p in m.named_parameters() if n.startswith("dynamo_heads.")]
        return [
            {"params": [p for n, p in base if decay(n, p)], "weight_decay": cfg["weight_decay"], "kind": "base"},
            {"params": [p for n, p in base if not decay(n, p)], "weight_decay": 0.0, "kind": "base"},
            {"params": [p for n, p in head if decay(n, p)], "weight_decay": cfg["weight_decay"], "kind": "head"},
            {"params": [p for n, p in head if not decay(n, p)], "weight_decay": 0.0, "kind": "head"},
        ]

    opt = torch.optim.AdamW(groups(model), lr=cfg["lr_b"], betas=(cfg["beta1"], cfg["beta2"]))
    step, train_s, tokens_seen, last = 0, 0.0, 0, {}
    heads_started = False
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, train_s, tokens_seen = state["step"], state["train_s"], state["tokens_seen"]
        heads_started = state.get("heads_started", False)
        last = state.get("last", {})
        print("resumed at step %d (%.0fs trained, %d tokens)" % (step, train_s, tokens_seen), flush=True)
    E = mcfg.extra_heads
    logf = open(log_path, "a")

    def progress():
        p = step / cfg["max_steps"]
        if cfg["time_budget_s"] > 0:
            p = max(p, train_s / cfg["time_budget_s"])
        return min(1.0, p)

    def checkpoint():
        save(ckpt_path, {"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                         "train_s": train_s, "tokens_seen": tokens_seen, "train_cfg": cfg,
                         "model_cfg": mcfg.to_dict(), "heads_started": heads_started,
                         "heads_started_step": heads_started_step, "last": last,
                         "machine": "%s, %s, %d threads" % (platform.node(), platform.processor() or platform.machine(), cfg["threads"]),
                         "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    heads_started_step = state.get("heads_started_step") if state else None
    model.train()
    t_ckpt = time.time()
    t_bench = time.time()
    bench_tokens = 0
    win_t, win_tok = time.time(), 0
    while True:
        p = progress()
        if p >= 1.0:
            break
        dyn = E > 0 and p >= cfg["dynamo_start"]
        if dyn and not heads_started:
            heads_started = True
            heads_started_step = step
            print("step %d: DynaMo stage starts (heads on)" % step, flush=True)
        lr_b = cfg["lr_b"] * cosine(p, cfg["warmup_frac"], cfg["min_lr_frac"])
        if dyn:
            pd = (p - cfg["dynamo_start"]) / max(1e-9, 1.0 - cfg["dynamo_start"])
            lr_m = cfg["lr_m"] * cosine(pd, cfg["head_warmup_frac"], cfg["min_lr_frac"])
        else:
            lr_m = 0.0
        for g in opt.param_groups:
            g["lr"] = lr_b if g["kind"] == "base" else lr_m
        t0 = time.time()
        x = get_batch(train, step, cfg, E)
        n_heads = 1 + E if dyn else 1
        ls = model.losses(x, n_heads=n_heads, stem_grad_scale=cfg["stem_grad_scale"])
        loss = sum(ls)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        opt.step()
        dt = time.time() - t0
        step += 1
        train_s += dt
        ntok = cfg["batch"] * cfg["ctx"]
        tokens_seen += ntok
        bench_tokens += ntok
        win_tok += ntok
        last = {"step": step, "loss": [round(l.item(), 4) for l in ls]}
        if step % cfg["log_every"] == 0:
            tps = win_tok / max(1e-9, time.time() - win_t)
            win_t, win_tok = time.time(), 0
            rec = {"step": step, "p": round(p, 4), "lr_b": lr_b, "lr_m": lr_m,
                   "loss": [round(l.item(), 4) for l in ls], "gnorm": round(float(gn), 3),
                   "tok_s": round(tps, 1), "tokens": tokens_seen, "train_s": round(train_s, 1)}
            print(json.dumps(rec), flush=True)
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
        if a.bench and time.time() - t_bench > a.bench:
            print("BENCH tokens/s %.1f (steps %d)" % (bench_tokens / (time.time() - t_bench), step), flush=True)
            return
        if step % cfg["eval_every"] == 0:
            vl = evaluate(model, val, cfg, 1 + E if heads_started else 1)
            rec = {"step": step, "val_loss": [round(v, 4) for v in vl],
                   "val_ppl": [round(math.exp(v), 2) for v in vl], "tokens": tokens_seen}
            last["val_loss"] = rec["val_loss"]
            print(json.dumps(rec), flush=True)
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
        if time.time() - t_ckpt > cfg["ckpt_every_s"]:
            checkpoint()
            t_ckpt = time.time()
    vl = evaluate(model, val, cfg, 1 + E if heads_started else 1)
    last["val_loss"] = [round(v, 4) for v in vl]
    rec = {"step": step, "final": True, "val_loss": last["val_loss"],
           "val_ppl": [round(math.exp(v), 2) for v in vl], "tokens": tokens_seen, "train_s": round(train_s, 1)}
    print(json.dumps(rec), flush=True)
    logf.write(json.dumps(rec) + "\n")
    checkpoint()
    open(os.path.join(a.out, "DONE"), "w").write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
