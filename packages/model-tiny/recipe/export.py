#!/usr/bin/python3
"""Step 4: export a checkpoint to the DynaMo.js model format (docs/model-format.md).

Writes into --out (default packages/model-tiny/model/):
  model.onnx            multi-head graph, fp32, KV cache for all L + E layers
  model_q8.onnx         same graph, every MatMul with a constant weight -> com.microsoft MatMulNBits (bits 8)
  tokenizer.json
  base/config.json, base/tokenizer.json, base/tokenizer_config.json, base/onnx/model.onnx   (base only)
  dynamo.json           manifest with sha256/bytes of every file, provenance, decoding defaults, quality
and PyTorch reference outputs for recipe/check_onnx.mjs into --ref (default recipe/work/ref/).

Usage: /usr/bin/python3 recipe/export.py --ckpt recipe/work/run/ckpt.pt [--out DIR] [--ref DIR]
       [--eval recipe/work/eval.json] [--ngrams PATH] [--block-size 32]
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import time

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, DynamoModel, count_params  # noqa: E402
from onnx_graph import build_graph  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)


# Graphs over this size are written with their weights in `<file>_data` (ONNX external data):
# protobuf cannot hold 2 GB, and a DynaMo model of a 1B+ base is larger.
EXTERNAL_DATA_BYTES = 1_800_000_000


def save_graph(m, path, external="auto"):
    """onnx.save, or with the weights in `<path>_data` (external: "auto" | "always" | "never").
    Small tensors stay inline (size_threshold 1024): ONNX Runtime reads shape constants only inline."""
    data = path + "_data"
    if os.path.exists(data):
        os.remove(data)
    big = sum(t.ByteSize() for t in m.graph.initializer) > EXTERNAL_DATA_BYTES
    if external == "always" or (external == "auto" and big):
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(data), size_threshold=1024)
        onnx.checker.check_model(path)
    else:
        onnx.save(m, path)


def export_onnx(model, path, with_heads, external="auto"):
    """Writes the multi-head graph (with_heads) or the base-only graph with recipe/onnx_graph.py."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    m = build_graph(model.state_dict(), model.cfg, with_heads,
                    name="dynamo-multi-head" if with_heads else "dynamo-base")
    save_graph(m, path, external)
    return path


