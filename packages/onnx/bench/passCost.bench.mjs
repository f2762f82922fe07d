#!/usr/bin/env node
// What one forward pass of a DynaMo model costs, by graph and chunk size: the number that bounds
// DynaMo's efficiency (speed-up / tokens per pass ≤ time of an AR pass / time of a DynaMo pass).
//
//   node packages/onnx/bench/passCost.bench.mjs [--models a,b] [--rounds N] [--reps N] [--past N]
//          [--threads N] [--out file.json]
//
// For every model folder (dynamo.json + model.onnx + base/onnx/model.onnx) it times bare
// onnxruntime-node session.run calls (CPU, --threads intra-op threads, default 1) on a cache of
// --past positions (default 60):
//   base S=1          base-only graph, one new token (an `ar` step)
//   base S=3          base-only graph, a chunk of 3
//   multi S=1         the multi-head graph, one token, head logits at the last row (a `dynamo` step
//                     after a 1-token emission)
//   multi S=3         a chunk of 3, head logits at the last row (after a 3-token emission)
//   multi S=3 all     a chunk of 3, head logits at every row (a `verified` step)
//   multi chain N all a chain of N = 4, 8, 16, 32 new tokens, every head's logits at every row
//   multi tree N all  a token tree of N nodes (binary: node i's parent is (i - 1) / 2, depth
//                     log2 N), every head at every node: one tree-verification pass (graphs with
//                     tree_attention_mask only)
//   multi tree N base the same tree, head 0 at every node and the extra heads at the last node
//                     only: what the unembedding of the extra heads' N - 1 other rows costs
// Configurations and models are interleaved round by round (--rounds, default 15, of --reps calls,
// default 40) and the per-call minimum over rounds is reported, so a shared machine's noise hits
// all alike. Prints a table, then the JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    rounds: { type: 'string', default: '15' },
    reps: { type: 'string', default: '40' },
    past: { type: 'string', default: '60' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const models = (values.models ?? join(here, '../../model-tiny/model')).split(',').filter(Boolean);
const rounds = Number(values.rounds);
const reps = Number(values.reps);
const P = Number(values.past);
const threads = Number(values.threads);

const CONFIGS = [
  { name: 'base S=1', graph: 'base', S: 1, k2: 0 },
  { name: 'base S=3', graph: 'base', S: 3, k2: 0 },
  { name: 'multi S=1', graph: 'multi', S: 1, k2: 1 },
  { name: 'multi S=3', graph: 'multi', S: 3, k2: 1 },
  { name: 'multi S=3 all', graph: 'multi', S: 3, k2: 3 },
  ...[4, 8, 16, 32].flatMap((N) => [
    { name: `multi chain ${N} all`, graph: 'multi', S: N, k1: N, k2: N },
    { name: `multi tree ${N} all`, graph: 'multi', S: N, k1: N, k2: N, tree: true },
    { name: `multi tree ${N} base`, graph: 'multi', S: N, k1: N, k2: 1, tree: true },
  ]),
];

/** Binary tree of n nodes: parents and depths. */
function binaryTree(n) {
  const parents = Array.from({ length: n }, (_, i) => (i === 0 ? -1 : Math.floor((i - 1) / 2)));
  const depth = [];
  for (const p of parents) depth.push(p < 0 ? 0 : depth[p] + 1);
  return { parents, depth };
}

/** The ancestor-or-self mask [1, n, n] of a tree. */
function treeMask(parents) {
  const n = parents.length;
  const m = new Array(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i; j >= 0; j = parents[j]) m[i * n + j] = 1;
  }
  return m;
}

const i64 = (xs, dims) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(xs, (x) => BigInt(x)),
    dims,
  );

const cases = [];
for (const dir of models) {
  const man = JSON.parse(readFileSync(join(dir, 'dynamo.json'), 'utf8'));
  const { attentionHeads: A, headDim: D } = man.architecture;
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 };
  const sessions = {
    base: await ort.InferenceSession.create(join(dir, 'base/onnx/model.onnx'), opts),
    multi: await ort.InferenceSession.create(join(dir, 'model.onnx'), opts),
  };
  for (const c of CONFIGS) {
    const sess = sessions[c.graph];
    const hasTree = sess.inputNames.includes('tree_attention_mask');
    if (c.tree && !hasTree) continue;
    const tree = c.tree ? binaryTree(c.S) : undefined;
    const feeds = {
      input_ids: i64(
        Array.from({ length: c.S }, (_, i) => 5 + i),
        [1, c.S],
      ),
      attention_mask: i64(new Array(P + c.S).fill(1), [1, P + c.S]),
      position_ids: i64(
        Array.from({ length: c.S }, (_, i) => P + (tree ? tree.depth[i] : i)),
        [1, c.S],
      ),
    };
    if (hasTree) feeds.tree_attention_mask = tree ? i64(treeMask(tree.parents), [1, c.S, c.S]) : i64([1], [1, 1, 1]);
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    for (const n of sess.inputNames) {
      if (n.startsWith('past_key_values.'))
        feeds[n] = new ort.Tensor('float32', Float32Array.from({ length: A * P * D }, rnd), [1, A, P, D]);
    }
    if (sess.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = i64([c.k1 ?? 1], []);
    if (sess.inputNames.includes('num_head_logits_to_keep')) feeds.num_head_logits_to_keep = i64([c.k2], []);
    cases.push({ model: man.name, dir, config: c.name, sess, feeds, best: Number.POSITIVE_INFINITY });
  }
}

for (const c of cases) for (let i = 0; i < 10; i++) await c.sess.run(c.feeds);
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await c.sess.run(c.feeds);
    c.best = Math.min(c.best, (performance.now() - t0) / reps);
  }
}

const rows = cases.map((c) => {
  const base = cases.find((x) => x.dir === c.dir && x.config === 'base S=1');
  return {
    model: c.model,
    dir: c.dir,
    config: c.config,
    ms: +c.best.toFixed(3),
    vsBaseS1: +(c.best / base.best).toFixed(3),
  };
});
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  onnxruntime: 'onnxruntime-node (CPU)',
  threads,
  past: P,
  rounds,
  reps,
  rows,
};
console.log('| model | pass | ms (min over rounds) | vs base S=1 |');
console.log('| --- | --- | ---: | ---: |');
for (const r of rows)
  console.log(`| ${r.model} (${r.dir}) | ${r.config} | ${r.ms.toFixed(3)} | ${r.vsBaseS1.toFixed(2)}x |`);
console.log(JSON.stringify(result, null, 2));
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
