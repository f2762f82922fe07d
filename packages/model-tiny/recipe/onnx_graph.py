"""Writes the DynaMo.js ONNX graphs (docs/model-format.md) directly from a state dict.

Same inputs, outputs and numbers as a `torch.onnx.export` of `DynamoModel.forward_cached`, built
for speed instead (a decoder this small spends its time in per-operator overhead and weight
traffic, not in FLOPs):

* parallel residual: both LayerNorms of a layer normalise the same input, so a layer runs ONE
  normalisation (no affine) and ONE MatMul for [q | k | v | MLP up-projection], with both
  LayerNorms' affine parameters folded into that weight;
* com.microsoft RotaryEmbedding (partial, rotate-half) on q and k together, MultiHeadAttention with
  the past/present cache, exact GELU (fused by onnxruntime), one down-projection MatMul for
  [attention | MLP] and SkipLayerNormalization for the residual plus the next normalisation;
* the multi-head graph runs the base's last layer and the extra head layers, which all read the stem
  output, as branches of one layer: one normalisation, one input MatMul and one RotaryEmbedding for
  all of them, then attention, down-projection and SkipLayerNormalization (with the final norm) per
  branch;
* the unembedding runs only on the rows whose logits are asked for: head 1's last
  `num_logits_to_keep` rows, and every extra head's rows listed by `head_logits_rows` (gathered
  before the unembedding, so a tree pass that needs the extra heads at one node pays for one row);
  the fp32 graph runs them all through one MatMul.

Precision (`precision`): "fp32", or "mixed": everything head 1 computes (the stem, the base's last
layer, the final norm, the base unembedding) stays fp32 and gives exactly the fp32 graph's head-1
logits, while the extra head layers run with 8-bit weights (com.microsoft MatMulNBits, bits 8,
accuracy_level 4: onnxruntime's int8 kernels). The extra heads' rows go through the fp32 output
embedding together with head 1's (its weights read once per pass), or, with head_unembed="q8",
through an 8-bit copy of it: that pays only when many extra-head rows are computed (every node
of a tree), which head_logits_rows makes unnecessary.

Graph I/O: input_ids, attention_mask, position_ids, past_key_values.{i}.key/value [B, A, P, D]
for every cache layer (base layers first, then head layers), num_logits_to_keep (multi-head graph
only; 0 = all rows), head_logits_rows (multi-head graph only: int64 [R], the new positions whose
extra-head logits are computed, in increasing order; R = 0 computes none), or with
head_rows=False the older num_head_logits_to_keep scalar instead (the last K2 rows; 0 = all),
tree_attention_mask (multi-head graph only, unless tree_attention says otherwise): int64 [B, S, S]
(or [B, 1, 1] holding 1: a chain), non-zero where new token i may attend to new token j, ANDed with
the causal mask, cached positions always visible; outputs logits [B, K1, V], head_logits
[B, E, R, V] (multi-head only), present.{i}.key/value [B, A, P + S, D]. The base-only graph has
exactly the transformers.js inputs.
"""
import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
INT_MAX = np.iinfo(np.int64).max


def quantize_blocks(W, block_size=32):
    """8-bit blockwise quantization of a weight W [K, N] for com.microsoft MatMulNBits (bits 8):
    asymmetric min/max per block of `block_size` rows of a column, zero points. Returns
    (B uint8 [N, K/bs, bs], scales float32 [N * K/bs], zero points uint8 [N * K/bs]); K is padded
    with zeros to a whole number of blocks."""
    W = np.asarray(W, np.float32)
    K, N = W.shape
    nb = (K + block_size - 1) // block_size
    Wp = np.zeros((nb * block_size, N), np.float32)
    Wp[:K] = W
    Wb = Wp.T.reshape(N, nb, block_size)
    mn = np.minimum(Wb.min(-1), 0.0)
    mx = np.maximum(Wb.max(-1), 0.0)
    scale = (mx - mn) / 255.0
    scale[scale == 0] = 1.0
    zp = np.clip(np.round(-mn / scale), 0, 255)
    q = np.clip(np.round(Wb / scale[..., None]) + zp[..., None], 0, 255).astype(np.uint8)
    return q, scale.astype(np.float32).reshape(-1), zp.astype(np.uint8).reshape(-1)


