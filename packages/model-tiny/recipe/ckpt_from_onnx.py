#!/usr/bin/python3
"""Recover a PyTorch checkpoint (recipe/train.py's ckpt.pt format) from a model exported by
`torch.onnx.export` (the format export.py wrote up to model-tiny 0.1: one initializer per bias /
LayerNorm parameter, named after the parameter, and one transposed `onnx::MatMul_*` initializer per
weight matrix).

Why: the checkpoint of the shipped reference model lived outside the repository and is gone; the
shipped model.onnx holds every weight. This script exports a model of the same shape whose
parameters are all distinct random numbers with the same exporter, which gives each initializer name
-> (parameter, transposed?) map, then copies the shipped values through that map. Check the result
by exporting it (export.py writes PyTorch reference outputs) and running recipe/check_onnx.mjs on
the shipped folder against them.

Provenance (steps, tokens, wall time, losses, training config, data sources) is carried over from
the manifest so that export.py writes the same `provenance` block.

Usage: /usr/bin/python3 recipe/ckpt_from_onnx.py --model DIR --out CKPT.pt [--source-label TEXT]

The shipped model.onnx is written by onnx_graph.py since model-tiny 0.2 (LayerNorms folded into the
projections, so the parameters cannot be separated again); the 0.1 export is in git history. The
shipped weights' checkpoint is therefore recovered from that commit (commands in the README,
"Re-exporting the shipped model").
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, DynamoModel  # noqa: E402


class _TorchExportWrapper(torch.nn.Module):
    """The module export.py handed to torch.onnx.export up to model-tiny 0.1 (multi-head graph)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.C = model.cfg.num_layers + model.cfg.extra_heads

    def forward(self, input_ids, attention_mask, position_ids, *rest):
        C = self.C
        past = [(rest[2 * i], rest[2 * i + 1]) for i in range(C)]
        logits, head_logits, presents = self.model.forward_cached(
            input_ids, attention_mask, position_ids, past, with_heads=True,
            num_logits_to_keep=rest[2 * C], num_head_logits_to_keep=rest[2 * C + 1])
        out = [logits, head_logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def torch_export(model, path):
    cfg = model.cfg
    C = cfg.num_layers + cfg.extra_heads
    A, D = cfg.num_heads, cfg.head_dim
    P, S = 2, 3
    args = [torch.randint(1, cfg.vocab_size, (1, S)), torch.ones(1, P + S, dtype=torch.int64),
            torch.arange(P, P + S).unsqueeze(0)]
    ins = ["input_ids", "attention_mask", "position_ids"]
    for i in range(C):
        args += [torch.randn(1, A, P, D), torch.randn(1, A, P, D)]
        ins += ["past_key_values.%d.key" % i, "past_key_values.%d.value" % i]
    args += [torch.tensor(0, dtype=torch.int64), torch.tensor(0, dtype=torch.int64)]
    ins += ["num_logits_to_keep", "num_head_logits_to_keep"]
    with torch.no_grad():
        torch.onnx.export(_TorchExportWrapper(model).eval(), tuple(args), path, input_names=ins,
                          opset_version=17, do_constant_folding=True)


def config_from_manifest(man):
    a = man["architecture"]
    return Config(vocab_size=man["vocabSize"], hidden_size=a["hiddenSize"], num_layers=a["layers"],
                  num_heads=a["attentionHeads"], intermediate_size=a["intermediateSize"],
                  rotary_pct=a["rotaryPct"], rotary_base=a["rotaryBase"], layer_norm_eps=a["layerNormEps"],
                  extra_heads=a["headLayers"], max_position_embeddings=2048)


def recover(model_dir):
    man = json.load(open(os.path.join(model_dir, "dynamo.json")))
    cfg = config_from_manifest(man)
    shipped = onnx.load(os.path.join(model_dir, "model.onnx"))
    values = {t.name: numpy_helper.to_array(t) for t in shipped.graph.initializer}
    # the exporter stores equal tensors once and aliases the others through Identity nodes
    for n in shipped.graph.node:
        if n.op_type == "Identity" and n.input[0] in values:
            values[n.output[0]] = values[n.input[0]]

    probe = DynamoModel(cfg)
    g = torch.Generator().manual_seed(99)
    with torch.no_grad():
        for p in probe.parameters():
            p.copy_(torch.rand(p.shape, generator=g) + 1.0)  # all distinct, none 0 or 1
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.onnx")
        torch_export(probe, path)
        probe_graph = onnx.load(path).graph
    probe_inits = {t.name: numpy_helper.to_array(t) for t in probe_graph.initializer}
    # value names (onnx::MatMul_123) depend on the exporter's counters; node names (/layers.0/mlp/...)
    # follow the module tree, so initializers are matched through the nodes that consume them
    shipped_nodes = {n.name: n for n in shipped.graph.node if n.name}

    by_key = {}
    for name, p in probe.named_parameters():
        a = p.detach().numpy()
        by_key[(a.shape, float(a.flat[0]), float(a.flat[-1]))] = (name, False)
        if a.ndim == 2:
            t = a.T
            by_key[(t.shape, float(t.flat[0]), float(t.flat[-1]))] = (name, True)
    alias = {n.output[0]: n.input[0] for n in probe_graph.node if n.op_type == "Identity"}
    sd = {}
    for node in probe_graph.node:
        if node.op_type == "Identity":
            continue
        for idx, iname in enumerate(node.input):
            src = alias.get(iname, iname)
            arr = probe_inits.get(src)
            if arr is None or arr.dtype != np.float32 or arr.size < 2:
                continue
            hit = by_key.get((arr.shape, float(arr.flat[0]), float(arr.flat[-1])))
            if hit is None or hit[0] in sd:
                continue
            pname, transposed = hit
            twin = shipped_nodes.get(node.name)
            if twin is None or idx >= len(twin.input) or twin.input[idx] not in values:
                raise SystemExit("the shipped graph has no node %r reading a weight at input %d" % (node.name, idx))
            v = values[twin.input[idx]]
            if v.shape != arr.shape:
                raise SystemExit("%s: shape %s in the shipped graph, %s expected" % (pname, v.shape, arr.shape))
            sd[pname] = torch.from_numpy(np.ascontiguousarray(v.T if transposed else v).copy())
    missing = [n for n, _ in probe.named_parameters() if n not in sd]
    if missing:
        raise SystemExit("no initializer found for %s" % missing)
    model = DynamoModel(cfg)
    model.load_state_dict(sd)
    return man, cfg, model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="folder with dynamo.json and model.onnx")
    ap.add_argument("--out", required=True, help="checkpoint to write")
    ap.add_argument("--eval-out", default=None, help="also write the manifest's quality block here")
    ap.add_argument("--source-label", default=None,
                    help="what provenance.weightsRecoveredFrom says (default: the graph's path)")
    args = ap.parse_args()
    man, cfg, model = recover(args.model)
    prov = man.get("provenance", {})
    tr = dict(prov.get("training") or {})
    tr["ctx"] = man.get("contextLength", tr.get("ctx"))
    state = {
        "model": model.state_dict(),
        "model_cfg": cfg.to_dict(),
        "step": prov.get("steps", 0),
        "tokens_seen": prov.get("tokensSeen", 0),
        "train_s": prov.get("wallTimeSeconds", 0.0),
        "train_cfg": tr,
        "last": {"loss": (prov.get("losses") or {}).get("train"), "val_loss": (prov.get("losses") or {}).get("val")},
        "machine": prov.get("machine", ""),
        "heads_started_step": prov.get("headsStartedAtStep"),
        "saved_at": prov.get("checkpointSavedAt"),
        "provenance_data": prov.get("data", []),
        "recovered_from": args.source_label or os.path.join(args.model, "model.onnx"),
    }
    torch.save(state, args.out)
    if args.eval_out:
        json.dump(man.get("quality", {}), open(args.eval_out, "w"), indent=2)
    print("recovered %d tensors into %s" % (len(state["model"]), args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
