// Compare onnxruntime-node against the PyTorch reference written by export.py:
// prefill (7 tokens), then cached decode chunks of 1, 2, 3, 1, 2 tokens, with several
// num_logits_to_keep / num_head_logits_to_keep values; then, for a multi-head graph with the
// tree_attention_mask input, token-tree passes (per-node position ids P + depth, the ancestor mask),
// each followed by compacting the cache to one accepted root-to-node path; logits and head_logits,
// for model.onnx, base/onnx/model.onnx and model_q8.onnx (q8 is reported, with a loose bound).
// Chain steps feed tree_attention_mask in its [1, 1, 1] chain form.
//
// With --previous DIR, also runs the chain steps on DIR's graphs (an earlier export of the same
// model) and compares the two exports' logits and head_logits (fails above --previous-tol T).
//
// Usage: node recipe/check_onnx.mjs [modelDir=model] [refDir=recipe/work/ref] [--tol 1e-4] [--q8-tol 0.5]
//        [--previous DIR [--previous-tol 1e-5]]
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
const PREVIOUS = process.argv.includes('--previous') ? process.argv[process.argv.indexOf('--previous') + 1] : undefined;
const PREVIOUS_TOL = process.argv.includes('--previous-tol') ? opt('--previous-tol') : undefined;

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

/** The ancestor-or-self mask [1, S, S] of a token tree, and each node's depth. */
function treeInputs(parents) {
  const S = parents.length;
  const mask = new BigInt64Array(S * S);
  const depth = [];
  for (let i = 0; i < S; i++) {
    const p = parents[i];
    if (p >= 0) mask.copyWithin(i * S, p * S, p * S + S);
    mask[i * S + i] = 1n;
    depth.push(p < 0 ? 0 : depth[p] + 1);
  }
  return { mask, depth };
}

/** Keeps positions `keep` (along axis 2) of a [1, A, T, D] float32 cache tensor. */
function gatherPositions(t, keep) {
  const [, A, T, D] = t.dims.map(Number);
  const n = keep.length;
  const out = new Float32Array(A * n * D);
  for (let a = 0; a < A; a++)
    for (let i = 0; i < n; i++)
      out.set(t.data.subarray((a * T + keep[i]) * D, (a * T + keep[i] + 1) * D), (a * n + i) * D);
  return new ort.Tensor('float32', out, [1, A, n, D]);
}

const CHAIN_MASK = new ort.Tensor('int64', BigInt64Array.of(1n), [1, 1, 1]);

function emptyPast(C) {
  const e = () => new ort.Tensor('float32', new Float32Array(0), [1, meta.attentionHeads, 0, meta.headDim]);
  return Array.from({ length: C }, () => [e(), e()]);
}

/** The feeds of one reference step (past: [key, value] per cache layer). */
function stepFeeds(sess, st, past, withHeads) {
  const S = st.inputIds.length;
  const P = st.past;
  const tree = st.parents ? treeInputs(st.parents) : undefined;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(st.inputIds.map(BigInt)), [1, S]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(P + S).fill(1n), [1, P + S]),
    position_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: S }, (_, i) => BigInt(P + (tree ? tree.depth[i] : i))),
      [1, S],
    ),
  };
  if (sess.inputNames.includes('tree_attention_mask'))
    feeds.tree_attention_mask = tree ? new ort.Tensor('int64', tree.mask, [1, S, S]) : CHAIN_MASK;
  for (let i = 0; i < past.length; i++) {
    feeds[`past_key_values.${i}.key`] = past[i][0];
    feeds[`past_key_values.${i}.value`] = past[i][1];
  }
  if (withHeads) {
    // 0 = keep all positions
    if (sess.inputNames.includes('num_logits_to_keep'))
      feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(st.numLogitsToKeep)), []);
    if (sess.inputNames.includes('num_head_logits_to_keep'))
      feeds.num_head_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(st.numHeadLogitsToKeep)), []);
  }
  return feeds;
}

const openSession = (file) =>
  ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });

async function run(file, allSteps, withHeads, tol, label) {
  let steps = allSteps;
  const sess = await openSession(file);
  const C = meta.layers + (withHeads ? meta.extraHeads : 0);
  const A = meta.attentionHeads;
  const D = meta.headDim;
  const past = emptyPast(C);
  let worst = 0;
  let ok = true;
  const hasTree = sess.inputNames.includes('tree_attention_mask');
  let treeSteps = 0;
  for (const [si, st] of steps.entries()) {
    if (st.parents && !hasTree) {
      console.log(`${label}: no tree_attention_mask input, ${steps.length - si} token-tree steps skipped`);
      steps = steps.slice(0, si);
      break;
    }
    const S = st.inputIds.length;
    const P = st.past;
    if (st.compactBefore)
      for (let i = 0; i < C; i++) past[i] = past[i].map((t) => gatherPositions(t, st.compactBefore));
    if (st.parents) treeSteps++;
    const out = await sess.run(stepFeeds(sess, st, past, withHeads));
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
    `${label}: ${steps.length} steps (${treeSteps} token trees), max abs diff ${worst.toExponential(3)} (tol ${tol}) ${ok ? 'OK' : 'FAIL'}`,
  );
  return ok;
}

/**
 * --previous DIR: the chain steps on this folder's graph and on DIR's graph of the same name (an
 * earlier export), logits and head_logits compared with each other (the same weights give the
 * same numbers whatever the graph's inputs). Fails above --previous-tol when given.
 */
async function comparePrevious(rel, steps, withHeads, tol, label) {
  const prevFile = join(PREVIOUS, rel);
  if (!existsSync(prevFile)) return true;
  const [a, b] = await Promise.all([openSession(join(modelDir, rel)), openSession(prevFile)]);
  const C = meta.layers + (withHeads ? meta.extraHeads : 0);
  const pasts = [emptyPast(C), emptyPast(C)];
  const worst = { logits: 0, head_logits: 0 };
  let n = 0;
  for (const st of steps) {
    if (st.parents || st.compactBefore) break;
    const outs = [];
    for (const [j, sess] of [a, b].entries()) {
      const out = await sess.run(stepFeeds(sess, st, pasts[j], withHeads));
      for (let i = 0; i < C; i++) pasts[j][i] = [out[`present.${i}.key`], out[`present.${i}.value`]];
      outs.push(out);
    }
    for (const name of withHeads ? ['logits', 'head_logits'] : ['logits'])
      worst[name] = Math.max(worst[name], maxDiff(outs[0][name].data, outs[1][name].data));
    n++;
  }
  const bad = tol !== undefined && !(Math.max(worst.logits, worst.head_logits) <= tol);
  console.log(
    `${label} vs ${prevFile}: ${n} chain steps, max abs diff logits ${worst.logits.toExponential(3)}` +
      (withHeads ? `, head_logits ${worst.head_logits.toExponential(3)}` : '') +
      (tol === undefined ? '' : ` (tol ${tol}) ${bad ? 'FAIL' : 'OK'}`),
  );
  return !bad;
}

let ok = true;
ok = (await run(join(modelDir, 'model.onnx'), meta.steps, true, TOL, 'model.onnx')) && ok;
if (existsSync(join(modelDir, 'base', 'onnx', 'model.onnx'))) {
  ok = (await run(join(modelDir, 'base', 'onnx', 'model.onnx'), meta.base, false, TOL, 'base/onnx/model.onnx')) && ok;
}
if (existsSync(join(modelDir, 'model_q8.onnx'))) {
  ok = (await run(join(modelDir, 'model_q8.onnx'), meta.steps, true, Q8_TOL, 'model_q8.onnx')) && ok;
}
if (PREVIOUS) {
  ok = (await comparePrevious('model.onnx', meta.steps, true, PREVIOUS_TOL, 'model.onnx')) && ok;
  ok =
    (await comparePrevious(
      join('base', 'onnx', 'model.onnx'),
      meta.base,
      false,
      PREVIOUS_TOL,
      'base/onnx/model.onnx',
    )) && ok;
  ok = (await comparePrevious('model_q8.onnx', meta.steps, true, PREVIOUS_TOL, 'model_q8.onnx')) && ok;
}
if (!ok) {
  console.error('check_onnx: FAILED');
  process.exit(1);
}
console.log('check_onnx: all OK');