class _Builder:
    def __init__(self):
        self.nodes = []
        self.inits = []
        self.count = 0
        self.consts = {}

    def init(self, name, arr):
        a = np.asarray(arr)
        self.inits.append(numpy_helper.from_array(a.copy(order="C"), name))
        return name

    def i64(self, values):
        key = ("i64", tuple(int(v) for v in np.atleast_1d(values)), np.ndim(values))
        if key not in self.consts:
            self.consts[key] = self.init("const_i64_%d" % len(self.consts), np.array(values, dtype=np.int64))
        return self.consts[key]

    def f32(self, values):
        arr = np.array(values, dtype=np.float32)
        key = ("f32", arr.tobytes(), arr.shape)
        if key not in self.consts:
            self.consts[key] = self.init("const_f32_%d" % len(self.consts), arr)
        return self.consts[key]

    def matmul(self, x, wname, w, name, q8=False, block_size=32, outputs=None):
        """x @ w: a MatMul with the fp32 initializer `wname`, or (q8) com.microsoft MatMulNBits
        (bits 8, accuracy_level 4: int8 activations, onnxruntime's int8 kernels) with its blockwise
        quantized copy `wname`_q8_{B,scales,zp}."""
        if not q8:
            return self.op("MatMul", [x, self.init(wname, np.asarray(w, np.float32))], name, outputs=outputs)
        K, N = np.shape(w)
        q, scales, zp = quantize_blocks(w, block_size)
        base = wname.replace(".", "_").replace("/", "_") + "_q8"
        ins = [x, self.init(base + "_B", q), self.init(base + "_scales", scales), self.init(base + "_zp", zp)]
        return self.op("MatMulNBits", ins, name, outputs=outputs, domain="com.microsoft", K=K, N=N, bits=8,
                       block_size=block_size, accuracy_level=4)

    def op(self, op_type, inputs, name, outputs=None, n_out=1, **attrs):
        self.count += 1
        if outputs is None:
            outputs = [name] if n_out == 1 else ["%s_%d" % (name, i) for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs), name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else list(outputs)


def _np(t):
    return t.detach().cpu().numpy().astype(np.float32)


def _layer_weights(sd, prefix):
    """Weights of one GPT-NeoX layer with both LayerNorms' affine parameters folded into the input
    projections: (q, k, v, up) as [d, n] matrices with biases, and the down-projection
    [d + I, d] ([W_o; W_down]) with its bias."""
    g1, b1 = _np(sd[prefix + "input_layernorm.weight"]), _np(sd[prefix + "input_layernorm.bias"])
    g2, b2 = _np(sd[prefix + "post_attention_layernorm.weight"]), _np(sd[prefix + "post_attention_layernorm.bias"])
    wqkv, bqkv = _np(sd[prefix + "attention.query_key_value.weight"]).T, _np(sd[prefix + "attention.query_key_value.bias"])
    wd, bd = _np(sd[prefix + "attention.dense.weight"]).T, _np(sd[prefix + "attention.dense.bias"])
    wu, bu = _np(sd[prefix + "mlp.dense_h_to_4h.weight"]).T, _np(sd[prefix + "mlp.dense_h_to_4h.bias"])
    wdn, bdn = _np(sd[prefix + "mlp.dense_4h_to_h.weight"]).T, _np(sd[prefix + "mlp.dense_4h_to_h.bias"])
    # LN(x) @ W + b = xhat @ (diag(g) W) + (beta @ W + b)   (float64 for the fold, then float32)
    qkv_w = g1.astype(np.float64)[:, None] * wqkv
    qkv_b = b1.astype(np.float64) @ wqkv + bqkv
    up_w = g2.astype(np.float64)[:, None] * wu
    up_b = b2.astype(np.float64) @ wu + bu
    return qkv_w, qkv_b, up_w, up_b, np.concatenate([wd, wdn], axis=0), bd.astype(np.float64) + bdn


def _split_qkv(w, A, D):
    """[..., A * 3D] columns interleaved per head (q_h, k_h, v_h) -> (q, k, v), each [..., A * D]."""
    x = w.reshape(w.shape[:-1] + (A, 3, D))
    return [x[..., :, j, :].reshape(w.shape[:-1] + (A * D,)) for j in range(3)]


PRECISIONS = ("fp32", "mixed")


