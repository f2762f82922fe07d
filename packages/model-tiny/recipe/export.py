#!/usr/bin/python3
"""Step 4: export a checkpoint to the DynaMo.js model format (docs/model-format.md).

Writes into --out (default packages/model-tiny/model/):
  model.onnx            multi-head graph, fp32, KV cache for all L + E layers
  model_mixed.onnx      multi-head graph, head 1 fp32 (its logits equal model.onnx's), the extra head layers with
                        8-bit weights (com.microsoft MatMulNBits)
  model_q8.onnx         model.onnx with every MatMul with a constant weight -> com.microsoft MatMulNBits (bits 8)
  model_shared.onnx_data  the weights the multi-head graphs have in common (the stem, the output embedding), stored
                        once as ONNX external data that each of them points into (--share-weights)
  tokenizer.json
  base/config.json, base/tokenizer.json, base/tokenizer_config.json, base/onnx/model.onnx   (base only)
  dynamo.json           manifest with sha256/bytes of every file, provenance, decoding defaults, quality
and PyTorch reference outputs for recipe/check_onnx.mjs into --ref (default recipe/work/ref/).

Usage: /usr/bin/python3 recipe/export.py --ckpt recipe/work/run/ckpt.pt [--out DIR] [--ref DIR]
       [--eval recipe/work/eval.json] [--ngrams PATH] [--block-size 32] [--variants fp32,mixed,q8]
       [--default-variant mixed] [--share-weights fp32,mixed|none]
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
from onnx_graph import build_graph, quantize_blocks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)


# Graphs over this size are written with their weights in `<file>_data` (ONNX external data):
# protobuf cannot hold 2 GB, and a DynaMo model of a 1B+ base is larger.
EXTERNAL_DATA_BYTES = 1_800_000_000

# The multi-head graph variants: variant -> file (docs/model-format.md)
VARIANT_FILES = {"fp32": "model.onnx", "mixed": "model_mixed.onnx", "q8": "model_q8.onnx"}
# weights common to several multi-head variants, stored once (--share-weights)
SHARED_DATA = "model_shared.onnx_data"


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


def export_onnx(model, path, with_heads, external="auto", precision="fp32", block_size=32, head_unembed="fp32"):
    """Writes the multi-head graph (with_heads; fp32 or mixed precision) or the base-only graph with
    recipe/onnx_graph.py."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    m = build_graph(model.state_dict(), model.cfg, with_heads,
                    name="dynamo-multi-head" if with_heads else "dynamo-base", precision=precision,
                    block_size=block_size, head_unembed=head_unembed)
    save_graph(m, path, external)
    return path


def external_files(path):
    """The external-data files a saved graph's initializers point to (file names, sorted)."""
    m = onnx.load(path, load_external_data=False)
    locs = set()
    for t in m.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            locs.update(e.value for e in t.external_data if e.key == "location")
    return sorted(locs)


