#!/usr/bin/python3
"""Print samples from a checkpoint (head 1, top-k 50, temperature 0.7) and, per prompt, the three
heads' argmax at the last prompt position. Usage: /usr/bin/python3 recipe/sample.py [--ckpt C] [--n 60]"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, DynamoModel  # noqa: E402
from tokenizer import Encoder  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPTS = ["The president said that", "In the beginning", "The jury further said",
           "Fellow-Citizens of the Senate and House of Representatives:", "She looked at him and"]


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "work", "run", "ckpt.pt"))
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "work", "tokenizer.json"))
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    st = torch.load(args.ckpt, map_location="cpu")
    model = DynamoModel(Config.from_dict(st["model_cfg"]))
    model.load_state_dict(st["model"])
    model.eval()
    enc = Encoder(args.tokenizer)
    g = torch.Generator().manual_seed(args.seed)
    for p in PROMPTS:
        ids = enc.encode(p)
        outs = model.forward_train(torch.tensor([ids]))
        heads = [enc.decode([int(o[0, -1].argmax())]) for o in outs]
        for _ in range(args.n):
            lg = model.forward_train(torch.tensor([ids[-256:]]), n_heads=1)[0][0, -1] / 0.7
            v, i = lg.topk(50)
            ids.append(int(i[torch.multinomial(torch.softmax(v, -1), 1, generator=g)]))
        print("PROMPT %r\n  heads' argmax at the prompt end: %r\n  %r\n" % (p, heads, enc.decode(ids)))


if __name__ == "__main__":
    main()
