#!/usr/bin/env node
// GPU kit, step "pass cost by S": what one forward pass of the model costs on an execution
// provider (webgpu or cpu), by the number S of new tokens it takes — the curve that decides how far
// multi-token decoding (DynaMo heads, verified chains and trees) can pay off on a device. Bare
// onnxruntime-node session.run calls, no dynamo code in the loop.
//
//   node passcost.mjs --model DIR --ep webgpu|cpu [--threads N] [--past 60] [--rounds 5] [--reps 20]
//        [--base-s 1,2,4,...] [--trees 8,16,...] [--budget-s 90] [--out file.json]
//        [--ref-logits file.json]   (also: base-graph logits for a fixed prompt, for the PyTorch check;
//        [--ref-assistant DIR]       with the same for DIR/onnx/model.onnx, the assistant model)
//
// Configurations, each relative to `base S=1` (an `ar` step) in the same run:
//   base S=k          the base-only graph (base/onnx/model.onnx), k new tokens, every row's logits
//   multi S=1         the multi-head graph (model.onnx), one token, every head at it (a `dynamo` step)
//   multi S=3 all     a chunk of 3, every head at every row (a `verified` chain step)
//   multi tree N      a token tree of N nodes (binary), head 1 at every node, the extra heads at 3 nodes
//   draft step        the draft head (draft_head.onnx): one drafted token
// The KV cache (--past positions) is made by a prefill pass of the same session and fed back as
// that session's own outputs, so on webgpu it stays in GPU buffers (as dynamo's cache does) and
// only the logits come back to the CPU. Configurations are interleaved round by round and the
// per-call minimum over rounds is kept; --budget-s stops adding rounds when the time is spent.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    ep: { type: 'string', default: 'webgpu' },
    threads: { type: 'string' },
    past: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '5' },
    reps: { type: 'string', default: '20' },
    'base-s': { type: 'string', default: '1,2,3,4,6,8,12,16,24,32,48,64' },
    trees: { type: 'string', default: '8,16,24,32,48,64' },
    'budget-s': { type: 'string', default: '90' },
    out: { type: 'string' },
    'ref-logits': { type: 'string' },
    'ref-assistant': { type: 'string' },
  },
});
if (!values.model) {
  console.error('usage: node passcost.mjs --model DIR --ep webgpu|cpu [...]');
  process.exit(2);
}
const dir = values.model;
const ep = values.ep;
const P = Number(values.past);
const rounds = Number(values.rounds);
const reps = Number(values.reps);
const budgetMs = Number(values['budget-s']) * 1000;
const nums = (s) => s.split(',').filter(Boolean).map(Number);
const baseS = nums(values['base-s']);
const trees = nums(values.trees);
const t00 = performance.now();

const man = JSON.parse(readFileSync(join(dir, 'dynamo.json'), 'utf8'));
const { attentionHeads: A, headDim: D } = man.architecture;
const sessionOptions = () => {
  const o = { executionProviders: [ep], graphOptimizationLevel: 'all' };
  if (ep === 'cpu') {
    o.intraOpNumThreads = Number(values.threads ?? 1);
    o.interOpNumThreads = 1;
  }
  return o;
};
const externalData = (f) =>
  (f.externalData ?? []).map((x) => ({ path: x.path, data: readFileSync(join(dir, x.path)) }));
const i64 = (xs, dims) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(xs, (x) => BigInt(x)),
    dims,
  );
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);

async function open(path, extra = {}) {
  const sessOpts = { ...sessionOptions(), ...extra };
  const sess = await ort.InferenceSession.create(readFileSync(join(dir, path)), sessOpts);
  const cacheOut = sess.outputNames.filter((n) => n.startsWith('present.'));
  return { sess, cacheOut };
}

/** Session whose present.* outputs stay on the device (webgpu) and logits come back to the CPU. */
async function openGraph(path, f) {
  const probe = await ort.InferenceSession.create(readFileSync(join(dir, path)), {
    ...sessionOptions(),
    ...(f && { externalData: externalData(f) }),
  });
  const outs = probe.outputNames;
  await probe.release();
  const where = {};
  for (const n of outs) where[n] = ep === 'webgpu' && n.startsWith('present.') ? 'gpu-buffer' : 'cpu';
  return open(path, { preferredOutputLocation: where, ...(f && { externalData: externalData(f) }) });
}