def share_weights(paths, data_path, min_bytes=1024, align=4096):
    """Moves every initializer that two or more of the graphs `paths` (in one folder, weights inline)
    hold with the same dtype, shape and bytes into one ONNX external-data file `data_path`, stored
    once, and points each graph's copy at it (location, offset, length). Small tensors
    (< min_bytes) stay inline: ONNX Runtime reads shape constants only inline. Offsets are aligned
    to `align` bytes. Deterministic: the same graphs give the same bytes. Returns the shared bytes
    (0: nothing in common, no file written)."""
    models = [onnx.load(p) for p in paths]

    def key(t):
        if t.data_location == onnx.TensorProto.EXTERNAL or len(t.raw_data) < min_bytes:
            return None
        return (t.data_type, tuple(t.dims), hashlib.sha256(t.raw_data).hexdigest())

    seen = {}
    for m in models:
        for k in {key(t) for t in m.graph.initializer} - {None}:
            seen[k] = seen.get(k, 0) + 1
    common = {k for k, n in seen.items() if n >= 2}
    if os.path.exists(data_path):
        os.remove(data_path)
    if not common:
        return 0
    where = {}
    name = os.path.basename(data_path)
    with open(data_path, "wb") as f:
        for m in models:
            for t in m.graph.initializer:
                k = key(t)
                if k not in common:
                    continue
                if k not in where:
                    f.write(b"\0" * (-f.tell() % align))
                    where[k] = (f.tell(), len(t.raw_data))
                    f.write(t.raw_data)
                offset, length = where[k]
                t.ClearField("raw_data")
                t.data_location = onnx.TensorProto.EXTERNAL
                del t.external_data[:]
                for field, value in (("location", name), ("offset", str(offset)), ("length", str(length))):
                    entry = t.external_data.add()
                    entry.key, entry.value = field, value
    for m, p in zip(models, paths):
        onnx.save(m, p)
        onnx.checker.check_model(p)
    return sum(length for _, length in where.values())


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
            q, scale, zp = quantize_blocks(W, block_size)
            base = n.input[1].replace(":", "_").replace(".", "_") + "_q8"
            done[n.input[1]] = (K, N, base)
            g.initializer.extend([
                numpy_helper.from_array(q, base + "_B"),
                numpy_helper.from_array(scale, base + "_scales"),
                numpy_helper.from_array(zp, base + "_zp"),
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


# chain steps of the reference (the multi-head and the base-only graph): new tokens per step, and per
# step num_logits_to_keep and the extra heads' rows (head_logits_rows: None = every row; an int k =
# the last k rows; a list = those node indices, [] = none)
CHAIN_STEPS = [(7, 0, None), (1, 0, None), (2, 1, 1), (3, 0, [0, 2]), (1, 1, []), (2, 2, 1), (4, 0, [1])]

# token-tree steps of the multi-head reference, after the chain steps: (parents, keep1, head rows as
# above, accepted node to compact the cache to before the next step or None). The second is a chain
# given as a tree (the full [B, S, S] mask instead of the [B, 1, 1] chain form); the third has two
# roots. Head rows at chosen nodes, as a verification pass asks for them.
TREE_STEPS = [
    ([-1, 0, 0, 1, 1, 2, 5], 0, [2, 6], 6),
    ([-1, 0], 0, None, None),
    ([-1, -1, 1, 0, 2], 2, 3, 2),
    ([-1, 0, 0, 1, 2, 2], 0, [3], 3),
    ([-1], 1, 1, None),
]


def head_rows_list(rows, S):
    """CHAIN_STEPS / TREE_STEPS head rows as an explicit list of node indices."""
    if rows is None:
        return list(range(S))
    if isinstance(rows, int):
        return list(range(S - rows, S))
    return list(rows)


def tree_mask(parents):
    """The ancestor-or-self mask [1, S, S] (int64) of a token tree."""
    S = len(parents)
    m = torch.zeros(1, S, S, dtype=torch.int64)
    for i, p in enumerate(parents):
        if p >= 0:
            m[0, i] = m[0, p]
        m[0, i, i] = 1
    return m


def tree_depths(parents):
    d = []
    for p in parents:
        d.append(0 if p < 0 else d[p] + 1)
    return d


@torch.no_grad()
def reference(model, ref_dir, seed=7):
    """PyTorch outputs for check_onnx.mjs: the CHAIN_STEPS (a prefill of 7 tokens, then cached chunks)
    and, for the multi-head graph (with its tree_attention_mask input), the TREE_STEPS: token trees,
    each followed by a compaction of the cache to one accepted root-to-node path. Every multi-head
    step records its head rows both as the list (headLogitsRows, for graphs with head_logits_rows)
    and as the smallest covering last-k count (numHeadLogitsToKeep, for older graphs: check_onnx
    picks the listed rows out of those)."""
    os.makedirs(ref_dir, exist_ok=True)
    cfg = model.cfg
    g = torch.Generator().manual_seed(seed)
    total = sum(c[0] for c in CHAIN_STEPS)
    ids = torch.randint(1, cfg.vocab_size, (1, total), generator=g)
    tree_ids = torch.randint(1, cfg.vocab_size, (1, sum(len(t[0]) for t in TREE_STEPS)), generator=g)
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

    def run(x, am, pi, past, k1, rows, tree=None):
        S = x.shape[1]
        rows = head_rows_list(rows, S)
        lg, hl, pres = model.forward_cached(x, am, pi, past, True, torch.tensor(k1),
                                            tree_attention_mask=tree,
                                            head_logits_rows=torch.tensor(rows, dtype=torch.int64))
        step = {"inputIds": x[0].tolist(), "numLogitsToKeep": k1, "headLogitsRows": rows,
                "numHeadLogitsToKeep": S - min(rows) if rows else 1, "logits": add(lg), "headLogits": add(hl)}
        return step, pres

    for with_heads, key in ((True, "steps"), (False, "base")):
        C = cfg.num_layers + (cfg.extra_heads if with_heads else 0)
        past = [(torch.zeros(1, cfg.num_heads, 0, cfg.head_dim), torch.zeros(1, cfg.num_heads, 0, cfg.head_dim))
                for _ in range(C)]
        pos = 0
        for ch, k1, rows in CHAIN_STEPS:
            x = ids[:, pos:pos + ch]
            am = torch.ones(1, pos + ch, dtype=torch.int64)
            pi = torch.arange(pos, pos + ch).unsqueeze(0)
            if with_heads:
                step, pres = run(x, am, pi, past, k1, rows)
            else:
                lg, _, pres = model.forward_cached(x, am, pi, past, False)
                step = {"inputIds": x[0].tolist(), "numLogitsToKeep": 0, "logits": add(lg)}
            step["past"] = pos
            meta[key].append(step)
            past = pres
            pos += ch
        if not with_heads:
            continue
        t0 = 0
        compact = None
        for parents, k1, rows, accept in TREE_STEPS:
            S = len(parents)
            if compact is not None:
                idx = torch.tensor(compact)
                past = [(k.index_select(2, idx), v.index_select(2, idx)) for k, v in past]
                pos = len(compact)
            x = tree_ids[:, t0:t0 + S]
            t0 += S
            am = torch.ones(1, pos + S, dtype=torch.int64)
            pi = torch.tensor([[pos + d for d in tree_depths(parents)]])
            step, pres = run(x, am, pi, past, k1, rows, tree_mask(parents))
            step.update({"past": pos, "parents": parents})
            if compact is not None:
                step["compactBefore"] = compact
            meta[key].append(step)
            past = pres
            compact = None
            if accept is not None:
                path = []
                i = accept
                while i >= 0:
                    path.append(pos + i)
                    i = parents[i]
                compact = list(range(pos)) + path[::-1]
            pos += S
    with open(os.path.join(ref_dir, "ref.bin"), "wb") as f:
        for b in blobs:
            f.write(b)
    json.dump(meta, open(os.path.join(ref_dir, "ref.json"), "w"))


DEFAULT_DECODING = {"preset": "calibrated", "topK": 50, "temperature": 0.7, "repetitionPenalty": 1.1,
                    "epsilon": 0.05, "alpha": 0.9, "blur": 3, "headTemperature": 1, "contextPenalty": 4}


def decoding(args):
    """The manifest's recommended sampler settings (docs/model-format.md, `decoding`): the calibrated
    DynaMo preset's values; when re-exporting into a folder whose manifest already recommends values
    for that preset, those (a model's extra-head temperature is a property of its heads); --decoding
    overrides either."""
    out = dict(DEFAULT_DECODING)
    previous = os.path.join(args.out, "dynamo.json")
    if os.path.exists(previous):
        try:
            old = json.load(open(previous)).get("decoding") or {}
            if old.get("preset") == out["preset"]:
                out.update(old)
        except (OSError, ValueError):
            pass
    if args.decoding:
        extra = json.loads(args.decoding)
        if not isinstance(extra, dict):
            raise SystemExit("--decoding must be a JSON object")
        out.update(extra)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "work", "run", "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(PKG, "model"))
    ap.add_argument("--ref", default=os.path.join(HERE, "work", "ref"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--eval", default=None, help="evaluate.py output JSON (quality)")
    ap.add_argument("--keep-quality", action="store_true",
                    help="without --eval: keep the quality block of OUT/dynamo.json (same weights re-exported)")
    ap.add_argument("--ngrams", default=None,
                    help="ngrams.bin built by recipe/ngrams.sh (default: WORK/ngrams.bin when it exists)")
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--name", default="dynamo-tiny-t3")
    ap.add_argument("--variants", default="fp32,mixed,q8",
                    help="multi-head graph variants to write, comma-separated, of: %s (fp32 is required)"
                    % ", ".join(VARIANT_FILES))
    ap.add_argument("--no-q8", action="store_true", help="same as leaving q8 out of --variants")
    ap.add_argument("--mixed-head-unembed", choices=["fp32", "q8"], default="fp32",
                    help="mixed graph: the extra heads' rows through the fp32 output embedding, together with "
                         "head 1's rows (default: its weights are read once per pass), or through an 8-bit copy "
                         "(cheaper only when many extra-head rows are computed)")
    ap.add_argument("--default-variant", default=None,
                    help="the variant loadModel picks when none is asked for (manifest files[].default); "
                         "default: none marked, which means fp32")
    ap.add_argument("--share-weights", default="fp32,mixed",
                    help="variants whose common weights are stored once, in " + SHARED_DATA + " (when two or more "
                         "of them are written and their weights are not external data anyway); 'none': each graph "
                         "holds all its weights. Default fp32,mixed: both compute head 1 in fp32 from the same "
                         "weights; q8 (8-bit everywhere) has only the input embedding in common with them, and "
                         "sharing it would make a q8-only user download the fp32 weights too")
    ap.add_argument("--random", default=None, help="JSON model config: export random weights (no ckpt)")
    ap.add_argument("--decoding", default=None,
                    help="JSON object merged over the recommended decoding defaults of the manifest "
                         "(e.g. '{\"headTemperature\": [1.5, 1.3]}' for self-distilled heads); default: "
                         "the calibrated DynaMo preset's values, or the shipped manifest's when it re-exports in place")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--external-data", choices=["auto", "always", "never"], default="auto",
                    help="weights in <graph>.onnx_data files: auto = when a graph exceeds 1.8 GB")
    args = ap.parse_args()
    variants = [v for v in args.variants.split(",") if v and not (args.no_q8 and v == "q8")]
    bad = [v for v in variants if v not in VARIANT_FILES]
    if bad or "fp32" not in variants:
        ap.error("--variants must list fp32 and only %s, got %s" % (", ".join(VARIANT_FILES), args.variants))
    if args.default_variant is not None and args.default_variant not in variants:
        ap.error("--default-variant %s is not among --variants %s" % (args.default_variant, ",".join(variants)))
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
    previous_quality = None
    if os.path.exists(os.path.join(out, "dynamo.json")):
        previous_quality = json.load(open(os.path.join(out, "dynamo.json"))).get("quality")
    os.makedirs(os.path.join(out, "base", "onnx"), exist_ok=True)
    # graphs of variants not written this time (and their data) must not outlive this export
    for v, rel in VARIANT_FILES.items():
        for stale in ([rel, rel + "_data"] if v not in variants else []) + [SHARED_DATA]:
            if os.path.exists(os.path.join(out, stale)):
                os.remove(os.path.join(out, stale))
    export_onnx(model, os.path.join(out, "model.onnx"), True, args.external_data)
    export_onnx(model, os.path.join(out, "base", "onnx", "model.onnx"), False, args.external_data)
    print("exported fp32 graphs (%.1fs)" % (time.time() - t0), file=sys.stderr)
    if "mixed" in variants:
        export_onnx(model, os.path.join(out, VARIANT_FILES["mixed"]), True, args.external_data, precision="mixed",
                    block_size=args.block_size, head_unembed=args.mixed_head_unembed)
        print("mixed: head 1 fp32, extra head layers 8-bit, their unembedding %s" % args.mixed_head_unembed,
              file=sys.stderr)
    nq = 0
    if "q8" in variants:
        nq = quantize_q8(os.path.join(out, "model.onnx"), os.path.join(out, VARIANT_FILES["q8"]), args.block_size,
                         args.external_data)
        print("q8: %d MatMuls -> MatMulNBits" % nq, file=sys.stderr)
    shared = 0
    sharing = [v for v in variants if v in args.share_weights.split(",")]
    graphs = [os.path.join(out, VARIANT_FILES[v]) for v in sharing]
    if len(graphs) > 1 and not any(external_files(p) for p in graphs):
        shared = share_weights(graphs, os.path.join(out, SHARED_DATA))
        print("%s: %d bytes shared by %s" % (SHARED_DATA, shared, ", ".join(VARIANT_FILES[v] for v in sharing)),
              file=sys.stderr)
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
    for role, variant, rel in ([("model", v, VARIANT_FILES[v]) for v in variants] + [
                               ("tokenizer", None, "tokenizer.json"), ("ngrams", None, "ngrams.bin"),
                               ("base-model", "fp32", "base/onnx/model.onnx"),
                               ("base-config", None, "base/config.json"),
                               ("base-tokenizer", None, "base/tokenizer.json"),
                               ("base-tokenizer-config", None, "base/tokenizer_config.json"),
                               ("base-generation-config", None, "base/generation_config.json")]):
        p = os.path.join(out, rel)
        if not os.path.exists(p):
            continue
        e = {"role": role}
        if variant:
            e["variant"] = variant
        e.update({"path": rel, "sha256": sha256(p), "bytes": os.path.getsize(p)})
        if role == "model" and variant == args.default_variant:
            e["default"] = True
        data_files = external_files(p) if rel.endswith(".onnx") else []
        if data_files:
            folder = os.path.dirname(rel)
            e["externalData"] = [{"path": os.path.join(folder, d) if folder else d,
                                  "sha256": sha256(os.path.join(os.path.dirname(p), d)),
                                  "bytes": os.path.getsize(os.path.join(os.path.dirname(p), d))} for d in data_files]
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
    elif args.keep_quality and previous_quality is not None:
        quality = previous_quality
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
               "headLogitsRows": True, "treeAttention": True},
        "files": files,
        "decoding": decoding(args),
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
            "graph": "recipe/onnx_graph.py (folded LayerNorms, fused attention, last layer + head layers as branches, "
                     "tree_attention_mask, head_logits_rows)",
            **({"weightsRecoveredFrom": state["recovered_from"]} if state.get("recovered_from") else {}),
            # stage 2 (recipe/distill.py): the head layers retrained on the base's own outputs
            **({"distillation": state["distillation"]} if state.get("distillation") else {}),
            **({"q8": {"op": "com.microsoft.MatMulNBits", "bits": 8, "blockSize": args.block_size,
                       "zeroPoints": True, "matmuls": nq}} if "q8" in variants else {}),
            **({"mixed": {"fp32": "stem, last base layer, final norm, output embedding (head 1)"
                                  + (" and the extra heads' rows" if args.mixed_head_unembed == "fp32" else ""),
                          "q8": "extra head layers" + (" and the extra heads' unembedding (an 8-bit copy of the "
                                                       "output embedding)" if args.mixed_head_unembed == "q8" else ""),
                          "op": "com.microsoft.MatMulNBits", "bits": 8, "blockSize": args.block_size,
                          "zeroPoints": True, "accuracyLevel": 4}} if "mixed" in variants else {}),
            **({"sharedWeights": {"path": SHARED_DATA, "bytes": shared,
                                  "variants": sharing}} if shared else {}),
            "exportedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "quality": quality,
    }
    json.dump(man, open(os.path.join(out, "dynamo.json"), "w"), indent=2)
    print("wrote %s (%.1fs)" % (out, time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
