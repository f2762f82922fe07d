// Compare onnxruntime-node against the PyTorch reference written by export.py:
// prefill (7 tokens), then cached decode chunks of 1 to 4 tokens, with several num_logits_to_keep
// values and the extra heads' logits at every row, the last k rows, chosen rows and no row; then,
// for a multi-head graph with the tree_attention_mask input, token-tree passes (per-node position
// ids P + depth, the ancestor mask) with the extra heads at chosen nodes, each followed by
// compacting the cache to one accepted root-to-node path; logits and head_logits, for every
// multi-head graph the manifest lists (model.onnx, model_mixed.onnx, model_q8.onnx) and
// base/onnx/model.onnx. Graphs with head_logits_rows are fed the rows' list; older graphs
// (num_head_logits_to_keep) the smallest last-k that covers it, and the listed rows are picked out.
// Tolerances: fp32 graphs --tol; the q8 graph --q8-tol (loose: 8-bit weights everywhere); the
// mixed graph --tol for head 1 (fp32) and --q8-tol for the extra heads, and its head-1 logits must
// equal model.onnx's within --mixed-tol with the same argmax on every row (head 1 is fp32 there).
// Chain steps feed tree_attention_mask in its [1, 1, 1] chain form.
//
// With --previous DIR, also runs the chain steps on DIR's graphs (an earlier export of the same
// model) and compares the two exports' logits and head_logits (fails above --previous-tol T).
//
// Usage: node recipe/check_onnx.mjs [modelDir=model] [refDir=recipe/work/ref] [--tol 1e-4] [--q8-tol 0.5]
//        [--mixed-tol 1e-5] [--previous DIR [--previous-tol 1e-5]]
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
const MIXED_TOL = opt('--mixed-tol', 1e-5);
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

/**
 * The feeds of one reference step (past: [key, value] per cache layer), and `pick(out)`: the
 * step's head_logits rows (head_logits_rows of the step, in order) out of the graph's output — the
 * whole output for a graph with head_logits_rows, the listed rows of the covering last-k rows for
 * an older graph (num_head_logits_to_keep), of all rows for a graph with neither.
 */
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
  let pick = (out) => out.head_logits;
  if (withHeads) {
    // 0 = keep all positions
    if (sess.inputNames.includes('num_logits_to_keep'))
      feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(st.numLogitsToKeep)), []);
    const rows = st.headLogitsRows ?? Array.from({ length: S }, (_, i) => i);
    if (sess.inputNames.includes('head_logits_rows')) {
      feeds.head_logits_rows = new ort.Tensor('int64', BigInt64Array.from(rows.map(BigInt)), [rows.length]);
    } else {
      if (sess.inputNames.includes('num_head_logits_to_keep'))
        feeds.num_head_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(st.numHeadLogitsToKeep)), []);
      pick = (out) => pickRows(out.head_logits, rows, S);
    }
  }
  return { feeds, pick };
}

/** Rows `rows` (node indices of S new tokens) of head_logits [1, E, K, V] holding the last K rows. */
function pickRows(t, rows, S) {
  const [, E, K, V] = t.dims.map(Number);
  const data = new Float32Array(E * rows.length * V);
  for (let e = 0; e < E; e++)
    for (const [i, r] of rows.entries()) {
      const k = r - (S - K);
      if (k < 0) throw new Error(`head_logits holds the last ${K} rows, not row ${r}`);
      data.set(t.data.subarray((e * K + k) * V, (e * K + k + 1) * V), (e * rows.length + i) * V);
    }
  return { dims: [1, E, rows.length, V], data };
}

const openSession = (file) =>
  ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });

/**
 * Runs the reference steps on `file`, checks logits against PyTorch within tol (head_logits within
 * headTol) and returns whether all passed and every step's logits (for the mixed graph's check).
 */