/** Binary tree of n nodes: parents, depths, ancestor-or-self mask. */
function binaryTree(n) {
  const parents = range(0, n).map((i) => (i === 0 ? -1 : Math.floor((i - 1) / 2)));
  const depth = [];
  for (const p of parents) depth.push(p < 0 ? 0 : depth[p] + 1);
  const m = new Array(n * n).fill(0);
  for (let i = 0; i < n; i++) for (let j = i; j >= 0; j = parents[j]) m[i * n + j] = 1;
  return { depth, mask: m };
}

/** Feeds of one pass of S new tokens after `past` cached positions (past tensors given). */
function feedsFor(sess, S, pastLen, pastFeeds, { tree, k1, rows } = {}) {
  const f = {
    input_ids: i64(
      range(0, S).map((i) => 5 + ((i * 37) % 400)),
      [1, S],
    ),
    attention_mask: i64(new Array(pastLen + S).fill(1), [1, pastLen + S]),
    position_ids: i64(
      range(0, S).map((i) => pastLen + (tree ? tree.depth[i] : i)),
      [1, S],
    ),
    ...pastFeeds,
  };
  const names = sess.inputNames;
  if (names.includes('tree_attention_mask'))
    f.tree_attention_mask = tree ? i64(tree.mask, [1, S, S]) : i64([1], [1, 1, 1]);
  if (names.includes('num_logits_to_keep')) f.num_logits_to_keep = i64([k1 ?? S], []);
  if (names.includes('head_logits_rows')) f.head_logits_rows = i64(rows ?? [S - 1], [(rows ?? [S - 1]).length]);
  else if (names.includes('num_head_logits_to_keep')) f.num_head_logits_to_keep = i64([rows ? S - rows[0] : 1], []);
  return f;
}

/** A cache of P positions made by the session itself (outputs fed back as inputs). */
async function prefill(g) {
  const empty = {};
  for (const n of g.sess.inputNames) {
    if (n.startsWith('past_key_values.')) empty[n] = new ort.Tensor('float32', new Float32Array(0), [1, A, 0, D]);
  }
  const out = await g.sess.run(feedsFor(g.sess, P, 0, empty, { k1: 1, rows: [P - 1] }));
  const past = {};
  for (const n of g.cacheOut) past[n.replace('present.', 'past_key_values.')] = out[n];
  for (const [n, t] of Object.entries(out)) if (!n.startsWith('present.')) t.dispose?.();
  return past;
}

const cases = [];
const result = {
  date: new Date().toISOString(),
  node: process.version,
  ep,
  threads: ep === 'cpu' ? Number(values.threads ?? 1) : null,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  model: man.name,
  past: P,
  rows: [],
  notes: [],
};

const baseFile = man.files.find((f) => f.role === 'base-model');
const multiFile = man.files.find((f) => f.role === 'model' && (f.variant ?? 'fp32') === 'fp32');
const headFile = man.files.find((f) => f.role === 'draft-head');

