#!/usr/bin/env python3
"""GPU kit, step "PyTorch peer": the same weights in Hugging Face transformers' GPTNeoXForCausalLM,
timed with generate() on the same GPU as the JS bench — plain greedy, prompt lookup
(prompt_lookup_num_tokens) and an assistant model (assistant_model) when the kit has one.

The shipped graphs (onnx_graph.py, model-tiny >= 0.2) fold each LayerNorm's scale and shift into the
projection after it, so the original LayerNorm parameters cannot be recovered (see
packages/model-tiny/recipe/ckpt_from_onnx.py). The folded weights are still an exact GPT-NeoX: every
LayerNorm gets weight 1 and bias 0, and the projections take the folded matrices. This script builds
such a hub-layout folder (config.json + model.safetensors) from base/onnx/model.onnx with onnx + torch
only, then checks it three ways, each reported and none fatal:
  torch      a self-contained GPT-NeoX forward (torch only, no transformers) vs the ONNX logits that
             the kit's passcost.mjs --ref-logits wrote with onnxruntime-node
  ort        the same vs Python onnxruntime on the ONNX file (where it is installed)
  hf         transformers' GPTNeoXForCausalLM.from_pretrained(folder) vs the ONNX logits
Every step that cannot run (no transformers, no CUDA, time budget spent) is reported as
'skipped: why' in the JSON instead of failing the kit.

  python3 hf_peer.py --model DIR [--assistant DIR] --hf-dir OUT_DIR --out peer.json
                     [--prompt-ids ids.json] [--ref-logits ref.json] [--max-tokens 64]
                     [--device auto|cuda|cpu] [--budget-s 150] [--build-only]
"""
import argparse
import json
import math
import os
import struct
import sys
import time
import traceback

import numpy as np

T0 = time.time()