async function run(file, allSteps, withHeads, tol, label, headTol = tol) {
  let steps = allSteps;
  const sess = await openSession(file);
  const C = meta.layers + (withHeads ? meta.extraHeads : 0);
  const A = meta.attentionHeads;
  const D = meta.headDim;
  const past = emptyPast(C);
  const worst = { logits: 0, head_logits: 0 };
  let ok = true;
  const hasTree = sess.inputNames.includes('tree_attention_mask');
  let treeSteps = 0;
  const logits = [];
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
    const { feeds, pick } = stepFeeds(sess, st, past, withHeads);
    const out = await sess.run(feeds);
    logits.push(out.logits);
    const checks = [['logits', out.logits, st.logits, tol]];
    if (withHeads) checks.push(['head_logits', out.head_logits && pick(out), st.headLogits, headTol]);
    for (const [name, got, r, t] of checks) {
      if (!got || !sameShape(got.dims, r.shape)) {
        console.error(`${label} step ${si}: ${name} shape ${got?.dims} != ${r.shape}`);
        ok = false;
        continue;
      }
      const d = maxDiff(got.data, refArr(r));
      worst[name] = Math.max(worst[name], d);
      if (!(d <= t)) {
        console.error(`${label} step ${si} (S=${S}, P=${P}): ${name} max abs diff ${d} > ${t}`);
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
  await sess.release();
  console.log(
    `${label}: ${steps.length} steps (${treeSteps} token trees), max abs diff logits ${worst.logits.toExponential(3)}` +
      ` (tol ${tol})${withHeads ? `, head_logits ${worst.head_logits.toExponential(3)} (tol ${headTol})` : ''} ${ok ? 'OK' : 'FAIL'}`,
  );
  return { ok, logits };
}

/** The mixed graph's head 1 is fp32: its logits equal the fp32 graph's (≤ MIXED_TOL), same argmax on every row. */
function compareHead1(a, b, label) {
  let worst = 0;
  let rows = 0;
  let argmaxDiffers = 0;
  const V = meta.vocabSize;
  for (let s = 0; s < a.length; s++) {
    worst = Math.max(worst, maxDiff(a[s].data, b[s].data));
    for (let r = 0; r < a[s].data.length / V; r++, rows++) {
      const argmax = (d) => {
        let best = 0;
        for (let v = 1; v < V; v++) if (d[r * V + v] > d[r * V + best]) best = v;
        return best;
      };
      if (argmax(a[s].data) !== argmax(b[s].data)) argmaxDiffers++;
    }
  }
  const ok = worst <= MIXED_TOL && argmaxDiffers === 0;
  console.log(
    `${label} head 1 vs model.onnx: max abs diff ${worst.toExponential(3)} (tol ${MIXED_TOL}), argmax differs on ` +
      `${argmaxDiffers} of ${rows} rows ${ok ? 'OK' : 'FAIL'}`,
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
      const { feeds, pick } = stepFeeds(sess, st, pasts[j], withHeads);
      const out = await sess.run(feeds);
      for (let i = 0; i < C; i++) pasts[j][i] = [out[`present.${i}.key`], out[`present.${i}.value`]];
      outs.push({ logits: out.logits, head_logits: withHeads ? pick(out) : undefined });
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

/** The multi-head graphs to check: the manifest's model files (fp32, mixed, q8, …), or the usual names. */
function multiHeadGraphs() {
  const manifest = join(modelDir, 'dynamo.json');
  if (existsSync(manifest)) {
    const files = JSON.parse(readFileSync(manifest, 'utf8')).files ?? [];
    const graphs = files.filter((f) => f.role === 'model').map((f) => ({ variant: f.variant ?? 'fp32', rel: f.path }));
    if (graphs.length > 0) return graphs;
  }
  return [
    { variant: 'fp32', rel: 'model.onnx' },
    { variant: 'q8', rel: 'model_q8.onnx' },
  ].filter((g) => existsSync(join(modelDir, g.rel)));
}

const TOLERANCES = { fp32: [TOL, TOL], mixed: [TOL, Q8_TOL], q8: [Q8_TOL, Q8_TOL] };
let ok = true;
const graphs = multiHeadGraphs();
const results = {};
for (const { variant, rel } of graphs) {
  const [tol, headTol] = TOLERANCES[variant] ?? [Q8_TOL, Q8_TOL];
  const r = await run(join(modelDir, rel), meta.steps, true, tol, rel, headTol);
  results[variant] = r;
  ok = r.ok && ok;
}
if (results.mixed && results.fp32)
  ok = compareHead1(results.mixed.logits, results.fp32.logits, 'model_mixed.onnx') && ok;
if (existsSync(join(modelDir, 'base', 'onnx', 'model.onnx'))) {
  ok =
    (await run(join(modelDir, 'base', 'onnx', 'model.onnx'), meta.base, false, TOL, 'base/onnx/model.onnx')).ok && ok;
}
if (PREVIOUS) {
  for (const { rel } of graphs) ok = (await comparePrevious(rel, meta.steps, true, PREVIOUS_TOL, rel)) && ok;
  ok =
    (await comparePrevious(
      join('base', 'onnx', 'model.onnx'),
      meta.base,
      false,
      PREVIOUS_TOL,
      'base/onnx/model.onnx',
    )) && ok;
}
if (!ok) {
  console.error('check_onnx: FAILED');
  process.exit(1);
}
console.log('check_onnx: all OK');