if (baseFile) {
  const g = await openGraph(baseFile.path, baseFile);
  const past = await prefill(g);
  for (const S of baseS) cases.push({ config: `base S=${S}`, kind: 'base', S, g, feeds: feedsFor(g.sess, S, P, past) });
  if (values['ref-logits']) {
    // base-graph logits of a fixed sequence (no cache) for the PyTorch peer's weight check
    const ids = range(0, 12).map((i) => 3 + ((i * 131) % 4000));
    const empty = {};
    for (const n of g.sess.inputNames) {
      if (n.startsWith('past_key_values.')) empty[n] = new ort.Tensor('float32', new Float32Array(0), [1, A, 0, D]);
    }
    const feeds = feedsFor(g.sess, ids.length, 0, empty);
    feeds.input_ids = i64(ids, [1, ids.length]);
    const out = await g.sess.run(feeds);
    const V = out.logits.dims.at(-1);
    const data = out.logits.data;
    const last = Array.from(data.subarray(data.length - V));
    const first = Array.from(data.subarray(0, V));
    const ref = { ep, ids, vocab: V, first, last };
    if (values['ref-assistant']) {
      // a hub-layout assistant (config.json + onnx/model.onnx): same inputs, its own cache shape
      const cfg = JSON.parse(readFileSync(join(values['ref-assistant'], 'config.json'), 'utf8'));
      const s = await ort.InferenceSession.create(
        join(values['ref-assistant'], 'onnx', 'model.onnx'),
        sessionOptions(),
      );
      const Aa = cfg.num_attention_heads;
      const Da = cfg.hidden_size / Aa;
      const f = {
        input_ids: i64(ids, [1, ids.length]),
        attention_mask: i64(new Array(ids.length).fill(1), [1, ids.length]),
        position_ids: i64(range(0, ids.length), [1, ids.length]),
      };
      for (const n of s.inputNames) {
        if (n.startsWith('past_key_values.')) f[n] = new ort.Tensor('float32', new Float32Array(0), [1, Aa, 0, Da]);
      }
      const o = await s.run(f);
      const d2 = o.logits.data;
      ref.assistant = { first: Array.from(d2.subarray(0, V)), last: Array.from(d2.subarray(d2.length - V)) };
      await s.release();
    }
    writeFileSync(values['ref-logits'], JSON.stringify(ref));
  }
}
if (multiFile) {
  const g = await openGraph(multiFile.path, multiFile);
  const past = await prefill(g);
  cases.push({
    config: 'multi S=1',
    kind: 'multi',
    S: 1,
    g,
    feeds: feedsFor(g.sess, 1, P, past, { k1: 1, rows: [0] }),
  });
  cases.push({
    config: 'multi S=3 all',
    kind: 'multi',
    S: 3,
    g,
    feeds: feedsFor(g.sess, 3, P, past, { k1: 3, rows: [0, 1, 2] }),
  });
  if (g.sess.inputNames.includes('tree_attention_mask')) {
    for (const N of trees) {
      cases.push({
        config: `multi tree ${N}`,
        kind: 'tree',
        S: N,
        g,
        feeds: feedsFor(g.sess, N, P, past, { tree: binaryTree(N), k1: N, rows: range(N - 3, N) }),
      });
    }
  } else result.notes.push('model.onnx has no tree_attention_mask: no tree rows');
}
if (headFile) {
  const g = await open(headFile.path, { externalData: externalData(headFile) });
  const d = man.architecture.hiddenSize;
  cases.push({
    config: 'draft step',
    kind: 'draft',
    S: 1,
    g,
    feeds: {
      hidden_states: new ort.Tensor(
        'float32',
        Float32Array.from({ length: d }, (_, i) => Math.sin(i)),
        [1, d],
      ),
      input_ids: i64([17], [1]),
    },
  });
}

async function call(c) {
  const out = await c.g.sess.run(c.feeds);
  for (const t of Object.values(out)) t.dispose?.();
}

for (const c of cases) {
  c.best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 2; i++) await call(c); // warm-up (shader compilation on webgpu)
}
const warmMs = performance.now() - t00;
/** The rows so far, written after every round: a step killed at its timeout keeps what it measured. */
function save(done) {
  const ref = cases.find((c) => c.config === 'base S=1') ?? cases[0];
  result.rounds = done;
  result.reps = reps;
  result.setupMs = Math.round(warmMs);
  result.rows = cases.map((c) => ({
    config: c.config,
    kind: c.kind,
    S: c.S,
    ms: +c.best.toFixed(4),
    vsBaseS1: +(c.best / ref.best).toFixed(3),
    msPerToken: +(c.best / c.S).toFixed(4),
  }));
  result.wallS = +((performance.now() - t00) / 1000).toFixed(1);
  if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
}
for (let r = 0; r < rounds; r++) {
  if (r > 0 && performance.now() - t00 > budgetMs) {
    result.notes.push(`stopped after ${r} of ${rounds} rounds: --budget-s ${values['budget-s']} spent`);
    break;
  }
  for (const c of cases) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await call(c);
    c.best = Math.min(c.best, (performance.now() - t0) / reps);
  }
  save(r + 1);
}
console.log(`| pass (${ep}, past ${P}) | ms | vs base S=1 | ms / token |`);
console.log('| --- | ---: | ---: | ---: |');
for (const r of result.rows)
  console.log(`| ${r.config} | ${r.ms.toFixed(3)} | ${r.vsBaseS1.toFixed(2)}x | ${r.msPerToken.toFixed(3)} |`);
for (const c of new Set(cases.map((x) => x.g))) await c.sess.release();