def quantize_q8(src, dst, block_size=32, external="auto"):
    """Replace MatMul(A, W const [K, N]) by com.microsoft MatMulNBits (bits = 8, asymmetric, zero points).
    accuracy_level 4 (int8 activations) selects onnxruntime's int8 kernels on CPU/WASM; the default
    (fp32 compute) dequantises and is ~10x slower than the fp32 graph on x86."""
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    # torch exports a weight used by several nodes (embed_out: head 1 and the extra heads) through
    # Identity nodes; resolve them so every use is quantized against one copy
    alias = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity" and n.input[0] in inits}
    if alias:
        keep_nodes = [n for n in g.node if not (n.op_type == "Identity" and n.output[0] in alias)]
        outs = {o.name for o in g.output}
        keep_nodes = [n for n in g.node if not (n.op_type == "Identity" and n.output[0] in alias
                                                and n.output[0] not in outs)]
        for n in keep_nodes:
            for i, x in enumerate(n.input):
                if x in alias:
                    n.input[i] = alias[x]
        del g.node[:]
        g.node.extend(keep_nodes)
    uses = {}
    for n in g.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    new_nodes = []
    removed = set()
    nq = 0
    done = {}
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2:
            if n.input[1] in done:
                K, N, base = done[n.input[1]]
                new_nodes.append(helper.make_node(
                    "MatMulNBits", [n.input[0], base + "_B", base + "_scales", base + "_zp"], list(n.output),
                    name=(n.name or base) + "_q8_%d" % nq, domain="com.microsoft", K=K, N=N, bits=8,
                    block_size=block_size, accuracy_level=4))
                uses[n.input[1]] -= 1
                if uses[n.input[1]] == 0:
                    removed.add(n.input[1])
                nq += 1
                continue
            W = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)  # [K, N]
            K, N = W.shape
            nb = (K + block_size - 1) // block_size
            Kp = nb * block_size
            Wp = np.zeros((Kp, N), np.float32)
            Wp[:K] = W
            Wb = Wp.T.reshape(N, nb, block_size)  # [N, nb, bs]
            mn = np.minimum(Wb.min(-1), 0.0)
            mx = np.maximum(Wb.max(-1), 0.0)
            scale = (mx - mn) / 255.0
            scale[scale == 0] = 1.0
            zp = np.clip(np.round(-mn / scale), 0, 255)
            q = np.clip(np.round(Wb / scale[..., None]) + zp[..., None], 0, 255).astype(np.uint8)
            base = n.input[1].replace(":", "_").replace(".", "_") + "_q8"
            done[n.input[1]] = (K, N, base)
            g.initializer.extend([
                numpy_helper.from_array(q, base + "_B"),
                numpy_helper.from_array(scale.astype(np.float32).reshape(-1), base + "_scales"),
                numpy_helper.from_array(zp.astype(np.uint8).reshape(-1), base + "_zp"),
            ])
            node = helper.make_node("MatMulNBits", [n.input[0], base + "_B", base + "_scales", base + "_zp"],
                                    list(n.output), name=(n.name or base) + "_q8", domain="com.microsoft",
                                    K=K, N=N, bits=8, block_size=block_size, accuracy_level=4)
            new_nodes.append(node)
            uses[n.input[1]] -= 1
            if uses[n.input[1]] == 0:
                removed.add(n.input[1])
            nq += 1
        else:
            new_nodes.append(n)
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [t for t in g.initializer if t.name not in removed]
    del g.initializer[:]
    g.initializer.extend(keep)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    save_graph(m, dst, external)
    return nq


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hf_config(cfg):
    return {
        "architectures": ["GPTNeoXForCausalLM"],
        "model_type": "gpt_neox",
        "hidden_size": cfg.hidden_size,
        "num_attention_heads": cfg.num_heads,
        "num_hidden_layers": cfg.num_layers,
        "intermediate_size": cfg.intermediate_size,
        "rotary_pct": cfg.rotary_pct,
        "rotary_emb_base": cfg.rotary_base,
        "max_position_embeddings": cfg.max_position_embeddings,
        "vocab_size": cfg.vocab_size,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "pad_token_id": 0,
        "use_parallel_residual": True,
        "hidden_act": "gelu",
        "layer_norm_eps": cfg.layer_norm_eps,
        "tie_word_embeddings": False,
        "initializer_range": cfg.init_std,
        "attention_bias": True,
        "attention_dropout": 0.0,
        "hidden_dropout": 0.0,
        "classifier_dropout": 0.1,
        "rope_scaling": None,
        "use_cache": True,
        "torch_dtype": "float32",
    }


