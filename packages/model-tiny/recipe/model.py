"""GPT-NeoX (Pythia) decoder with DynaMo extra token heads.

Parameter names follow Hugging Face's GPTNeoXForCausalLM (gpt_neox.embed_in, gpt_neox.layers.i.*,
gpt_neox.final_layer_norm, embed_out), so a Pythia / GPT-NeoX state dict loads with
`load_base_state_dict` and the extra head layers are `dynamo_heads.{k}.*` (k = 0 for head 2, ...).

Semantics (docs/model-format.md):
  * rotary embeddings on the first rotary_pct * D dims of each head, GPT-NeoX rotate-half layout;
  * parallel residual  x + attn(ln1(x)) + mlp(ln2(x));  LayerNorm; exact (erf) GELU; untied embeddings;
  * stem = layers 0..L-2; head 1 = layer L-1 -> final LN -> embed_out (== the base model);
    head h >= 2 = one extra decoder layer reading the stem output in parallel with layer L-1,
    then the SAME final LN and embed_out.
  * head gradients into the stem are scaled by `stem_grad_scale` (LR_MB = LR_B / 10 of the paper)
    through an identity op whose backward multiplies the gradient.
"""
import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 4096
    hidden_size: int = 160
    num_layers: int = 6
    num_heads: int = 5
    intermediate_size: int = 640
    rotary_pct: float = 0.25
    rotary_base: float = 10000.0
    layer_norm_eps: float = 1e-5
    max_position_embeddings: int = 2048
    extra_heads: int = 2  # E: number of DynaMo head layers (heads - 1)
    init_std: float = 0.02

    @property
    def head_dim(self):
        return self.hidden_size // self.num_heads

    def to_dict(self):
        return asdict(self)

    @staticmethod
    def from_dict(d):
        return Config(**{k: v for k, v in d.items() if k in Config.__dataclass_fields__})


class _GradScale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale, None


def grad_scale(x, scale):
    if scale == 1.0 or not torch.is_grad_enabled():
        return x
    return _GradScale.apply(x, scale)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.A = cfg.num_heads
        self.D = cfg.head_dim
        self.rd = int(self.D * cfg.rotary_pct)
        self.query_key_value = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        inv_freq = 1.0 / (cfg.rotary_base ** (torch.arange(0, self.rd, 2).float() / self.rd))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def rope(self, position_ids):
        # position_ids [B, S] -> cos, sin [B, 1, S, rd]
        freqs = position_ids.unsqueeze(-1).to(torch.float32) * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)
        return emb.cos(), emb.sin()

    def forward(self, x, cos, sin, mask, past=None):
        B, S, _ = x.shape
        qkv = self.query_key_value(x).view(B, S, self.A, 3 * self.D).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :self.D], qkv[..., self.D:2 * self.D], qkv[..., 2 * self.D:]
        rd = self.rd
        if rd > 0:
            q = torch.cat((q[..., :rd] * cos + rotate_half(q[..., :rd]) * sin, q[..., rd:]), dim=-1)
            k = torch.cat((k[..., :rd] * cos + rotate_half(k[..., :rd]) * sin, k[..., rd:]), dim=-1)
        if past is not None:
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.D))
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(B, S, self.A * self.D)
        return self.dense(y), (k, v)


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.dense_h_to_4h = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.dense_4h_to_h = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x):
        return self.dense_4h_to_h(F.gelu(self.dense_h_to_4h(x)))


class Layer(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.post_attention_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.attention = Attention(cfg)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask, past=None):
        a, present = self.attention(self.input_layernorm(x), cos, sin, mask, past)
        return x + a + self.mlp(self.post_attention_layernorm(x)), present


class GPTNeoX(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.embed_in = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg.num_layers)])
        self.final_layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)


