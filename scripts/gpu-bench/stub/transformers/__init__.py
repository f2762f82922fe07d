"""REHEARSAL STUB of the few transformers APIs hf_peer.py calls — NOT transformers.

The machine the kit is rehearsed on has no Python transformers (and no registry that has it), so
run.sh puts this folder on PYTHONPATH only when GPU_KIT_STUB_TRANSFORMERS=1 and the real package
is missing. It exercises hf_peer.py's plumbing end to end (loading the hub folder's
model.safetensors, generate() with prompt lookup and an assistant, the pass counter, the
pass-cost-by-S loop); its timings mean nothing and the report marks them "stub". GPT-NeoX math:
hf_peer.torch_forward, no KV cache (every step recomputes the whole sequence).
"""
import json
import os
import struct
import sys

import numpy as np
import torch

__version__ = "stub (rehearsal only, not transformers)"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import hf_peer  # noqa: E402


def _read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", v
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).copy()
    return out


class _Out:
    def __init__(self, logits):
        self.logits = logits


class DynamicCache:
    def __init__(self):
        self.ids = []

    def crop(self, n):
        self.ids = self.ids[:n]


class GPTNeoXForCausalLM(torch.nn.Module):
    def __init__(self, cfg, sd):
        super().__init__()
        self.cfg, self.sd = cfg, sd
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # so .to(device) has something to move

    @classmethod
    def from_pretrained(cls, path, dtype=None, torch_dtype=None):
        cfg = json.load(open(os.path.join(path, "config.json")))
        return cls(cfg, _read_safetensors(os.path.join(path, "model.safetensors")))

    def forward(self, input_ids, past_key_values=None, use_cache=None, attention_mask=None):
        ids = input_ids[0].tolist()
        if past_key_values is not None:
            past_key_values.ids += ids
            ids = list(past_key_values.ids)
            logits = hf_peer.torch_forward(torch, self.cfg, self.sd, ids)[-len(input_ids[0]):]
        else:
            logits = hf_peer.torch_forward(torch, self.cfg, self.sd, ids)
        return _Out(logits.unsqueeze(0).to(input_ids.device))

    def generate(self, input_ids, attention_mask=None, max_new_tokens=8, min_new_tokens=0, do_sample=False,
                 pad_token_id=None, prompt_lookup_num_tokens=None, assistant_model=None):
        ids = input_ids[0].tolist()
        target = len(ids) + max_new_tokens
        while len(ids) < target:
            draft = []
            if assistant_model is not None:
                ctx = list(ids)
                for _ in range(4):
                    ctx.append(int(assistant_model(torch.tensor([ctx])).logits[0, -1].argmax()))
                draft = ctx[len(ids):]
            elif prompt_lookup_num_tokens:
                k = prompt_lookup_num_tokens
                for j in range(len(ids) - 2, -1, -1):  # last bigram seen before: copy what followed it
                    if ids[j:j + 2] == ids[-2:] and j + 2 < len(ids) - 1:
                        draft = ids[j + 2:j + 2 + k]
                        break
            logits = self(torch.tensor([ids + draft])).logits[0]
            base = len(ids) - 1
            acc = []
            for i in range(len(draft) + 1):
                t = int(logits[base + i].argmax())
                acc.append(t)
                if i >= len(draft) or draft[i] != t:
                    break
            ids += acc[: target - len(ids)]
        return torch.tensor([ids], device=input_ids.device)