def build_graph(sd, cfg, with_heads, name="dynamo", tree_attention=None, head_rows=True, precision="fp32",
                block_size=32, head_unembed="fp32"):
    """sd: DynamoModel state dict; cfg: model.Config. Returns an onnx.ModelProto.
    tree_attention (default: with_heads) adds the tree_attention_mask input (token-tree passes).
    head_rows (multi-head graphs): the extra heads' logits at the rows listed by the head_logits_rows
    input; False writes the older num_head_logits_to_keep input (the last K2 rows) instead.
    precision: "fp32", or "mixed" (multi-head graphs: head 1 in fp32, the extra head layers in 8 bits,
    block_size rows per quantization block).
    head_unembed (mixed): "fp32" runs the extra heads' rows through the fp32 output embedding in the
    same MatMul as head 1's rows (the weights are read once per pass), "q8" through an 8-bit copy
    of it in a MatMul of their own (cheaper only when many extra-head rows are computed)."""
    if tree_attention is None:
        tree_attention = with_heads
    if precision not in PRECISIONS:
        raise ValueError("precision must be one of %s, got %r" % (PRECISIONS, precision))
    if precision != "fp32" and not with_heads:
        raise ValueError("precision %r is for the multi-head graph (the base-only graph is fp32)" % precision)
    if head_unembed not in ("fp32", "q8"):
        raise ValueError("head_unembed must be 'fp32' or 'q8', got %r" % head_unembed)
    b = _Builder()
    V, d, L, A, D, I = cfg.vocab_size, cfg.hidden_size, cfg.num_layers, cfg.num_heads, cfg.head_dim, cfg.intermediate_size
    E = cfg.extra_heads if with_heads else 0
    C = L + E
    rd = int(D * cfg.rotary_pct)
    eps = cfg.layer_norm_eps

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "logits_length", V])]
    if with_heads:
        outputs.append(helper.make_tensor_value_info("head_logits", TensorProto.FLOAT,
                                                     ["batch_size", E, "head_logits_length", V]))
    for i in range(C):
        for kv in ("key", "value"):
            inputs.append(helper.make_tensor_value_info("past_key_values.%d.%s" % (i, kv), TensorProto.FLOAT,
                                                        ["batch_size", A, "past_sequence_length", D]))
            outputs.append(helper.make_tensor_value_info("present.%d.%s" % (i, kv), TensorProto.FLOAT,
                                                         ["batch_size", A, "total_sequence_length", D]))
    if with_heads:
        inputs.append(helper.make_tensor_value_info("num_logits_to_keep", TensorProto.INT64, []))
        inputs.append(helper.make_tensor_value_info("head_logits_rows", TensorProto.INT64, ["head_logits_length"])
                      if head_rows else helper.make_tensor_value_info("num_head_logits_to_keep", TensorProto.INT64, []))
    if tree_attention:
        # its own dim names: [B, 1, 1] (a chain) is as valid as [B, S, S]
        inputs.append(helper.make_tensor_value_info("tree_attention_mask", TensorProto.INT64,
                                                    ["batch_size", "tree_rows", "tree_columns"]))

    # ---- once per pass: sizes, attention bias [B, A, S, T]
    t_len = b.op("Shape", ["attention_mask"], "total_len", start=1, end=2)
    s_len = b.op("Shape", ["input_ids"], "seq_len", start=1, end=2)
    t_sc = b.op("Squeeze", [t_len, b.i64([0])], "total_len_scalar")
    s_sc = b.op("Squeeze", [s_len, b.i64([0])], "seq_len_scalar")
    p_sc = b.op("Sub", [t_sc, s_sc], "past_len_scalar")
    kpos = b.op("Range", [b.i64(0), t_sc, b.i64(1)], "key_positions")
    qpos = b.op("Unsqueeze", [b.op("Range", [p_sc, t_sc, b.i64(1)], "query_positions"), b.i64([1])], "query_col")
    causal = b.op("LessOrEqual", [kpos, qpos], "causal")
    if tree_attention:
        # among the new tokens, i sees j only where the tree mask allows it (ancestors and itself);
        # the mask is broadcast to [B, S, S], padded with zeros over the P cached columns, and the
        # cached columns are made visible again: [B, S, T] AND causal, then a head axis
        p_len = b.op("Sub", [t_len, s_len], "past_len")
        tree = b.op("Expand", ["tree_attention_mask", b.op("Concat", [b.i64([1]), s_len, s_len], "tree_shape", axis=0)],
                    "tree_full")
        pads = b.op("Concat", [b.i64([0, 0]), p_len, b.i64([0, 0, 0])], "tree_pads", axis=0)
        tree = b.op("Greater", [b.op("Pad", [tree, pads], "tree_padded", mode="constant"), b.i64(0)], "tree_on")
        tree = b.op("Or", [tree, b.op("Less", [kpos, p_sc], "cached_keys")], "tree_visible")
        causal = b.op("Unsqueeze", [b.op("And", [causal, tree], "tree_causal"), b.i64([1])], "tree_causal_b1st")
    am = b.op("Unsqueeze", [b.op("Greater", ["attention_mask", b.i64(0)], "mask_on"), b.i64([1, 2])], "mask_b11t")
    allowed = b.op("And", [causal, am], "allowed")
    mask_bias = b.op("Where", [allowed, b.f32(0.0), b.f32(np.finfo(np.float32).min)], "mask_bias")
    # onnxruntime-web's MultiHeadAttention (JSEP) wants attention_bias as [B, heads, S, T], no broadcast
    mask_bias = b.op("Expand", [mask_bias, b.i64([1, A, 1, 1])], "mask_bias_heads")

    if rd > 0:
        # com.microsoft RotaryEmbedding (GPT-NeoX rotate-half layout, partial rotary), cos/sin caches
        # for every position up to max_position_embeddings
        inv = 1.0 / (cfg.rotary_base ** (np.arange(0, rd, 2, dtype=np.float64) / rd))
        ang = np.arange(cfg.max_position_embeddings, dtype=np.float64)[:, None] * inv[None, :]
        cos_cache = b.init("rotary_cos_cache", np.cos(ang).astype(np.float32))
        sin_cache = b.init("rotary_sin_cache", np.sin(ang).astype(np.float32))

    ones_d = b.init("ln_ones", np.ones(d, np.float32))
    zeros_d = b.init("ln_zeros", np.zeros(d, np.float32))  # onnxruntime-web's SkipLayerNormalization wants a beta

    def layer(xn, x, prefixes, cache_ids, tag, gamma, beta, q8=False):
        """One decoder layer (or nb layers reading the same input: branches). xn = LayerNorm(x)
        without affine. Returns, per branch, SkipLayerNormalization(x + layer output) with
        (gamma, beta) as (normalised, sum) pairs. q8: the input and down projections with 8-bit
        weights (MatMulNBits)."""
        nb = len(prefixes)
        ws = [_layer_weights(sd, p) for p in prefixes]
        parts = [_split_qkv(w[0], A, D) for w in ws]
        bparts = [_split_qkv(w[1], A, D) for w in ws]
        w_in = np.concatenate([p[0] for p in parts] + [p[1] for p in parts] + [p[2] for p in parts]
                              + [w[2] for w in ws], axis=1).astype(np.float32)
        b_in = np.concatenate([p[0] for p in bparts] + [p[1] for p in bparts] + [p[2] for p in bparts]
                              + [w[3] for w in ws]).astype(np.float32)
        z = b.op("Add", [b.matmul(xn, tag + "/w_in", w_in, tag + "/in", q8, block_size),
                         b.init(tag + "/b_in", b_in)], tag + "/in_bias")
        # columns: [q_0..q_nb | k_0..k_nb | v_0 | .. | v_nb | up_0..up_nb]
        zs = b.op("Split", [z, b.i64([2 * nb * d] + [d] * nb + [nb * I])], tag + "/split_in", n_out=nb + 2, axis=2)
        qk, vs, up = zs[0], zs[1:1 + nb], zs[1 + nb]
        if rd > 0:
            # q and k of every branch rotate alike: one operator over 2 x nb x A heads
            qk = b.op("RotaryEmbedding", [qk, "position_ids", cos_cache, sin_cache], tag + "/rotary",
                      domain="com.microsoft", interleaved=0, num_heads=2 * nb * A, rotary_embedding_dim=rd)
        qks = b.op("Split", [qk, b.i64([d] * (2 * nb))], tag + "/split_qk", n_out=2 * nb, axis=2)
        ys = []
        for j, i in enumerate(cache_ids):
            t = tag if nb == 1 else "%s/%d" % (tag, j)
            ys.append(b.op("MultiHeadAttention",
                           [qks[j], qks[nb + j], vs[j], "", "", mask_bias,
                            "past_key_values.%d.key" % i, "past_key_values.%d.value" % i],
                           t + "/attention", outputs=[t + "/attention", "present.%d.key" % i, "present.%d.value" % i],
                           domain="com.microsoft", num_heads=A, scale=1.0 / math.sqrt(D))[0])
        # exact GELU in the pattern onnxruntime fuses into one Gelu operator
        gd = b.op("Div", [up, b.f32(math.sqrt(2.0))], tag + "/gelu_div")
        ge = b.op("Add", [b.op("Erf", [gd], tag + "/gelu_erf"), b.f32(1.0)], tag + "/gelu_add")
        g = b.op("Mul", [b.op("Mul", [up, ge], tag + "/gelu_mul"), b.f32(0.5)], tag + "/gelu")
        gs = [g] if nb == 1 else b.op("Split", [g, b.i64([I] * nb)], tag + "/gelu_branches", n_out=nb, axis=2)
        outs = []
        for j in range(nb):
            t = tag if nb == 1 else "%s/%d" % (tag, j)
            cat = b.op("Concat", [ys[j], gs[j]], t + "/down_in", axis=2)
            down = b.matmul(cat, t + "/w_out", ws[j][4].astype(np.float32), t + "/down", q8, block_size)
            ln_in = [down, x, gamma, beta, b.init(t + "/b_out", ws[j][5].astype(np.float32))]
            b.op("SkipLayerNormalization", ln_in, t + "/residual_norm", outputs=[t + "/next_norm", "", "", t + "/next"],
                 domain="com.microsoft", epsilon=eps)
            outs.append((t + "/next_norm", t + "/next"))
        return outs

    x = b.op("Gather", ["gpt_neox.embed_in.weight", "input_ids"], "embed")
    b.init("gpt_neox.embed_in.weight", _np(sd["gpt_neox.embed_in.weight"]))
    xn = b.op("LayerNormalization", [x, ones_d], "layers.0/norm", axis=-1, epsilon=eps)
    for li in range(L - 1):
        ((xn, x),) = layer(xn, x, ["gpt_neox.layers.%d." % li], [li], "layers.%d" % li, ones_d, zeros_d)
    last = "gpt_neox.layers.%d." % (L - 1)
    gf = b.init("final_norm.weight", _np(sd["gpt_neox.final_layer_norm.weight"]))
    bf = b.init("final_norm.bias", _np(sd["gpt_neox.final_layer_norm.bias"]))
    w_emb = b.init("embed_out.weight_t", _np(sd["embed_out.weight"]).T)
    if not with_heads:
        ((hn, _),) = layer(xn, x, [last], [L - 1], "layers.%d" % (L - 1), gf, bf)
        b.op("MatMul", [hn, w_emb], "unembed", outputs=["logits"])
    else:
        heads = ["dynamo_heads.%d." % j for j in range(E)]
        if precision == "fp32":
            # the base's last layer and the head layers as branches of one layer
            branches = layer(xn, x, [last] + heads, list(range(L - 1, L + E)), "branches", gf, bf)
            base_out, head_outs = branches[0][0], [br[0] for br in branches[1:]]
        else:
            # head 1 exactly as in the fp32 base graph; the head layers as 8-bit branches of one layer
            ((base_out, _),) = layer(xn, x, [last], [L - 1], "layers.%d" % (L - 1), gf, bf)
            head_outs = [o[0] for o in layer(xn, x, heads, list(range(L, L + E)), "heads", gf, bf, q8=True)]

        # head 1: keep the last k rows: Slice from -k (k = 0 -> from 0: every row; k > S clamps to every row)
        big = b.i64([INT_MAX])
        s1 = b.op("Mul", ["num_logits_to_keep", b.i64([-1])], "keep1_start")
        base_rows = b.op("Slice", [base_out, s1, big, b.i64([1])], "head1_rows")
        if head_rows:
            # the extra heads: only the listed rows reach the unembedding
            rows = [b.op("Gather", [h, "head_logits_rows"], "head%d_rows" % (j + 2), axis=1)
                    for j, h in enumerate(head_outs)]
        else:
            s2 = b.op("Mul", ["num_head_logits_to_keep", b.i64([-1])], "keep2_start")
            rows = [b.op("Slice", [h, s2, big, b.i64([1])], "head%d_rows" % (j + 2)) for j, h in enumerate(head_outs)]
        if precision == "fp32" or head_unembed == "fp32":
            z = b.op("MatMul", [b.op("Concat", [base_rows] + rows, "rows", axis=1), w_emb], "unembed")  # [B, K1 + E*K2, V]
            k1 = b.op("Shape", [base_rows], "head1_count", start=1, end=2)
            b.op("Slice", [z, b.i64([0]), k1, b.i64([1])], "logits_rows", outputs=["logits"])
            zx = b.op("Slice", [z, k1, big, b.i64([1])], "head_rows")
        else:
            b.op("MatMul", [base_rows, w_emb], "unembed", outputs=["logits"])
            zx = b.matmul(b.op("Concat", rows, "rows", axis=1), "embed_out.weight_t", _np(sd["embed_out.weight"]).T,
                          "head_unembed", q8=True, block_size=block_size)  # [B, E*K2, V]
        b.op("Reshape", [zx, b.i64([0, E, -1, V])], "head_bekv", outputs=["head_logits"])

    graph = helper.make_graph(b.nodes, name, inputs, outputs, b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              producer_name="dynamojs-model-tiny")
    model.ir_version = 8
    if model.ByteSize() < 2_000_000_000:  # protobuf's limit; larger graphs are checked after saving
        onnx.checker.check_model(model)
    return model
