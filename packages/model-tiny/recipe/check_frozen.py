#!/usr/bin/python3
"""Check that a checkpoint changed only the DynaMo head layers of another (e.g. distill.py's output
against its base): every tensor outside `dynamo_heads.*` must be bit-identical, and the model
configs equal. Prints what changed; exits 1 on any difference outside the heads.

Usage: /usr/bin/python3 recipe/check_frozen.py BASE_CKPT NEW_CKPT
"""
import sys

import torch


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    a, b = (torch.load(p, map_location="cpu") for p in sys.argv[1:])
    if a["model_cfg"] != b["model_cfg"]:
        raise SystemExit("check_frozen: model configs differ: %s vs %s" % (a["model_cfg"], b["model_cfg"]))
    sa, sb = a["model"], b["model"]
    if set(sa) != set(sb):
        raise SystemExit("check_frozen: tensor names differ: %s" % sorted(set(sa) ^ set(sb)))
    frozen_changed = [k for k in sa if not k.startswith("dynamo_heads.") and not torch.equal(sa[k], sb[k])]
    heads_changed = [k for k in sa if k.startswith("dynamo_heads.") and not torch.equal(sa[k], sb[k])]
    n_frozen = sum(1 for k in sa if not k.startswith("dynamo_heads."))
    print("check_frozen: %d frozen tensors, %d changed; %d of %d head tensors changed" % (
        n_frozen, len(frozen_changed), len(heads_changed), len(sa) - n_frozen))
    if frozen_changed:
        print("check_frozen: FAIL, changed outside the heads: %s" % ", ".join(frozen_changed), file=sys.stderr)
        sys.exit(1)
    print("check_frozen: OK")


if __name__ == "__main__":
    main()