class DynamoModel(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.gpt_neox = GPTNeoX(cfg)
        self.embed_out = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.dynamo_heads = nn.ModuleList([Layer(cfg) for _ in range(cfg.extra_heads)])
        self.apply(self._init)
        # GPT-NeoX style small init of the residual output projections
        for layer in list(self.gpt_neox.layers) + list(self.dynamo_heads):
            for lin in (layer.attention.dense, layer.mlp.dense_4h_to_h):
                nn.init.normal_(lin.weight, std=cfg.init_std / math.sqrt(2 * cfg.num_layers))

    def _init(self, m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=self.cfg.init_std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=self.cfg.init_std)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def reinit_heads(self, seed=None):
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        for layer in self.dynamo_heads:
            for name, p in layer.named_parameters():
                with torch.no_grad():
                    if "layernorm" in name:
                        p.fill_(1.0 if name.endswith("weight") else 0.0)
                    elif name.endswith("bias"):
                        p.zero_()
                    else:
                        std = self.cfg.init_std
                        if "attention.dense" in name or "dense_4h_to_h" in name:
                            std = std / math.sqrt(2 * self.cfg.num_layers)
                        p.copy_(torch.randn(p.shape, generator=g) * std)

    def base_parameters(self):
        return list(self.gpt_neox.parameters()) + list(self.embed_out.parameters())

    def head_parameters(self):
        return list(self.dynamo_heads.parameters())

    # ------------------------------------------------------------------ training forward
    def forward_train(self, idx, n_heads=None, stem_grad_scale=0.1):
        """idx [B, T]. Returns a list of logits [B, T, V], one per head (head 1 first)."""
        n_heads = (1 + self.cfg.extra_heads) if n_heads is None else n_heads
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device).unsqueeze(0).expand(B, T)
        att0 = self.gpt_neox.layers[0].attention
        cos, sin = att0.rope(pos)
        mask = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril().view(1, 1, T, T)
        h = self.gpt_neox.embed_in(idx)
        L = self.cfg.num_layers
        for layer in self.gpt_neox.layers[:L - 1]:
            h, _ = layer(h, cos, sin, mask)
        stem = h
        h1, _ = self.gpt_neox.layers[L - 1](stem, cos, sin, mask)
        outs = [self.embed_out(self.gpt_neox.final_layer_norm(h1))]
        if n_heads > 1:
            hs = grad_scale(stem, stem_grad_scale)
            for layer in self.dynamo_heads[:n_heads - 1]:
                hh, _ = layer(hs, cos, sin, mask)
                outs.append(self.embed_out(self.gpt_neox.final_layer_norm(hh)))
        return outs

    def losses(self, x, n_heads=None, stem_grad_scale=0.1):
        """x [B, T + n_heads] tokens; head n (1-based) is trained on labels shifted by n."""
        n_heads = (1 + self.cfg.extra_heads) if n_heads is None else n_heads
        T = x.shape[1] - (1 + self.cfg.extra_heads)
        inp = x[:, :T]
        outs = self.forward_train(inp, n_heads, stem_grad_scale)
        ls = []
        for n, lg in enumerate(outs, start=1):
            labels = x[:, n:T + n]
            ls.append(F.cross_entropy(lg.reshape(-1, lg.shape[-1]), labels.reshape(-1)))
        return ls

    # ------------------------------------------------------------------ cached forward (export)
    def forward_cached(self, input_ids, attention_mask, position_ids, past, with_heads=True,
                       num_logits_to_keep=None, num_head_logits_to_keep=None, tree_attention_mask=None,
                       head_logits_rows=None):
        """past: list of (k, v) [B, A, P, D] for C = L (+ E) layers. Returns logits, head_logits, presents.

        head_logits_rows (optional, the multi-head graph's `head_logits_rows` input): int64 [R], the
        new positions (node indices) whose extra-head logits are returned, in that order (R may be 0);
        it replaces num_head_logits_to_keep when given.

        tree_attention_mask (optional, the multi-head graph's `tree_attention_mask` input): [B, S, S]
        (or broadcastable to it, e.g. [B, 1, 1]) integers, non-zero where new token i may attend to
        new token j. It is ANDed with the causal mask over the new tokens (j <= i); every cached
        position stays visible. With the tree's ancestor-or-self mask and position_ids = P + depth,
        node i's outputs equal a plain chain pass over its root-to-node path (docs/model-format.md)."""
        B, S = input_ids.shape
        att0 = self.gpt_neox.layers[0].attention
        cos, sin = att0.rope(position_ids)
        P = past[0][0].shape[2]
        total = P + S
        q_pos = torch.arange(S, device=input_ids.device).unsqueeze(1) + P
        k_pos = torch.arange(total, device=input_ids.device).unsqueeze(0)
        mask = (k_pos <= q_pos).unsqueeze(0).unsqueeze(0)
        if tree_attention_mask is not None:
            tree = (tree_attention_mask > 0).expand(B, S, S)
            tree = torch.cat((torch.ones(B, S, P, dtype=torch.bool, device=input_ids.device), tree), dim=2)
            mask = mask & tree.unsqueeze(1)
        mask = mask & (attention_mask[:, None, None, :] > 0)
        h = self.gpt_neox.embed_in(input_ids)
        L = self.cfg.num_layers
        presents = []
        for i, layer in enumerate(self.gpt_neox.layers[:L - 1]):
            h, pr = layer(h, cos, sin, mask, past[i])
            presents.append(pr)
        stem = h
        h1, pr = self.gpt_neox.layers[L - 1](stem, cos, sin, mask, past[L - 1])
        presents.append(pr)
        h1 = _keep_last(h1, num_logits_to_keep)
        logits = self.embed_out(self.gpt_neox.final_layer_norm(h1))
        head_logits = None
        if with_heads and self.cfg.extra_heads > 0:
            hl = []
            for j, layer in enumerate(self.dynamo_heads):
                hh, pr = layer(stem, cos, sin, mask, past[L + j])
                presents.append(pr)
                if head_logits_rows is not None:
                    hh = hh.index_select(1, head_logits_rows.to(torch.int64).reshape(-1))
                else:
                    hh = _keep_last(hh, num_head_logits_to_keep)
                hl.append(self.embed_out(self.gpt_neox.final_layer_norm(hh)))
            head_logits = torch.stack(hl, dim=1)
        return logits, head_logits, presents


