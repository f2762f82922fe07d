#!/usr/bin/python3
"""Stage 3 (optional): a sequential draft head for the DynaMo chain sampler (resumable-free, ~15 min).

The DynaMo heads predict t+2 and t+3 from the same hidden state, without seeing the token drawn at
t+1; the joint they give is corrected by co-occurrence weights only. The draft head here is fed the
token drawn before the one it predicts (EAGLE / Hydra style), so a chain of drawn tokens has the
conditionals the base would give it, approximately:

    h'_{t+1} = f(h_t, embed_in(x_{t+1})),   q(x_{t+2} | x_{<=t+1}) = softmax(embed_out(h'_{t+1}))

where h_t is the base's final hidden state (after the final LayerNorm: what its unembedding reads)
and f is small: LayerNorm on both inputs, one Linear(2d -> d), `blocks` pre-norm MLP blocks
(d -> 4d -> d, exact GELU, residual) and a LayerNorm. Its output estimates h_{t+1}, so the same f
continues: h'_{t+2} = f(h'_{t+1}, embed_in(x_{t+2})), and so on. The base (both embeddings) is
frozen and not copied: the exported graph reads embed_in / embed_out from the weights file the
multi-head graphs share.

Training (`train`): on the stored base hidden states of distill.py's generated sequences (greedy
and sampled kinds; `teach[:, 0, t]` is the base's final hidden state at position t + 1), unrolled
over `--unroll` steps from the true h_t, each step fed the sequence's next token; loss per step:
KL(base's next-token distribution || the head's), full vocabulary, temperature 1.

Export (`export`): writes draft_head.onnx into the model folder (inputs hidden_states float32
[batch, d], input_ids int64 [batch]; outputs logits [batch, V], next_hidden_states [batch, d];
embed_in / embed_out as external data in model_shared.onnx_data, at the offsets model.onnx uses),
adds a `hidden_states` output (the final LayerNorm's output, every row) to base/onnx/model.onnx
(graph surgery: its nodes, weights and logits are unchanged), and records both in dynamo.json.

Usage (from packages/model-tiny/):
  /usr/bin/python3 recipe/draft_head.py train --ckpt CKPT --data DISTILL_OUT/data --out recipe/work/draft [--steps 3000]
  /usr/bin/python3 recipe/draft_head.py export --ckpt CKPT --head recipe/work/draft/draft_head.pt [--model model]
      [--ref test/fixtures] [--decoding JSON]
"""
import argparse
import glob
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from model import Config, DynamoModel  # noqa: E402


class DraftHead(nn.Module):
    def __init__(self, d=160, inter=640, blocks=2, eps=1e-5):
        super().__init__()
        self.ln_h = nn.LayerNorm(d, eps=eps)
        self.ln_e = nn.LayerNorm(d, eps=eps)
        self.fc = nn.Linear(2 * d, d)
        self.blocks = nn.ModuleList()
        for _ in range(blocks):
            self.blocks.append(nn.ModuleDict(dict(ln=nn.LayerNorm(d, eps=eps), up=nn.Linear(d, inter),
                                                  down=nn.Linear(inter, d))))
        self.ln_out = nn.LayerNorm(d, eps=eps)

    def forward(self, h, e):
        z = self.fc(torch.cat([self.ln_h(h), self.ln_e(e)], -1))
        for b in self.blocks:
            z = z + b["down"](F.gelu(b["up"](b["ln"](z))))
        return self.ln_out(z)


def load_base(path):
    st = torch.load(path, map_location="cpu")
    m = DynamoModel(Config.from_dict(st["model_cfg"]))
    m.load_state_dict(st["model"])
    m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m, st


def load_data(data_dir, split):
    toks, hid = [], []
    for p in sorted(glob.glob(os.path.join(data_dir, "%s-*.pt" % split))):
        d = torch.load(p)
        if d["kind"] == "branch":  # branch chunks hold hidden states of greedy branches, not of the sequence
            continue
        toks.append(d["tokens"].long())
        hid.append(d["teach"][:, 0])  # [B, T, d]: [:, t] = final hidden state at position t + 1
    if not toks:
        raise SystemExit("draft_head: no greedy / sampled %s chunks in %s (run distill.py first)" % (split, data_dir))
    return torch.cat(toks), torch.cat(hid)


