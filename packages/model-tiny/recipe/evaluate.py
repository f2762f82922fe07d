#!/usr/bin/python3
"""Step 5: measure a checkpoint on the held-out split (the paper's multi-token perplexities).

On windows of `ctx` tokens (stride ctx, plus 3 look-ahead labels) of work/data/val.bin, at every
position t:
  PPL_n   = exp(-mean log p_n(x_{t+n} | x_{1..t}))                       head n alone, n = 1, 2, 3
  PPL_1:n = exp(-(1/n) mean log prod_{j<=n} p_j(x_{t+j} | x_{1..t}))      the joint estimate
Head agreement: at sampled positions, the base's own greedy continuation g1, g2, g3 (head 1, fed
back with the KV cache) against head 2's and head 3's argmax at t: how often argmax p_2 == g2 and
argmax p_3 == g3 (and how often both hold together with head 1's argmax == g1 trivially).

Writes a JSON object (the manifest's "quality") to --out (default recipe/work/eval.json).
Usage: /usr/bin/python3 recipe/evaluate.py [--ckpt recipe/work/run/ckpt.pt] [--max-windows N]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, DynamoModel  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "work", "run", "ckpt.pt"))
    ap.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "work", "eval.json"))
    ap.add_argument("--ctx", type=int, default=0, help="window (default: the training context)")
    ap.add_argument("--max-windows", type=int, default=0)
    ap.add_argument("--agree-every", type=int, default=32, help="sample every k-th position for agreement")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    state = torch.load(args.ckpt, map_location="cpu")
    cfg = Config.from_dict(state["model_cfg"])
    model = DynamoModel(cfg)
    model.load_state_dict(state["model"])
    model.eval()
    ctx = args.ctx or state["train_cfg"].get("ctx", 256)
    E = cfg.extra_heads
    H = 1 + E
    val = np.fromfile(os.path.join(args.data, "val.bin"), dtype=np.uint16).astype(np.int64)
    n = ctx + E
    starts = list(range(0, len(val) - n - 1, ctx))
    if args.max_windows:
        starts = starts[:args.max_windows]
    # per-source boundaries (val.bin holds the sources' documents in corpus order)
    bounds = []
    tj = os.path.join(args.data, "tokens.json")
    if os.path.exists(tj):
        off = 0
        for name, st in json.load(open(tj))["val"]["sources"].items():
            bounds.append((name, off, off + st["tokens"]))
            off += st["tokens"]
    sums = np.zeros(H)
    count = 0
    per_src = {}
    agree = np.zeros(H)
    agree_all = 0
    n_agree = 0
    L = cfg.num_layers
    for wi, s in enumerate(starts):
        x = torch.from_numpy(val[s:s + ctx + 1 + E]).unsqueeze(0)
        inp = x[:, :ctx]
        outs = model.forward_train(inp, n_heads=H)
        lps = []
        for h, lg in enumerate(outs, start=1):
            lp = F.log_softmax(lg.float(), -1)
            lab = x[:, h:ctx + h]
            lps.append(lp.gather(-1, lab.unsqueeze(-1)).squeeze(-1)[0])
        lps = torch.stack(lps)  # [H, ctx]
        sums += lps.sum(1).numpy()
        count += ctx
        src = next((b[0] for b in bounds if b[1] <= s < b[2]), "all")
        ps = per_src.setdefault(src, [0.0, 0])
        ps[0] += float(lps[0].sum())
        ps[1] += ctx
        if E > 0 and args.agree_every > 0:
            # greedy continuation of the base with the KV cache of this window
            pos = torch.arange(ctx).unsqueeze(0)
            _, _, pres = model.forward_cached(inp, torch.ones(1, ctx, dtype=torch.int64), pos,
                                              [(torch.zeros(1, cfg.num_heads, 0, cfg.head_dim),) * 2] * L,
                                              with_heads=False)
            am = [o[0].argmax(-1) for o in outs]  # [ctx] per head
            for t in range(args.agree_every - 1, ctx, args.agree_every):
                past = [(k[:, :, :t + 1], v[:, :, :t + 1]) for k, v in pres]
                g = [int(am[0][t])]
                for j in range(1, H):
                    p_len = t + j
                    lg, _, past = model.forward_cached(
                        torch.tensor([[g[-1]]]), torch.ones(1, p_len + 1, dtype=torch.int64),
                        torch.tensor([[p_len]]), past, with_heads=False)
                    g.append(int(lg[0, -1].argmax()))
                ok = [True] + [int(am[j][t]) == g[j] for j in range(1, H)]
                agree += np.array(ok, dtype=np.float64)
                agree_all += all(ok)
                n_agree += 1
        if wi % 50 == 0:
            print("window %d/%d, ppl1 so far %.2f (%.0fs)" % (wi, len(starts), math.exp(-sums[0] / count),
                                                              time.time() - t0), file=sys.stderr)
    mean = sums / count
    q = {"ppl1": round(math.exp(-mean[0]), 3)}
    if H >= 2:
        q["ppl2"] = round(math.exp(-mean[1]), 3)
        q["ppl1to2"] = round(math.exp(-(mean[0] + mean[1]) / 2), 3)
    if H >= 3:
        q["ppl3"] = round(math.exp(-mean[2]), 3)
        q["ppl1to3"] = round(math.exp(-(mean[0] + mean[1] + mean[2]) / 3), 3)
    q["headAgreement"] = {}
    if n_agree:
        for j in range(1, H):
            q["headAgreement"]["head%d" % (j + 1)] = round(agree[j] / n_agree, 4)
        q["headAgreement"]["allHeads"] = round(agree_all / n_agree, 4)
        q["headAgreement"]["positions"] = n_agree
        q["headAgreement"]["definition"] = ("fraction of sampled validation positions where head h's argmax "
                                            "equals the base model's own greedy token h-1 steps ahead")
    q["ppl1BySource"] = {k: round(math.exp(-v[0] / v[1]), 3) for k, v in per_src.items()}
    q["evaluation"] = {"split": "validation (held-out documents)", "tokens": count, "windows": len(starts),
                       "window": ctx, "stride": ctx, "checkpointStep": state["step"],
                       "tokensSeen": state["tokens_seen"]}
    json.dump(q, open(args.out, "w"), indent=2)
    print(json.dumps(q, indent=2))
    print("(%.0fs)" % (time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