def log(*a):
    print("[hf_peer %5.1fs]" % (time.time() - T0), *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# ONNX (folded GPT-NeoX, onnx_graph.py) -> Hugging Face GPTNeoXForCausalLM state dict
# ---------------------------------------------------------------------------------------------

def onnx_initializers(path):
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    vals = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    return m, vals


def hf_state_from_onnx(onnx_path, cfg):
    """Hub GPT-NeoX tensors (numpy float32) from a folded base graph; raises on an unknown layout."""
    m, v = onnx_initializers(onnx_path)
    d = cfg["hidden_size"]
    A = cfg["num_attention_heads"]
    Dh = d // A
    I = cfg["intermediate_size"]
    L = cfg["num_hidden_layers"]
    splits = [n for n in m.graph.node if n.op_type == "Split" and n.output[0].endswith("split_in_0")]
    for n in splits:
        sizes = v.get(n.input[1])
        if sizes is None or list(sizes) != [2 * d, d, I]:
            raise ValueError("unexpected w_in split %s (want [2d, d, I] = %s)" % (None if sizes is None else list(sizes), [2 * d, d, I]))
    for n in m.graph.node:
        if n.op_type == "RotaryEmbedding":
            attrs = {a.name: a for a in n.attribute}
            if "interleaved" in attrs and attrs["interleaved"].i != 0:
                raise ValueError("interleaved rotary: not GPT-NeoX's rotate_half")
    if "ln_ones" in v and not np.all(v["ln_ones"] == 1):
        raise ValueError("ln_ones is not all ones: LayerNorms not folded as expected")
    sd = {"gpt_neox.embed_in.weight": v["gpt_neox.embed_in.weight"]}
    ones, zeros = np.ones(d, np.float32), np.zeros(d, np.float32)
    for i in range(L):
        w_in, b_in = v["layers.%d/w_in" % i], v["layers.%d/b_in" % i]  # [d, 3d + I], [3d + I]
        w_out, b_out = v["layers.%d/w_out" % i], v["layers.%d/b_out" % i]  # [d + I, d], [d]
        wq, wk, wv, wup = w_in[:, :d], w_in[:, d:2 * d], w_in[:, 2 * d:3 * d], w_in[:, 3 * d:]
        bq, bk, bv, bup = b_in[:d], b_in[d:2 * d], b_in[2 * d:3 * d], b_in[3 * d:]
        # hub layout of query_key_value's output: per head [q(Dh) k(Dh) v(Dh)]
        rows, bias = [], []
        for h in range(A):
            s = slice(h * Dh, (h + 1) * Dh)
            rows += [wq[:, s].T, wk[:, s].T, wv[:, s].T]
            bias += [bq[s], bk[s], bv[s]]
        p = "gpt_neox.layers.%d." % i
        sd[p + "input_layernorm.weight"] = ones
        sd[p + "input_layernorm.bias"] = zeros
        sd[p + "post_attention_layernorm.weight"] = ones
        sd[p + "post_attention_layernorm.bias"] = zeros
        sd[p + "attention.query_key_value.weight"] = np.concatenate(rows, 0)
        sd[p + "attention.query_key_value.bias"] = np.concatenate(bias, 0)
        sd[p + "attention.dense.weight"] = w_out[:d].T
        sd[p + "attention.dense.bias"] = b_out  # both down projections' biases add up in b_out
        sd[p + "mlp.dense_h_to_4h.weight"] = wup.T
        sd[p + "mlp.dense_h_to_4h.bias"] = bup
        sd[p + "mlp.dense_4h_to_h.weight"] = w_out[d:].T
        sd[p + "mlp.dense_4h_to_h.bias"] = np.zeros(d, np.float32)
    sd["gpt_neox.final_layer_norm.weight"] = v["final_norm.weight"]
    sd["gpt_neox.final_layer_norm.bias"] = v["final_norm.bias"]
    sd["embed_out.weight"] = v["embed_out.weight_t"].T
    return {k: np.ascontiguousarray(a, dtype=np.float32) for k, a in sd.items()}


def write_safetensors(path, tensors):
    """The safetensors format by hand (8-byte header length, JSON header, raw little-endian data)."""
    header, off, blobs = {}, 0, []
    for k in sorted(tensors):
        a = tensors[k]
        b = a.astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def build_hf_folder(model_dir, out_dir):
    """model_dir: a hub-layout folder (config.json + onnx/model.onnx) or a dynamo folder (base/)."""
    hub = model_dir if os.path.exists(os.path.join(model_dir, "config.json")) else os.path.join(model_dir, "base")
    cfg = json.load(open(os.path.join(hub, "config.json")))
    sd = hf_state_from_onnx(os.path.join(hub, "onnx", "model.onnx"), cfg)
    os.makedirs(out_dir, exist_ok=True)
    cfg = dict(cfg)
    # transformers 5 reads rope settings from rope_parameters; 4.x from rotary_pct / rotary_emb_base
    theta, pct = cfg.get("rotary_emb_base", 10000.0), cfg.get("rotary_pct", 0.25)
    cfg.update({"rope_theta": theta, "partial_rotary_factor": pct,
                "rope_parameters": {"rope_type": "default", "rope_theta": theta, "partial_rotary_factor": pct}})
    cfg.pop("rope_scaling", None)
    json.dump(cfg, open(os.path.join(out_dir, "config.json"), "w"), indent=2)
    for f in ("generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        src = os.path.join(hub, f)
        if os.path.exists(src):
            with open(src, "rb") as a, open(os.path.join(out_dir, f), "wb") as b:
                b.write(a.read())
    write_safetensors(os.path.join(out_dir, "model.safetensors"), sd)
    return cfg, sd, os.path.join(hub, "onnx", "model.onnx")


# ---------------------------------------------------------------------------------------------
# torch-only GPT-NeoX forward (the hub's math: parallel residual, partial rotary, exact gelu)
# ---------------------------------------------------------------------------------------------

def torch_forward(torch, cfg, sd, ids):
    F = torch.nn.functional
    t = {k: torch.from_numpy(a) for k, a in sd.items()}
    d, A = cfg["hidden_size"], cfg["num_attention_heads"]
    Dh = d // A
    rd = int(Dh * cfg.get("rotary_pct", 0.25))
    eps = cfg.get("layer_norm_eps", 1e-5)
    S = len(ids)
    x = t["gpt_neox.embed_in.weight"][torch.tensor(ids)].unsqueeze(0)
    inv = 1.0 / (cfg.get("rotary_emb_base", 10000.0) ** (torch.arange(0, rd, 2).float() / rd))
    fr = torch.arange(S).float().unsqueeze(-1) * inv
    emb = torch.cat((fr, fr), -1)
    cos, sin = emb.cos(), emb.sin()

    def rot(z):
        h = z.shape[-1] // 2
        return torch.cat((-z[..., h:], z[..., :h]), -1)

    mask = torch.ones(S, S, dtype=torch.bool).tril()
    for i in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % i
        h1 = F.layer_norm(x, (d,), t[p + "input_layernorm.weight"], t[p + "input_layernorm.bias"], eps)
        qkv = F.linear(h1, t[p + "attention.query_key_value.weight"], t[p + "attention.query_key_value.bias"])
        qkv = qkv.view(1, S, A, 3 * Dh).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :Dh], qkv[..., Dh:2 * Dh], qkv[..., 2 * Dh:]
        q = torch.cat((q[..., :rd] * cos + rot(q[..., :rd]) * sin, q[..., rd:]), -1)
        k = torch.cat((k[..., :rd] * cos + rot(k[..., :rd]) * sin, k[..., rd:]), -1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(Dh)
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(-1)
        y = (att @ v).permute(0, 2, 1, 3).reshape(1, S, d)
        a = F.linear(y, t[p + "attention.dense.weight"], t[p + "attention.dense.bias"])
        h2 = F.layer_norm(x, (d,), t[p + "post_attention_layernorm.weight"], t[p + "post_attention_layernorm.bias"], eps)
        mlp = F.linear(F.gelu(F.linear(h2, t[p + "mlp.dense_h_to_4h.weight"], t[p + "mlp.dense_h_to_4h.bias"])),
                       t[p + "mlp.dense_4h_to_h.weight"], t[p + "mlp.dense_4h_to_h.bias"])
        x = x + a + mlp
    x = F.layer_norm(x, (d,), t["gpt_neox.final_layer_norm.weight"], t["gpt_neox.final_layer_norm.bias"], eps)
    return F.linear(x, t["embed_out.weight"])[0]  # [S, V]


def max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def ort_logits(onnx_path, cfg, ids):
    import onnxruntime as ort

    s = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    A = cfg["num_attention_heads"]
    Dh = cfg["hidden_size"] // A
    S = len(ids)
    feeds = {"input_ids": np.array([ids], np.int64), "attention_mask": np.ones((1, S), np.int64),
             "position_ids": np.arange(S, dtype=np.int64)[None]}
    for i in s.get_inputs():
        if i.name.startswith("past_key_values."):
            feeds[i.name] = np.zeros((1, A, 0, Dh), np.float32)
    return s.run(["logits"], feeds)[0][0]


# ---------------------------------------------------------------------------------------------
# transformers generate() timings
# ---------------------------------------------------------------------------------------------

class Counter:
    def __init__(self, model):
        self.n = 0
        model.register_forward_hook(self.hook)

    def hook(self, *_):
        self.n += 1


def time_generate(torch, model, prompts, max_new, dev, sync, budget_end, **kw):
    counter = model._kit_counter
    outs, toks, secs, passes = [], 0, 0.0, 0
    first = prompts[0]
    ids = torch.tensor([first], device=dev)
    model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=4, min_new_tokens=4, do_sample=False,
                   pad_token_id=0, **kw)  # warm-up
    for p in prompts:
        if time.time() > budget_end:
            break
        ids = torch.tensor([p], device=dev)
        sync()
        counter.n = 0
        t0 = time.perf_counter()
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new,
                             min_new_tokens=max_new, do_sample=False, pad_token_id=0, **kw)
        sync()
        secs += time.perf_counter() - t0
        passes += counter.n
        new = out[0, len(p):].tolist()
        toks += len(new)
        outs.append(new)
    return {"runs": len(outs), "tokens": toks, "seconds": round(secs, 4), "forwardPasses": passes,
            "tokensPerSecond": round(toks / secs, 2) if secs > 0 else None,
            "tokensPerPass": round(toks / passes, 3) if passes else None}, outs


