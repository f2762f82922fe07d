// Compare onnxruntime-node against the PyTorch reference written by export.py:
// prefill (7 tokens), then cached decode chunks of 1, 2, 3, 1, 2 tokens, with several
// num_logits_to_keep / num_head_logits_to_keep values; logits and head_logits, for model.onnx,
// base/onnx/model.onnx and model_q8.onnx (q8 is reported, with a loose bound).
//
// Usage: node recipe/check_onnx.mjs [modelDir=model] [refDir=recipe/work/ref] [--tol 1e-4] [--q8-tol 0.5]
// Exits non-zero on any mismatch.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));
const pos = process.argv.slice(2).filter((a, i, arr) => !a.startsWith('--') && !(arr[i - 1] ?? '').startsWith('--'));
const opt = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const modelDir = pos[0] ?? join(here, '..', 'model');
const refDir = pos[1] ?? join(here, 'work', 'ref');
const TOL = opt('--tol', 1e-4);
const Q8_TOL = opt('--q8-tol', 0.5);

const meta = JSON.parse(readFileSync(join(refDir, 'ref.json'), 'utf8'));
const bin = readFileSync(join(refDir, 'ref.bin'));
const refArr = (r) =>
  new Float32Array(
    bin.buffer.slice(bin.byteOffset + r.offset, bin.byteOffset + r.offset + r.shape.reduce((a, b) => a * b, 1) * 4),
  );

function maxDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
const sameShape = (a, b) => a.length === b.length && a.every((x, i) => Number(x) === Number(b[i]));

async function run(file, steps, withHeads, tol, label) {
  const sess = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const C = meta.layers + (withHeads ? meta.extraHeads : 0);
  const A = meta.attentionHeads;
  const D = meta.headDim;
  const past = [];
  for (let i = 0; i < C; i++) {
    past.push([
      new ort.Tensor('float32', new Float32Array(0), [1, A, 0, D]),
      new ort.Tensor('float32', new Float32Array(0), [1, A, 0, D]),
    ]);
  }
  let worst = 0;
  let ok = true;
  for (const [si, st] of steps.entries()) {
    const S = st.inputIds.length;
    const P = st.past;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(st.inputIds.map(BigInt)), [1, S]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(P + S).fill(1n), [1, P + S]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: S }, (_, i) => BigInt(P + i)),
        [1, S],
      ),
    };
    for (let i = 0; i < C; i++) {
      feeds[`past_key_values.${i}.key`] = past[i][0];
      feeds[`past_key_values.${i}.value`] = past[i][1];
    }
    if (withHeads) {
      // 0 = keep all positions
      if (sess.inputNames.includes('num_logits_to_keep'))
        feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([BigInt(st.numLogitsToKeep)]), []);
      if (sess.inputNames.includes('num_head_logits_to_keep'))
        feeds.num_head_logits_to_keep = new ort.Tensor(
          'int64',
          BigInt64Array.from([BigInt(st.numHeadLogitsToKeep)]),
          [],
        );
    }
    const out = await sess.run(feeds);
    const checks = [['logits', st.logits]];
    if (withHeads) checks.push(['head_logits', st.headLogits]);
    for (const [name, r] of checks) {
      const got = out[name];
      if (!got || !sameShape(got.dims, r.shape)) {
        console.error(`${label} step ${si}: ${name} shape ${got?.dims} != ${r.shape}`);
        ok = false;
        continue;
      }
      const d = maxDiff(got.data, refArr(r));
      worst = Math.max(worst, d);
      if (!(d <= tol)) {
        console.error(`${label} step ${si} (S=${S}, P=${P}): ${name} max abs diff ${d} > ${tol}`);
        ok = false;
      }
    }
    for (let i = 0; i < C; i++) {
      const k = out[`present.${i}.key`];
      const v = out[`present.${i}.value`];
      if (!sameShape(k.dims, [1, A, P + S, D]) || !sameShape(v.dims, [1, A, P + S, D])) {
        console.error(`${label} step ${si}: present.${i} shape ${k.dims}`);
        ok = false;
      }
      past[i] = [k, v];
    }
  }
  console.log(
    `${label}: ${steps.length} steps, max abs diff ${worst.toExponential(3)} (tol ${tol}) ${ok ? 'OK' : 'FAIL'}`,
  );
  return ok;
}

let ok = true;
ok = (await run(join(modelDir, 'model.onnx'), meta.steps, true, TOL, 'model.onnx')) && ok;
if (existsSync(join(modelDir, 'base', 'onnx', 'model.onnx'))) {
  ok = (await run(join(modelDir, 'base', 'onnx', 'model.onnx'), meta.base, false, TOL, 'base/onnx/model.onnx')) && ok;
}
if (existsSync(join(modelDir, 'model_q8.onnx'))) {
  ok = (await run(join(modelDir, 'model_q8.onnx'), meta.steps, true, Q8_TOL, 'model_q8.onnx')) && ok;
}
if (!ok) {
  console.error('check_onnx: FAILED');
  process.exit(1);
}
console.log('check_onnx: all OK');
