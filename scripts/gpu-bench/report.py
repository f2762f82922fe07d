#!/usr/bin/env python3
"""GPU kit, last step: merges what run.sh's steps wrote into OUT/gpu-bench.json and a markdown table
OUT/gpu-bench.md (config, device, tokens/pass, tokens/s, speed-up over its baseline, pass cost; pass
cost by S per execution provider; GPU utilisation per step; the PyTorch peer's weight checks).
Python only (standard library), so it runs where the kit's node could not.

  python3 report.py --work WORK_DIR --out OUT_DIR [--wall SECONDS]
"""
import argparse
import json
import os
import re


def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    try:
        return json.loads(text)
    except ValueError:
        # dynamo bench --json prints one JSON document; keep the last {...} block if noise precedes it
        i = text.find("{")
        while i >= 0:
            try:
                return json.loads(text[i:])
            except ValueError:
                i = text.find("\n{", i + 1)
                i = i + 1 if i >= 0 else -1
        return {"unparsed": text[-2000:]}


def fmt(x, nd=2):
    if x is None:
        return "-"
    if isinstance(x, (int, float)):
        return ("%." + str(nd) + "f") % x
    return str(x)


def smi_by_step(path):
    """Max GPU utilisation / memory between the MARK lines of nvidia-smi's log."""
    out, cur = {}, None
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return out
    for ln in lines:
        if ln.startswith("MARK "):
            cur = ln.split()[1]
            out.setdefault(cur, {"samples": 0, "maxUtilPct": 0, "maxMemMiB": 0})
            continue
        m = re.match(r".*,\s*(\d+)\s*%,\s*(\d+)\s*MiB", ln)
        if m and cur:
            s = out[cur]
            s["samples"] += 1
            s["maxUtilPct"] = max(s["maxUtilPct"], int(m.group(1)))
            s["maxMemMiB"] = max(s["maxMemMiB"], int(m.group(2)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wall", type=float, default=None)
    a = ap.parse_args()
    W = lambda f: os.path.join(a.work, f)  # noqa: E731
    env = load(W("env.json")) or {}
    steps = []
    try:
        for ln in open(W("steps.txt")).read().splitlines():
            p = ln.split()
            steps.append({"step": p[0], "status": p[1], "wallS": float(p[2]), "detail": " ".join(p[3:])})
    except OSError:
        pass
    benches = {k: load(W("bench-%s.json" % k)) for k in ("webgpu-ar", "webgpu-verified", "cpu")}
    passcost = {k: load(W("passcost-%s.json" % k)) for k in ("webgpu", "cpu")}
    pypc = load(W("passcost-py.json"))
    if pypc and isinstance(pypc.get("providers"), dict):
        short = {"WebGpuExecutionProvider": "webgpu", "CUDAExecutionProvider": "cuda", "CPUExecutionProvider": "cpu"}
        for prov, v in pypc["providers"].items():
            if v.get("rows"):
                passcost["py-%s" % short.get(prov, prov)] = {"rows": v["rows"], "past": pypc.get("past"), "notes": [
                    "ort-python %s: %s" % (prov, n) for n in v.get("notes", [])]}
    peer = load(W("peer.json"))
    smi = smi_by_step(W("smi.txt"))
    res = {"env": env, "wallS": a.wall, "steps": steps, "bench": benches, "passCost": passcost, "ortPython": pypc,
           "peer": peer, "gpuUtilisation": smi}

    rows = []
    icd = env.get("icdKind")
    for key, b in benches.items():
        if not b or "rows" not in b:
            continue
        dev = b.get("device")
        if dev == "webgpu" and icd:
            dev = "webgpu/%s" % icd  # which Vulkan driver ran it: nvidia, or swiftshader in the rehearsal
        elif dev == "cpu":
            dev = "cpu/%s thr" % (b.get("threads") or "default")
        for r in b["rows"]:
            rows.append({"config": r["config"], "device": dev, "run": key, "runs": r.get("runs"),
                         "tokensPerPass": r.get("tokensPerPass"), "tokensPerSecond": r.get("tokensPerSecond"),
                         "speedup": r.get("speedup"), "baseline": r.get("baseline"), "passCost": r.get("passCost"),
                         "forwardMsPerPass": r.get("forwardMsPerPass"), "identical": r.get("identical"),
                         "lossless": r.get("lossless")})
    if peer and peer.get("rows"):
        for r in peer["rows"]:
            pdev = "torch-%s" % peer.get("device", "?")
            if "stub" in str(peer.get("transformers")):
                pdev += " (STUB)"
            rows.append({"config": r["config"], "device": pdev, "run": "hf-peer",
                         "runs": r.get("runs"), "tokensPerPass": r.get("tokensPerPass"),
                         "tokensPerSecond": r.get("tokensPerSecond"), "speedup": r.get("speedup"),
                         "baseline": None if r["config"] == "hf-generate" else "hf-generate",
                         "passCost": None, "identical": r.get("identical"), "skipped": r.get("skipped")})
    res["table"] = rows
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gpu-bench.json"), "w") as f:
        json.dump(res, f, indent=2)

    L = []
    kit = env.get("kit") or {}
    L.append("# GPU kit results")
    L.append("")
    L.append("- date %s · host %s · %s CPUs (%s)" % (env.get("date"), env.get("host"), env.get("cpus"), env.get("cpuModel")))
    L.append("- GPU: %s" % (env.get("gpu") or "none"))
    L.append("- Vulkan: loader %s · ICD %s (%s)" % (env.get("vulkanLoader") or "missing", env.get("icd") or "none", env.get("icdKind")))
    L.append("- node %s · python %s · torch %s · transformers %s" % (
        env.get("node") or "-", env.get("python"), (peer or {}).get("torch", "-"), (peer or {}).get("transformers", "-")))
    L.append("- %s run, steps %s s in all (budget %s s), CPU-EP threads %s · kit %s" % (
        "quick" if env.get("quick") else "full", fmt(a.wall, 0), env.get("budgetS"), env.get("cpuThreads"),
        kit.get("mode", "?")))
    L.append("")
    L.append("| step | status | wall s |")
    L.append("| --- | --- | ---: |")
    for s in steps:
        L.append("| %s | %s | %s |" % (s["step"], s["status"], fmt(s["wallS"], 0)))
    L.append("")
    for key, b in benches.items():
        if b and "rows" in b:
            L.append("- bench %s: device %s, %s prompts × %s seeds, %s new tokens, threads %s" % (
                key, b.get("device"), b.get("prompts"), len(b.get("seeds") or []), b.get("maxNewTokens"), b.get("threads") or "default"))
    if peer and peer.get("prompts"):
        L.append("- hf-peer: %s prompts, %s new tokens, %s" % (peer.get("prompts"), peer.get("maxNewTokens"), peer.get("gpu") or peer.get("device")))
    L.append("")
    L.append("## Decoding")
    L.append("")
    L.append("Speed-up is over the row's baseline in the same run (ar for sampling rows, ar-greedy for "
             "verified rows, hf-generate for the peer's); pass cost is the row's forward pass ÷ its baseline's.")
    L.append("")
    L.append("| config | device | tokens/pass | tokens/s | speed-up | vs | pass ms | pass cost | identical |")
    L.append("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |")
    for r in rows:
        if r.get("skipped"):
            L.append("| %s | %s | - | - | - | - | - | - | %s |" % (r["config"], r["device"], r["skipped"]))
            continue
        ident = r.get("identical")
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["config"], r["device"], fmt(r.get("tokensPerPass")), fmt(r.get("tokensPerSecond"), 1),
            "-" if r.get("speedup") is None else fmt(r["speedup"]) + "x", r.get("baseline") or "-",
            fmt(r.get("forwardMsPerPass"), 3), "-" if r.get("passCost") is None else fmt(r["passCost"]) + "x",
            "%s/%s" % (ident["identical"], ident["compared"]) if ident else "-"))
    L.append("")
    L.append("## Pass cost by S")
    L.append("")
    L.append("One forward pass with a cache of %s positions, by new tokens S (bare session.run, min over rounds)." % (
        next((p.get("past") for p in passcost.values() if p and p.get("past")), 60)))
    L.append("")
    eps = [k for k, p in passcost.items() if p and p.get("rows")]
    torch_rows = {r["S"]: r for r in (peer or {}).get("passCostByS", []) if isinstance(r, dict)} if peer and isinstance(peer.get("passCostByS"), list) else {}
    head = ["pass"] + ["%s ms | ×S=1" % ("webgpu/%s" % icd if k == "webgpu" and icd else k) for k in eps]
    if torch_rows:
        head.append("torch %s%s ms | ×S=1" % (peer.get("device"), " (STUB)" if "stub" in str(peer.get("transformers")) else ""))
    L.append("| " + " | ".join(head) + " |")
    L.append("| --- |" + " ---: | ---: |" * (len(eps) + (1 if torch_rows else 0)))
    configs = []
    for k in eps:
        for r in passcost[k]["rows"]:
            if r["config"] not in configs:
                configs.append(r["config"])
    for S in sorted(torch_rows):
        if "base S=%d" % S not in configs:
            configs.append("base S=%d" % S)
    configs.sort(key=lambda c: (0, int(c.split("=")[1])) if re.match(r"base S=\d+$", c) else (1, 0))
    for c in configs:
        cells = [c]
        for k in eps:
            r = next((x for x in passcost[k]["rows"] if x["config"] == c), None)
            cells += [fmt(r["ms"], 3), fmt(r["vsBaseS1"]) + "x"] if r else ["-", "-"]
        if torch_rows:
            m = re.match(r"base S=(\d+)$", c)
            t = torch_rows.get(int(m.group(1))) if m else None
            cells += [fmt(t["ms"], 3), fmt(t["vsS1"]) + "x"] if t else ["-", "-"]
        L.append("| " + " | ".join(cells) + " |")
    notes = [n for p in passcost.values() if p for n in p.get("notes", [])]
    if pypc and pypc.get("onnxruntime"):
        notes.append("Python onnxruntime %s: providers %s (py-* columns: its pass cost, the KV cache fed from host memory on every call)" % (
            pypc.get("onnxruntime", "-"), ", ".join(pypc.get("available") or []) or "none"))
    if pypc:
        notes += pypc.get("notes", [])
    if smi and any(s["samples"] for s in smi.values()):
        L.append("")
        L.append("## GPU utilisation (nvidia-smi every 0.5 s, from each step's start to the next mark)")
        L.append("")
        L.append("| from | samples | max util % | max memory MiB |")
        L.append("| --- | ---: | ---: | ---: |")
        for k, s in smi.items():
            L.append("| %s | %s | %s | %s |" % (k, s["samples"], s["maxUtilPct"], s["maxMemMiB"]))
    if peer:
        L.append("")
        L.append("## PyTorch peer: weight checks")
        L.append("")
        for k, v in (peer.get("checks") or {}).items():
            L.append("- %s: %s" % (k, ("max |Δlogit| %.3g" % v["maxAbsDiff"]) if isinstance(v, dict) else v))
        notes += peer.get("notes", [])
        if isinstance(peer.get("passCostByS"), str):
            notes.append("torch pass cost by S: " + peer["passCostByS"])
    for s in steps:
        if s["status"] != "ok":
            notes.append("step %s: %s %s" % (s["step"], s["status"], s["detail"]))
    if notes:
        L.append("")
        L.append("## Notes")
        L.append("")
        for n in notes:
            L.append("- %s" % n)
    with open(os.path.join(a.out, "gpu-bench.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    print("wrote %s/gpu-bench.json and gpu-bench.md (%d decoding rows)" % (a.out, len(rows)))


if __name__ == "__main__":
    main()