def pass_cost_by_s(torch, model, dev, sync, past=60, sizes=(1, 2, 4, 8, 16, 32, 64), reps=20):
    """HF forward pass time with a cache of `past` positions, by S new tokens (min over 3 rounds)."""
    from transformers import DynamicCache

    rows = []
    with torch.no_grad():
        ids = torch.arange(5, 5 + past, device=dev).unsqueeze(0) % 4000
        cache = DynamicCache()
        model(ids, past_key_values=cache, use_cache=True)
        for S in sizes:
            x = (torch.arange(S, device=dev).unsqueeze(0) * 37 + 5) % 4000
            best = float("inf")
            for _ in range(3):
                sync()
                t0 = time.perf_counter()
                for _ in range(reps):
                    model(x, past_key_values=cache, use_cache=True)
                    cache.crop(past)
                sync()
                best = min(best, (time.perf_counter() - t0) / reps * 1000)
            rows.append({"S": S, "ms": round(best, 4)})
    b = rows[0]["ms"]
    for r in rows:
        r["vsS1"] = round(r["ms"] / b, 3)
    return rows


def load_hf(cls, path, torch):
    try:  # transformers 5: dtype=; 4.x: torch_dtype=
        return cls.from_pretrained(path, dtype=torch.float32)
    except TypeError:
        return cls.from_pretrained(path, torch_dtype=torch.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--assistant", default=None)
    ap.add_argument("--hf-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prompt-ids", default=None, help="JSON list of token-id lists (the JS tokenizer's)")
    ap.add_argument("--ref-logits", default=None, help="passcost.mjs --ref-logits output")
    ap.add_argument("--prompts-txt", default=None, help="prompts, one a line, when --prompt-ids is missing")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--prompt-lookup", type=int, default=10)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--budget-s", type=float, default=150)
    ap.add_argument("--build-only", action="store_true")
    a = ap.parse_args()
    budget_end = T0 + a.budget_s
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": sys.version.split()[0],
           "checks": {}, "rows": [], "notes": []}

    def save():
        res["wallS"] = round(time.time() - T0, 1)
        json.dump(res, open(a.out, "w"), indent=2)

    try:
        import torch
        res["torch"] = torch.__version__
    except Exception as e:  # noqa: BLE001
        res["notes"].append("skipped: no torch (%s)" % e)
        save()
        return
    # 1. the hub folder(s)
    try:
        cfg, sd, onnx_path = build_hf_folder(a.model, os.path.join(a.hf_dir, "base"))
        res["hfFolder"] = os.path.join(a.hf_dir, "base")
        res["params"] = int(sum(v.size for v in sd.values()))
        log("built", res["hfFolder"], res["params"], "parameters")
    except Exception as e:  # noqa: BLE001
        res["notes"].append("skipped: could not build the hub folder: %s" % e)
        traceback.print_exc()
        save()
        return
    asst = None
    if a.assistant and os.path.isdir(a.assistant):
        try:
            acfg, asd, aonnx = build_hf_folder(a.assistant, os.path.join(a.hf_dir, "assistant"))
            asst = (acfg, asd, aonnx)
            log("built assistant", os.path.join(a.hf_dir, "assistant"))
        except Exception as e:  # noqa: BLE001
            res["notes"].append("assistant: skipped: could not build its hub folder: %s" % e)
    elif a.assistant:
        res["notes"].append("assistant: skipped: %s not found" % a.assistant)
    # 2. torch-only checks against the ONNX logits
    ref = json.load(open(a.ref_logits)) if a.ref_logits and os.path.exists(a.ref_logits) else None
    ids = ref["ids"] if ref else [3 + (i * 131) % 4000 for i in range(12)]
    with torch.no_grad():
        tl = torch_forward(torch, cfg, sd, ids).numpy()
    if ref:
        res["checks"]["torchVsOnnxNode"] = {"maxAbsDiff": max(max_diff(tl[0], ref["first"]), max_diff(tl[-1], ref["last"])),
                                            "ref": "onnxruntime-node %s, base/onnx/model.onnx" % ref.get("ep")}
    else:
        res["checks"]["torchVsOnnxNode"] = "skipped: no --ref-logits"
    try:
        ol = ort_logits(onnx_path, cfg, ids)
        res["checks"]["torchVsOnnxPython"] = {"maxAbsDiff": max_diff(tl, ol)}
    except Exception as e:  # noqa: BLE001
        res["checks"]["torchVsOnnxPython"] = "skipped: %s" % (str(e).splitlines() or [repr(e)])[0]
    if asst:
        try:
            with torch.no_grad():
                atl = torch_forward(torch, asst[0], asst[1], ids).numpy()
            if ref and ref.get("assistant"):
                res["checks"]["assistantTorchVsOnnxNode"] = {
                    "maxAbsDiff": max(max_diff(atl[0], ref["assistant"]["first"]), max_diff(atl[-1], ref["assistant"]["last"]))}
            try:
                res["checks"]["assistantTorchVsOnnxPython"] = {"maxAbsDiff": max_diff(atl, ort_logits(asst[2], asst[0], ids))}
            except Exception as e:  # noqa: BLE001
                res["checks"]["assistantTorchVsOnnxPython"] = "skipped: %s" % (str(e).splitlines() or [repr(e)])[0]
        except Exception as e:  # noqa: BLE001
            res["checks"]["assistantTorch"] = "failed: %s" % e
    log("checks", json.dumps(res["checks"]))
    save()
    if a.build_only:
        return
    # 3. transformers
    try:
        import transformers
        from transformers import GPTNeoXForCausalLM
        res["transformers"] = transformers.__version__
        if "stub" in transformers.__version__:
            res["notes"].append("REHEARSAL: transformers is a stub (scripts/gpu-bench/stub): its rows exercise the plumbing, their numbers mean nothing")
    except Exception as e:  # noqa: BLE001
        res["notes"].append("skipped: transformers generate(): transformers not importable (%s)" % e)
        save()
        return
    dev = a.device
    if dev == "auto":
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    res["device"] = dev
    if dev == "cuda":
        res["gpu"] = torch.cuda.get_device_name(0)
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    try:
        model = load_hf(GPTNeoXForCausalLM, res["hfFolder"], torch).to(dev).eval()
        model._kit_counter = Counter(model)
        with torch.no_grad():
            hl = model(torch.tensor([ids], device=dev)).logits[0].float().cpu().numpy()
        res["checks"]["hfVsTorch"] = {"maxAbsDiff": max_diff(hl, tl)}
        if ref:
            res["checks"]["hfVsOnnxNode"] = {"maxAbsDiff": max(max_diff(hl[0], ref["first"]), max_diff(hl[-1], ref["last"]))}
        log("hf checks", json.dumps(res["checks"]))
    except Exception as e:  # noqa: BLE001
        res["notes"].append("skipped: transformers could not load the hub folder: %s" % e)
        traceback.print_exc()
        save()
        return
    prompts = json.load(open(a.prompt_ids)) if a.prompt_ids and os.path.exists(a.prompt_ids) else None
    if prompts is None and a.prompts_txt:
        # no JS tokenizer step (a lite kit): Python tokenizers on the same tokenizer.json
        try:
            from tokenizers import Tokenizer

            hub = a.model if os.path.exists(os.path.join(a.model, "config.json")) else os.path.join(a.model, "base")
            tok = Tokenizer.from_file(os.path.join(hub, "tokenizer.json"))
            lines = [ln for ln in open(a.prompts_txt).read().splitlines() if ln.strip()]
            prompts = [tok.encode(ln, add_special_tokens=False).ids for ln in lines]
            res["notes"].append("prompts tokenized by Python tokenizers (no JS tokenizer step)")
        except Exception as e:  # noqa: BLE001
            res["notes"].append("Python tokenizers unavailable (%s): one fixed token sequence as the prompt" % e)
    if prompts is None:
        prompts = [ids]
    res["prompts"] = len(prompts)
    res["maxNewTokens"] = a.max_tokens
    runs = [("hf-generate", {}), ("hf-prompt-lookup", {"prompt_lookup_num_tokens": a.prompt_lookup})]
    amodel = None
    if asst:
        try:
            amodel = load_hf(GPTNeoXForCausalLM, os.path.join(a.hf_dir, "assistant"), torch).to(dev).eval()
            amodel._kit_counter = Counter(amodel)
            runs.append(("hf-assistant", {"assistant_model": amodel}))
        except Exception as e:  # noqa: BLE001
            res["notes"].append("assistant: skipped: transformers could not load it: %s" % e)
    base_outs = None
    with torch.no_grad():
        for label, kw in runs:
            if time.time() > budget_end:
                res["rows"].append({"config": label, "skipped": "time budget (--budget-s %s) spent" % a.budget_s})
                continue
            try:
                row, outs = time_generate(torch, model, prompts, a.max_tokens, dev, sync, budget_end, **kw)
                row = {"config": label, "device": dev, **row}
                if base_outs is None:
                    base_outs = outs
                else:
                    same = sum(1 for x, y in zip(outs, base_outs) if x == y)
                    row["identical"] = {"reference": "hf-generate", "identical": same, "compared": min(len(outs), len(base_outs))}
                res["rows"].append(row)
                log(label, json.dumps(row))
            except Exception as e:  # noqa: BLE001
                res["rows"].append({"config": label, "skipped": "failed: %s" % (str(e).splitlines() or [repr(e)])[0]})
                traceback.print_exc()
            save()
        base = next((r for r in res["rows"] if r.get("config") == "hf-generate" and r.get("tokensPerSecond")), None)
        for r in res["rows"]:
            if base and r.get("tokensPerSecond"):
                r["speedup"] = round(r["tokensPerSecond"] / base["tokensPerSecond"], 3)
        if time.time() < budget_end - 10:
            try:
                res["passCostByS"] = pass_cost_by_s(torch, model, dev, sync)
            except Exception as e:  # noqa: BLE001
                res["passCostByS"] = "skipped: %s" % (str(e).splitlines() or [repr(e)])[0]
    save()


if __name__ == "__main__":
    main()