def _keep_last(h, k):
    """h [B, S, d]; keep the last k positions (k = 0 or None: all). k may be a 0-d tensor.
    Written with shape ops, NonZero and Gather so that the ONNX export stays dynamic in k."""
    if k is None:
        return h
    S_t = torch._shape_as_tensor(h)[1]
    k = k.to(torch.int64)
    start = torch.where(k > 0, S_t - k, torch.zeros_like(k))
    pos = torch.arange(h.shape[1], dtype=torch.int64)
    idx = torch.nonzero(pos >= start).reshape(-1)
    return h.index_select(1, idx)


def count_params(model):
    base = sum(p.numel() for p in model.base_parameters())
    heads = sum(p.numel() for p in model.head_parameters())
    return base, heads


def load_base_state_dict(model, sd):
    """Load a Hugging Face GPTNeoXForCausalLM state dict (e.g. Pythia) into the base weights."""
    sd = {k: v for k, v in sd.items() if not k.endswith((".attention.bias", ".attention.masked_bias",
                                                          ".rotary_emb.inv_freq"))}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.startswith("dynamo_heads.")]
    if missing or unexpected:
        raise ValueError("state dict mismatch: missing %s unexpected %s" % (missing, unexpected))


def config_from_hf(hf):
    return Config(vocab_size=hf["vocab_size"], hidden_size=hf["hidden_size"],
                  num_layers=hf["num_hidden_layers"], num_heads=hf["num_attention_heads"],
                  intermediate_size=hf["intermediate_size"], rotary_pct=hf.get("rotary_pct", 0.25),
                  rotary_base=hf.get("rotary_emb_base", 10000), layer_norm_eps=hf.get("layer_norm_eps", 1e-5),
                  max_position_embeddings=hf.get("max_position_embeddings", 2048))
