#!/usr/bin/env python3
"""GPU kit, step "ort-python": pass cost by S through the machine's own Python onnxruntime, on every
execution provider it has (CPU always; WebGPU / CUDA / TensorRT where that build ships them) — so
the kit measures something on the GPU even where Node cannot travel (a lite kit). The same
configurations as passcost.mjs (base-only graph by S, the multi-head graph at S = 1, 3 and on trees,
the draft step), but the 60-position KV cache is fed from host memory on every call (Python
onnxruntime's plain run(); an upload the JS rows do not pay on WebGPU), so compare its S curve, not
its absolute times, with passcost.mjs.

  python3 ort_passcost.py --model DIR --out file.json [--budget-s 40] [--threads 4] [--quick]
"""
import argparse
import json
import os
import time

import numpy as np

T0 = time.time()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=40)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--past", type=int, default=60)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "past": a.past, "providers": {}, "notes": []}

    def save():
        res["wallS"] = round(time.time() - T0, 1)
        json.dump(res, open(a.out, "w"), indent=2)

    try:
        import onnxruntime as ort
    except Exception as e:  # noqa: BLE001
        res["notes"].append("skipped: no Python onnxruntime (%s)" % e)
        save()
        return
    res["onnxruntime"] = ort.__version__
    res["available"] = ort.get_available_providers()
    save()
    man = json.load(open(os.path.join(a.model, "dynamo.json")))
    A, D, d = man["architecture"]["attentionHeads"], man["architecture"]["headDim"], man["architecture"]["hiddenSize"]
    P = a.past
    files = {f["role"] + ":" + f.get("variant", "fp32"): f for f in man["files"]}
    base_s = [1, 4, 16] if a.quick else [1, 2, 4, 8, 16, 32, 64]
    trees = [8, 24] if a.quick else [8, 16, 32, 64]
    reps, rounds = (3, 2) if a.quick else (20, 3)
    wanted = [p for p in ("WebGpuExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider") if p in res["available"]]
    budget_each = a.budget_s / max(1, len(wanted))

    def tree(n):
        parents = [-1] + [(i - 1) // 2 for i in range(1, n)]
        depth = []
        for p in parents:
            depth.append(0 if p < 0 else depth[p] + 1)
        m = np.zeros((1, n, n), np.int64)
        for i in range(n):
            j = i
            while j >= 0:
                m[0, i, j] = 1
                j = parents[j]
        return depth, m

    def feeds(sess, S, t=None, rows=None):
        names = [i.name for i in sess.get_inputs()]
        f = {"input_ids": ((np.arange(S) * 37 + 5) % 400).astype(np.int64)[None],
             "attention_mask": np.ones((1, P + S), np.int64),
             "position_ids": (P + (np.array(t[0]) if t else np.arange(S))).astype(np.int64)[None]}
        rng = np.random.default_rng(1)
        for n in names:
            if n.startswith("past_key_values."):
                f[n] = rng.standard_normal((1, A, P, D), dtype=np.float32) * 0.5
        if "tree_attention_mask" in names:
            f["tree_attention_mask"] = t[1] if t else np.ones((1, 1, 1), np.int64)
        if "num_logits_to_keep" in names:
            f["num_logits_to_keep"] = np.array(S, np.int64)
        if "head_logits_rows" in names:
            r = rows if rows is not None else [S - 1]
            f["head_logits_rows"] = np.array(r, np.int64)
        elif "num_head_logits_to_keep" in names:
            f["num_head_logits_to_keep"] = np.array(1, np.int64)
        return f

    for prov in wanted:
        t_prov = time.time()
        out = {"rows": [], "notes": []}
        res["providers"][prov] = out
        try:
            so = ort.SessionOptions()
            if prov == "CPUExecutionProvider":
                so.intra_op_num_threads = a.threads
                so.inter_op_num_threads = 1
            cases = []
            base = ort.InferenceSession(os.path.join(a.model, files["base-model:fp32"]["path"]), so, providers=[prov])
            out["used"] = base.get_providers()
            for S in base_s:
                cases.append(["base S=%d" % S, S, base, feeds(base, S)])
            mf = files.get("model:fp32")
            if mf:
                multi = ort.InferenceSession(os.path.join(a.model, mf["path"]), so, providers=[prov])
                cases.append(["multi S=1", 1, multi, feeds(multi, 1, rows=[0])])
                cases.append(["multi S=3 all", 3, multi, feeds(multi, 3, rows=[0, 1, 2])])
                if "tree_attention_mask" in [i.name for i in multi.get_inputs()]:
                    for n in trees:
                        cases.append(["multi tree %d" % n, n, multi, feeds(multi, n, tree(n), rows=list(range(n - 3, n)))])
            hf = files.get("draft-head:fp32")
            if hf:
                head = ort.InferenceSession(os.path.join(a.model, hf["path"]), so, providers=[prov])
                cases.append(["draft step", 1, head, {"hidden_states": np.sin(np.arange(d, dtype=np.float32))[None],
                                                      "input_ids": np.array([17], np.int64)}])
            for c in cases:
                c[2].run(None, c[3])
                c.append(float("inf"))
            for r in range(rounds):
                if r > 0 and time.time() - t_prov > budget_each:
                    out["notes"].append("stopped after %d of %d rounds (budget)" % (r, rounds))
                    break
                for c in cases:
                    t0 = time.perf_counter()
                    for _ in range(reps):
                        c[2].run(None, c[3])
                    c[4] = min(c[4], (time.perf_counter() - t0) / reps * 1000)
                ref = cases[0][4]
                out["rows"] = [{"config": c[0], "S": c[1], "ms": round(c[4], 4), "vsBaseS1": round(c[4] / ref, 3)} for c in cases]
                save()
        except Exception as e:  # noqa: BLE001
            out["notes"].append("failed: %s" % (str(e).splitlines() or [repr(e)])[0])
        save()


if __name__ == "__main__":
    main()