def train(a):
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    base, _ = load_base(a.ckpt)
    E_in, E_out = base.gpt_neox.embed_in.weight, base.embed_out.weight
    X, H = load_data(a.data, "train")
    VX, VH = load_data(a.data, "val")
    T, K = X.shape[1], a.unroll
    cfg = base.cfg
    head = DraftHead(cfg.hidden_size, cfg.intermediate_size, a.blocks, cfg.layer_norm_eps)
    opt = torch.optim.AdamW(head.parameters(), lr=a.lr, weight_decay=0.01)

    def batch(Xs, Hs, n, g=None):
        si = torch.randint(0, Xs.shape[0], (n,), generator=g)
        ti = torch.randint(1, T - K - 1, (n,), generator=g)
        return (Hs[si, ti - 1].float(), [Xs[si, ti + k] for k in range(1, K + 1)],
                [Hs[si, ti + k - 1].float() for k in range(1, K + 1)])

    def losses(h, xs, hs):
        out, z = [], h
        for k in range(K):
            z = head(z, E_in[xs[k]])
            lp = F.log_softmax(z @ E_out.T, -1)
            with torch.no_grad():
                tl = hs[k] @ E_out.T
                tlp = F.log_softmax(tl, -1)
            out.append(((tlp.exp() * (tlp - lp)).sum(-1).mean(), (lp.argmax(-1) == tl.argmax(-1)).float().mean()))
        return out

    os.makedirs(a.out, exist_ok=True)
    vb = batch(VX, VH, 4096, torch.Generator().manual_seed(1))
    log = open(os.path.join(a.out, "log.jsonl"), "w")
    t0, last = time.time(), None
    for step in range(a.steps + 1):
        lr = a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / a.steps)))
        for pg in opt.param_groups:
            pg["lr"] = lr
        if step % 250 == 0 or step == a.steps:
            with torch.no_grad():
                v = losses(*vb)
            last = {"step": step, "seconds": round(time.time() - t0, 1),
                    "val": [{"kl": round(float(kl), 4), "agree": round(float(ag), 4)} for kl, ag in v]}
            print(json.dumps(last), flush=True)
            log.write(json.dumps(last) + "\n")
            log.flush()
        if step == a.steps:
            break
        loss = sum(kl for kl, _ in losses(*batch(X, H, a.batch)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    record = {"architecture": {"blocks": a.blocks, "hiddenSize": cfg.hidden_size,
                               "intermediateSize": cfg.intermediate_size},
              "training": {"steps": a.steps, "batch": a.batch, "lr": a.lr, "unroll": K, "seed": a.seed,
                           "sequences": int(X.shape[0]), "data": os.path.abspath(a.data),
                           "seconds": round(time.time() - t0, 1)},
              "validation": last["val"],
              "validationNote": "per unrolled step: mean KL(base || head) in nats and top-1 agreement with the "
                                "base on held-out generated sequences (greedy and sampled at T 0.7)"}
    torch.save({"state": head.state_dict(), "record": record}, os.path.join(a.out, "draft_head.pt"))
    print("draft_head: wrote %s" % os.path.join(a.out, "draft_head.pt"))


# ---------------------------------------------------------------------------------------- export
def build_graph(head, shared, d, V, eps):
    """The draft head as an ONNX graph; `shared`: {initializer name: external-data entries} of
    embed_in / embed_out in the multi-head graphs' shared weights file."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in head.state_dict().items()}
    nodes, inits = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(t, ins, name, **kw):
        nodes.append(helper.make_node(t, ins, [name], name=name, **kw))
        return name

    def ln(x, p, name):
        return op("LayerNormalization", [x, init(p + ".weight", sd[p + ".weight"]), init(p + ".bias", sd[p + ".bias"])],
                  name, axis=-1, epsilon=eps)

    def linear(x, p, name):
        return op("Add", [op("MatMul", [x, init(p + ".weight_t", sd[p + ".weight"].T)], name + "/matmul"),
                          init(p + ".bias", sd[p + ".bias"])], name)

    for name, shape in (("gpt_neox.embed_in.weight", [V, d]), ("embed_out.weight_t", [d, V])):
        t = onnx.TensorProto()
        t.name, t.data_type = name, TensorProto.FLOAT
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in shared[name]:
            e = t.external_data.add()
            e.key, e.value = k, v
        inits.append(t)
    e = op("Gather", ["gpt_neox.embed_in.weight", "input_ids"], "embed")
    z = op("Concat", [ln("hidden_states", "ln_h", "norm_hidden"), ln(e, "ln_e", "norm_embed")], "concat", axis=-1)
    z = linear(z, "fc", "fc")
    for i in range(len(head.blocks)):
        p = "blocks.%d." % i
        u = linear(ln(z, p + "ln", "block%d/norm" % i), p + "up", "block%d/up" % i)
        g = op("Mul", [op("Mul", [u, op("Add", [op("Erf", [op("Div", [u, init("sqrt2_%d" % i, np.array(math.sqrt(2), np.float32))],
                                                                       "block%d/gelu_div" % i)], "block%d/gelu_erf" % i),
                                               init("one_%d" % i, np.array(1, np.float32))], "block%d/gelu_add" % i)],
                                 "block%d/gelu_mul" % i), init("half_%d" % i, np.array(0.5, np.float32))], "block%d/gelu" % i)
        z = op("Add", [z, linear(g, p + "down", "block%d/down" % i)], "block%d/residual" % i)
    nodes.append(helper.make_node("LayerNormalization", [z, init("ln_out.weight", sd["ln_out.weight"]),
                                                         init("ln_out.bias", sd["ln_out.bias"])],
                                  ["next_hidden_states"], name="norm_out", axis=-1, epsilon=eps))
    nodes.append(helper.make_node("MatMul", ["next_hidden_states", "embed_out.weight_t"], ["logits"], name="unembed"))
    graph = helper.make_graph(
        nodes, "dynamo-draft-head",
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", d]),
         helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", V]),
         helper.make_tensor_value_info("next_hidden_states", TensorProto.FLOAT, ["batch", d])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="dynamojs-model-tiny")
    m.ir_version = 8
    return m


def add_hidden_output(path, d):
    """base/onnx/model.onnx + a `hidden_states` output [batch, sequence, d]: the final LayerNorm's
    output (the unembedding's input). Nothing else changes. Returns True when it was added now."""
    import onnx
    from onnx import TensorProto, helper
    m = onnx.load(path)
    if any(o.name == "hidden_states" for o in m.graph.output):
        return False
    (unembed,) = [n for n in m.graph.node if n.op_type == "MatMul" and list(n.output) == ["logits"]]
    m.graph.node.append(helper.make_node("Identity", [unembed.input[0]], ["hidden_states"], name="hidden_states_out"))
    m.graph.output.append(helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT,
                                                        ["batch_size", "sequence_length", d]))
    onnx.checker.check_model(m)
    onnx.save_model(m, path)
    return True


def export(a):
    import onnx

    from export import sha256  # the manifest's file hashes, as export.py writes them
    base, _ = load_base(a.ckpt)
    cfg = base.cfg
    saved = torch.load(a.head, map_location="cpu")
    arch = saved["record"]["architecture"]
    head = DraftHead(cfg.hidden_size, arch["intermediateSize"], arch["blocks"], cfg.layer_norm_eps)
    head.load_state_dict(saved["state"])
    head.eval()
    model_dir = os.path.abspath(a.model)
    man_path = os.path.join(model_dir, "dynamo.json")
    man = json.load(open(man_path))
    multi = onnx.load(os.path.join(model_dir, "model.onnx"), load_external_data=False)
    shared = {}
    for t in multi.graph.initializer:
        if t.name in ("gpt_neox.embed_in.weight", "embed_out.weight_t"):
            shared[t.name] = [(e.key, e.value) for e in t.external_data]
    if len(shared) != 2 or any(dict(v).get("location") != "model_shared.onnx_data" for v in shared.values()):
        raise SystemExit("draft_head: model.onnx keeps embed_in / embed_out in no model_shared.onnx_data")
    # the shared bytes must be this checkpoint's embeddings
    data = open(os.path.join(model_dir, "model_shared.onnx_data"), "rb").read()
    for name, ref in (("gpt_neox.embed_in.weight", base.gpt_neox.embed_in.weight),
                      ("embed_out.weight_t", base.embed_out.weight.T)):
        ent = dict(shared[name])
        arr = np.frombuffer(data[int(ent["offset"]):int(ent["offset"]) + int(ent["length"])], np.float32)
        if not np.array_equal(arr, ref.detach().numpy().astype(np.float32).reshape(-1)):
            raise SystemExit("draft_head: %s in model_shared.onnx_data is not this checkpoint's" % name)
    g = build_graph(head, shared, cfg.hidden_size, cfg.vocab_size, cfg.layer_norm_eps)
    out = os.path.join(model_dir, "draft_head.onnx")
    onnx.save_model(g, out)
    base_rel = "base/onnx/model.onnx"
    added = add_hidden_output(os.path.join(model_dir, base_rel), cfg.hidden_size)
    files = [f for f in man["files"] if f["role"] != "draft-head"]
    for f in files:
        if f["path"] == base_rel:
            f["sha256"], f["bytes"] = sha256(os.path.join(model_dir, base_rel)), os.path.getsize(os.path.join(model_dir, base_rel))
    shared_entry = next(f for f in files if f["path"] == "model.onnx")["externalData"]
    i = next(k for k, f in enumerate(files) if f["role"] == "base-model")
    files.insert(i, {"role": "draft-head", "path": "draft_head.onnx", "sha256": sha256(out),
                     "bytes": os.path.getsize(out), "externalData": shared_entry})
    man["files"] = files
    man.setdefault("provenance", {})["draftHead"] = {
        **saved["record"], "graph": "recipe/draft_head.py (embed_in / embed_out shared with model.onnx)",
        "baseGraphHiddenStates": "base/onnx/model.onnx has a hidden_states output (the final norm's output)"}
    man["provenance"]["draftHead"]["training"].pop("data", None)
    if a.decoding:
        man.setdefault("decoding", {}).update(json.loads(a.decoding))
    json.dump(man, open(man_path, "w"), indent=2)
    print("draft_head: wrote %s (%d bytes); %s %s" % (out, os.path.getsize(out), base_rel,
                                                    "now has hidden_states" if added else "already had hidden_states"))
    # reference values for the ONNX check (check_draft_head.mjs)
    torch.manual_seed(3)
    h = base.gpt_neox.final_layer_norm(torch.randn(4, cfg.hidden_size))
    ids = torch.tensor([1, 17, 400, 4095])
    with torch.no_grad():
        nh = head(h, base.gpt_neox.embed_in.weight[ids])
        lg = nh @ base.embed_out.weight.T
    ref = {"hidden": h.numpy().reshape(-1).tolist(), "ids": ids.tolist(), "next": nh.numpy().reshape(-1).tolist(),
           "logits_sum": lg.sum(-1).tolist(), "logits_argmax": lg.argmax(-1).tolist(),
           "logits_first": lg[:, :8].numpy().reshape(-1).tolist()}
    os.makedirs(a.ref, exist_ok=True)
    json.dump(ref, open(os.path.join(a.ref, "draft_head_ref.json"), "w"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--ckpt", required=True)
    t.add_argument("--data", required=True, help="distill.py's data folder (train-*.pt, val-*.pt)")
    t.add_argument("--out", required=True)
    t.add_argument("--steps", type=int, default=3000)
    t.add_argument("--batch", type=int, default=512)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--unroll", type=int, default=3)
    t.add_argument("--blocks", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    e = sub.add_parser("export")
    e.add_argument("--ckpt", required=True)
    e.add_argument("--head", required=True)
    e.add_argument("--model", default=os.path.join(PKG, "model"))
    e.add_argument("--ref", default=os.path.join(HERE, "work", "ref"))
    e.add_argument("--decoding", default=None,
                   help="JSON object merged into the manifest's recommended decoding values, e.g. "
                        "'{\"minDraftProbability\": 0.2, \"chainLength\": 4, \"draftTemperatureRatio\": 0.89}'")
    a = ap.parse_args()
    train(a) if a.cmd == "train" else export(a)


if __name__ == "__main__":
    main()