@torch.no_grad()
def reference(model, ref_dir, seed=7):
    """PyTorch outputs for check_onnx.mjs: prefill of 7 tokens, then cached chunks of 1, 2, 3, 1, 2 tokens."""
    os.makedirs(ref_dir, exist_ok=True)
    cfg = model.cfg
    g = torch.Generator().manual_seed(seed)
    chunks = [7, 1, 2, 3, 1, 2]
    keeps = [(0, 0), (0, 0), (1, 1), (0, 2), (1, 0), (2, 1)]
    total = sum(chunks)
    ids = torch.randint(1, cfg.vocab_size, (1, total), generator=g)
    blobs = []
    offset = 0
    meta = {"vocabSize": cfg.vocab_size, "layers": cfg.num_layers, "extraHeads": cfg.extra_heads,
            "attentionHeads": cfg.num_heads, "headDim": cfg.head_dim, "steps": [], "base": []}

    def add(arr):
        nonlocal offset
        a = np.ascontiguousarray(arr.detach().numpy().astype(np.float32))
        blobs.append(a.tobytes())
        rec = {"offset": offset, "shape": list(a.shape)}
        offset += a.nbytes
        return rec

    for with_heads, key in ((True, "steps"), (False, "base")):
        C = cfg.num_layers + (cfg.extra_heads if with_heads else 0)
        past = [(torch.zeros(1, cfg.num_heads, 0, cfg.head_dim), torch.zeros(1, cfg.num_heads, 0, cfg.head_dim))
                for _ in range(C)]
        pos = 0
        for ch, (k1, k2) in zip(chunks, keeps):
            x = ids[:, pos:pos + ch]
            am = torch.ones(1, pos + ch, dtype=torch.int64)
            pi = torch.arange(pos, pos + ch).unsqueeze(0)
            if with_heads:
                lg, hl, pres = model.forward_cached(x, am, pi, past, True, torch.tensor(k1), torch.tensor(k2))
            else:
                lg, hl, pres = model.forward_cached(x, am, pi, past, False)
                k1 = k2 = 0
            step = {"inputIds": x[0].tolist(), "past": pos, "numLogitsToKeep": k1, "numHeadLogitsToKeep": k2,
                    "logits": add(lg)}
            if with_heads:
                step["headLogits"] = add(hl)
            meta[key].append(step)
            past = pres
            pos += ch
    with open(os.path.join(ref_dir, "ref.bin"), "wb") as f:
        for b in blobs:
            f.write(b)
    json.dump(meta, open(os.path.join(ref_dir, "ref.json"), "w"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "work", "run", "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(PKG, "model"))
    ap.add_argument("--ref", default=os.path.join(HERE, "work", "ref"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--eval", default=None, help="evaluate.py output JSON (quality)")
    ap.add_argument("--ngrams", default=None,
                    help="ngrams.bin built by recipe/ngrams.sh (default: WORK/ngrams.bin when it exists)")
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--name", default="dynamo-tiny-t3")
    ap.add_argument("--no-q8", action="store_true")
    ap.add_argument("--random", default=None, help="JSON model config: export random weights (no ckpt)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--external-data", choices=["auto", "always", "never"], default="auto",
                    help="weights in <graph>.onnx_data files: auto = when a graph exceeds 1.8 GB")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    if args.random:
        cfg = Config.from_dict(json.load(open(args.random)) if os.path.exists(args.random) else json.loads(args.random))
        torch.manual_seed(0)
        model = DynamoModel(cfg)
        state = {"step": 0, "tokens_seen": 0, "train_s": 0.0, "train_cfg": {}, "last": {}, "machine": ""}
    else:
        state = torch.load(args.ckpt, map_location="cpu")
        cfg = Config.from_dict(state["model_cfg"])
        model = DynamoModel(cfg)
        model.load_state_dict(state["model"])
    model.eval()
    out = args.out
    os.makedirs(os.path.join(out, "base", "onnx"), exist_ok=True)
    export_onnx(model, os.path.join(out, "model.onnx"), True, args.external_data)
    export_onnx(model, os.path.join(out, "base", "onnx", "model.onnx"), False, args.external_data)
    print("exported fp32 graphs (%.1fs)" % (time.time() - t0), file=sys.stderr)
    nq = 0
    if not args.no_q8:
        nq = quantize_q8(os.path.join(out, "model.onnx"), os.path.join(out, "model_q8.onnx"), args.block_size,
                         args.external_data)
        print("q8: %d MatMuls -> MatMulNBits" % nq, file=sys.stderr)
    tok = os.path.join(args.work, "tokenizer.json")
    tokcfg = os.path.join(args.work, "tokenizer_config.json")
    if os.path.exists(tok):
        shutil.copyfile(tok, os.path.join(out, "tokenizer.json"))
        shutil.copyfile(tok, os.path.join(out, "base", "tokenizer.json"))
        if os.path.exists(tokcfg):
            shutil.copyfile(tokcfg, os.path.join(out, "base", "tokenizer_config.json"))
    json.dump(hf_config(cfg), open(os.path.join(out, "base", "config.json"), "w"), indent=2)
    json.dump({"bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0},
              open(os.path.join(out, "base", "generation_config.json"), "w"), indent=2)
    if args.ngrams is None:
        args.ngrams = os.path.join(args.work, "ngrams.bin")
    if args.ngrams and os.path.exists(args.ngrams) and os.path.abspath(args.ngrams) != os.path.abspath(os.path.join(out, "ngrams.bin")):
        shutil.copyfile(args.ngrams, os.path.join(out, "ngrams.bin"))
    reference(model, args.ref)

    files = []
    for role, variant, rel in (("model", "fp32", "model.onnx"), ("model", "q8", "model_q8.onnx"),
                               ("tokenizer", None, "tokenizer.json"), ("ngrams", None, "ngrams.bin"),
                               ("base-model", "fp32", "base/onnx/model.onnx"),
                               ("base-config", None, "base/config.json"),
                               ("base-tokenizer", None, "base/tokenizer.json"),
                               ("base-tokenizer-config", None, "base/tokenizer_config.json"),
                               ("base-generation-config", None, "base/generation_config.json")):
        p = os.path.join(out, rel)
        if not os.path.exists(p):
            continue
        e = {"role": role}
        if variant:
            e["variant"] = variant
        e.update({"path": rel, "sha256": sha256(p), "bytes": os.path.getsize(p)})
        if rel.endswith(".onnx") and os.path.exists(p + "_data"):
            e["externalData"] = [{"path": rel + "_data", "sha256": sha256(p + "_data"),
                                  "bytes": os.path.getsize(p + "_data")}]
        files.append(e)

    data = []
    cm = os.path.join(args.work, "corpus", "corpus_manifest.json")
    tk = os.path.join(args.work, "data", "tokens.json")
    if os.path.exists(cm):
        cmj = json.load(open(cm))
        tkj = json.load(open(tk)) if os.path.exists(tk) else {}
        for s in cmj["sources"]:
            d = {k: s[k] for k in ("name", "description", "license", "url", "docs", "bytes")}
            for sp in ("train", "val"):
                st = tkj.get(sp, {}).get("sources", {}).get(s["name"])
                if st:
                    d[sp + "Tokens"] = st["tokens"]
                    d[sp + "Docs"] = st["docs"]
            data.append(d)
    elif state.get("provenance_data"):
        data = state["provenance_data"]  # a checkpoint recovered by ckpt_from_onnx.py
    nb, nh = count_params(model)
    tc = state.get("train_cfg", {})
    quality = {"ppl1": None, "ppl2": None, "ppl3": None, "ppl1to2": None, "ppl1to3": None, "headAgreement": {}}
    if args.eval and os.path.exists(args.eval):
        quality = json.load(open(args.eval))
    man = {
        "format": "dynamo-model",
        "formatVersion": 1,
        "name": args.name,
        "heads": 1 + cfg.extra_heads,
        "vocabSize": cfg.vocab_size,
        "contextLength": int(tc.get("ctx", cfg.max_position_embeddings)),
        "specialTokens": {"eos": 0, "bos": 0, "pad": 0},
        "architecture": {
            "type": "gpt-neox-dynamo",
            "layers": cfg.num_layers,
            "headLayers": cfg.extra_heads,
            "hiddenSize": cfg.hidden_size,
            "attentionHeads": cfg.num_heads,
            "headDim": cfg.head_dim,
            "intermediateSize": cfg.intermediate_size,
            "rotaryPct": cfg.rotary_pct,
            "rotaryBase": cfg.rotary_base,
            "layerNormEps": cfg.layer_norm_eps,
        },
        "io": {"cacheLayers": cfg.num_layers + cfg.extra_heads, "numLogitsToKeep": True,
               "numHeadLogitsToKeep": True},
        "files": files,
        "decoding": {"topK": 50, "temperature": 0.7, "repetitionPenalty": 1.1, "epsilon": 0.5, "alpha": 1,
                     "blur": 3},
        "provenance": {
            "data": data,
            "steps": state.get("step", 0),
            "tokensSeen": state.get("tokens_seen", 0),
            "wallTimeSeconds": round(state.get("train_s", 0.0), 1),
            "machine": state.get("machine", ""),
            "losses": {"train": state.get("last", {}).get("loss"), "val": state.get("last", {}).get("val_loss"),
                       "note": "cross-entropy (nats/token) per head, head 1 first"},
            "parameters": {"base": nb, "heads": nh, "total": nb + nh},
            "training": {k: tc.get(k) for k in ("ctx", "batch", "lr_b", "lr_m", "stem_grad_scale", "min_lr_frac",
                                                "warmup_frac", "weight_decay", "beta1", "beta2", "dynamo_start",
                                                "time_budget_s", "seed")},
            "headsStartedAtStep": state.get("heads_started_step"),
            "checkpointSavedAt": state.get("saved_at"),
            "randomWeights": bool(args.random),
            "recipe": "packages/model-tiny/recipe (see README.md)",
            "graph": "recipe/onnx_graph.py (folded LayerNorms, fused attention, last layer + head layers as branches)",
            **({"weightsRecoveredFrom": state["recovered_from"]} if state.get("recovered_from") else {}),
            # stage 2 (recipe/distill.py): the head layers retrained on the base's own outputs
            **({"distillation": state["distillation"]} if state.get("distillation") else {}),
            "q8": {"op": "com.microsoft.MatMulNBits", "bits": 8, "blockSize": args.block_size,
                   "zeroPoints": True, "matmuls": nq},
            "exportedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "quality": quality,
    }
    json.dump(man, open(os.path.join(out, "dynamo.json"), "w"), indent=2)
    print("wrote %s (%.1fs)" % (out, time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
