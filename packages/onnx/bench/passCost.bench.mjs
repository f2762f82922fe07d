#!/usr/bin/env node
// What one forward pass of a DynaMo model costs, by graph variant, chunk size and the rows whose
// logits are asked for: the number that bounds DynaMo's efficiency (speed-up / tokens per pass ≤
// time of an AR pass / time of a DynaMo pass).
//
//   node packages/onnx/bench/passCost.bench.mjs [--models a,b] [--variants fp32,mixed,q8] [--rounds N]
//          [--reps N] [--past N] [--threads N] [--trees 5,9,13,17] [--out file.json]
//
// For every model folder (dynamo.json, its multi-head graphs, base/onnx/model.onnx) it times bare
// onnxruntime-node session.run calls (CPU, --threads intra-op threads, default 1) on a cache of
// --past positions (default 60). Configurations (every one relative to `base S=1`):
//   base S=1            the base-only graph, one new token: an `ar` step (the reference)
//   base S=3            the base-only graph, a chunk of 3
//   base S=4            the base-only graph, a chunk of 4 (a `dynamo` pass after a 4-token chain)
//   draft step          the model's draft head (draft_head.onnx, when it ships one): one drafted token
// and, for each multi-head graph variant the manifest lists (fp32 model.onnx, mixed
// model_mixed.onnx, q8 model_q8.onnx; --variants picks):
//   V multi S=1         one token, every head's logits at it (a `dynamo` step after 1 token)
//   V multi S=3         a chunk of 3, head 1 at the last row, the extra heads at the last row
//                       (a `dynamo` step after a 3-token emission)
//   V multi S=3 all     a chunk of 3, every head at every row (a `verified` chain step)
//   V tree N all        a token tree of N nodes (binary: node i's parent is (i - 1) / 2), head 1 at
//                       every node, the extra heads at every node (generate's tree verification today)
//   V tree N rows=3     the same, the extra heads at 3 listed nodes (head_logits_rows)
//   V tree N rows=1     the same, the extra heads at 1 listed node: the accepted node only
//   V tree N rows=0     the same, no extra-head logits (the floor of a tree pass on this graph)
// Graphs without head_logits_rows (older exports) get the smallest num_head_logits_to_keep that
// covers the rows (marked "(last k)"); tree configurations need tree_attention_mask.
//
// Next to each time it prints the pass's arithmetic (MFLOP: the MatMuls, attention over P + S
// positions and the unembedding rows, 2 FLOPs per multiply-add) and the bytes it must read (MB:
// every weight matrix once, fp32 4 bytes per weight, 8-bit ~1.16 (with the block scales and zero
// points), plus the KV cache), each also as a multiple of the base pass's, so one can see which
// of the two a pass's time follows on this CPU: the physical floor of a pass is max(FLOP / peak
// FLOP/s, bytes / memory bandwidth) plus the runtime's per-operator overhead.
//
// Configurations and models are interleaved round by round (--rounds, default 15, of --reps calls,
// default 40) and the per-call minimum over rounds is reported, so a shared machine's noise hits
// all alike. Two clocks: wall time, and the process's CPU time (process.cpuUsage: user + system,
// every thread) per call — with one intra-op thread a pass runs on one core, so its CPU time is
// what the pass costs even while other jobs share the cores (they stretch the wall time, not the
// CPU time; memory-bandwidth and cache contention still show in both). Prints a table, then the JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    variants: { type: 'string', default: 'fp32,mixed,q8' },
    rounds: { type: 'string', default: '15' },
    reps: { type: 'string', default: '40' },
    past: { type: 'string', default: '60' },
    threads: { type: 'string', default: '1' },
    trees: { type: 'string', default: '5,9,13,17' },
    out: { type: 'string' },
  },
});
const models = (values.models ?? join(here, '../../model-tiny/model')).split(',').filter(Boolean);
const wantVariants = values.variants.split(',').filter(Boolean);
const rounds = Number(values.rounds);
const reps = Number(values.reps);
const P = Number(values.past);
const threads = Number(values.threads);
const treeSizes = values.trees.split(',').filter(Boolean).map(Number);

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

const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);

/** The configurations of one multi-head variant: S new tokens, head-1 rows k1, extra-head rows. */
function multiConfigs(v) {
  return [
    { name: `${v} multi S=1`, S: 1, k1: 1, rows: [0] },
    { name: `${v} multi S=3`, S: 3, k1: 1, rows: [2] },
    { name: `${v} multi S=3 all`, S: 3, k1: 3, rows: [0, 1, 2] },
    ...treeSizes.flatMap((N) => [
      { name: `${v} tree ${N} all`, S: N, k1: N, rows: range(0, N), tree: true },
      { name: `${v} tree ${N} rows=3`, S: N, k1: N, rows: range(N - 3, N), tree: true },
      { name: `${v} tree ${N} rows=1`, S: N, k1: N, rows: [N - 1], tree: true },
      { name: `${v} tree ${N} rows=0`, S: N, k1: N, rows: [], tree: true },
    ]),
  ];
}

/**
 * Arithmetic and bytes of one pass. a: the manifest's architecture; precision: which weights are
 * 8-bit ('fp32' none, 'mixed' the extra heads' layers — every kept row goes through the fp32 output
 * embedding, as export.py writes it by default —, 'q8' every MatMul weight).
 */
function passCost(a, V, E, precision, S, k1, R) {
  const d = a.hiddenSize;
  const I = a.intermediateSize ?? 4 * d;
  const L = a.layers;
  const T = P + S; // keys each new token attends over (at most; a tree node sees fewer)
  const layerW = d * (3 * d + I) + (d + I) * d; // input + down projections
  const fp = 4;
  const q8 = 1 + 5 / 32; // 8-bit weight + per-32-block fp32 scale and uint8 zero point
  const stemBytes = precision === 'q8' ? q8 : fp;
  const headBytes = precision === 'fp32' ? fp : q8;
  const layers = L + E;
  const macs = S * layers * layerW + layers * S * 2 * T * d + (k1 + E * R) * d * V;
  const bytes =
    L * layerW * stemBytes +
    E * layerW * headBytes +
    d * V * stemBytes + // the output embedding, read once for every kept row
    layers * 2 * T * d * fp + // the KV cache, read
    S * d * fp; // the input embedding rows
  return { mflop: (2 * macs) / 1e6, mb: bytes / 1e6 };
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
  const a = man.architecture;
  const { attentionHeads: A, headDim: D } = a;
  const E = man.heads - 1;
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 };
  const graphs = [{ variant: 'base', file: join(dir, 'base/onnx/model.onnx') }];
  for (const f of man.files) {
    const variant = f.variant ?? 'fp32';
    if (f.role === 'model' && wantVariants.includes(variant)) graphs.push({ variant, file: join(dir, f.path) });
  }
  for (const { variant, file } of graphs) {
    const sess = await ort.InferenceSession.create(file, opts);
    const hasTree = sess.inputNames.includes('tree_attention_mask');
    const hasRows = sess.inputNames.includes('head_logits_rows');
    const configs =
      variant === 'base'
        ? [
            { name: 'base S=1', S: 1, k1: 1, rows: [] },
            { name: 'base S=3', S: 3, k1: 3, rows: [] },
            { name: 'base S=4', S: 4, k1: 4, rows: [] },
          ]
        : multiConfigs(variant);
    for (const c of configs) {
      if (c.tree && !hasTree) continue;
      const tree = c.tree ? binaryTree(c.S) : undefined;
      const feeds = {
        input_ids: i64(
          range(0, c.S).map((i) => 5 + i),
          [1, c.S],
        ),
        attention_mask: i64(new Array(P + c.S).fill(1), [1, P + c.S]),
        position_ids: i64(
          range(0, c.S).map((i) => P + (tree ? tree.depth[i] : i)),
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
      if (sess.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = i64([c.k1], []);
      // the extra heads' rows: the list, or the smallest last-k covering it on older graphs
      let R = c.rows.length;
      let note = '';
      if (hasRows) feeds.head_logits_rows = i64(c.rows, [c.rows.length]);
      else if (sess.inputNames.includes('num_head_logits_to_keep')) {
        const k = c.rows.length === 0 ? 1 : c.S - c.rows[0];
        feeds.num_head_logits_to_keep = i64([k], []);
        if (k !== R) note = ` (last ${k})`;
        R = k;
      } else if (variant !== 'base') R = c.S;
      const precision = variant === 'base' ? 'fp32' : variant;
      const cost = passCost(a, man.vocabSize, variant === 'base' ? 0 : E, precision, c.S, c.k1, R);
      cases.push({
        model: man.name,
        dir,
        config: c.name + note,
        sess,
        feeds,
        best: Number.POSITIVE_INFINITY,
        bestCpu: Number.POSITIVE_INFINITY,
        ...cost,
      });
    }
  }
}

// the draft head: one step (hidden state + token → logits + next hidden state)
for (const dir of models) {
  const man = JSON.parse(readFileSync(join(dir, 'dynamo.json'), 'utf8'));
  const f = man.files.find((x) => x.role === 'draft-head');
  if (!f) continue;
  const d = man.architecture.hiddenSize;
  const I = man.architecture.intermediateSize ?? 4 * d;
  const externalData = (f.externalData ?? []).map((x) => ({ path: x.path, data: readFileSync(join(dir, x.path)) }));
  const sess = await ort.InferenceSession.create(readFileSync(join(dir, f.path)), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    externalData,
  });
  const blocks = man.provenance?.draftHead?.architecture?.blocks ?? 2;
  const macs = 2 * d * d + blocks * 2 * d * I + d * man.vocabSize;
  cases.push({
    model: man.name,
    dir,
    config: 'draft step',
    sess,
    feeds: {
      hidden_states: new ort.Tensor(
        'float32',
        Float32Array.from({ length: d }, (_, i) => Math.sin(i)),
        [1, d],
      ),
      input_ids: i64([17], [1]),
    },
    best: Number.POSITIVE_INFINITY,
    bestCpu: Number.POSITIVE_INFINITY,
    mflop: (2 * macs) / 1e6,
    mb: (4 * macs + 4 * d) / 1e6,
  });
}

const loadBefore = loadavg();
for (const c of cases) for (let i = 0; i < 10; i++) await c.sess.run(c.feeds);
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await c.sess.run(c.feeds);
    const wall = (performance.now() - t0) / reps;
    const cpu = process.cpuUsage(cpu0);
    c.best = Math.min(c.best, wall);
    c.bestCpu = Math.min(c.bestCpu, (cpu.user + cpu.system) / 1000 / reps);
  }
}
const loadAfter = loadavg();

const rows = cases.map((c) => {
  const base = cases.find((x) => x.dir === c.dir && x.config === 'base S=1');
  return {
    model: c.model,
    dir: c.dir,
    config: c.config,
    ms: +c.best.toFixed(4),
    vsBaseS1: +(c.best / base.best).toFixed(3),
    cpuMs: +c.bestCpu.toFixed(4),
    cpuVsBaseS1: +(c.bestCpu / base.bestCpu).toFixed(3),
    mflop: +c.mflop.toFixed(2),
    flopVsBase: +(c.mflop / base.mflop).toFixed(2),
    mb: +c.mb.toFixed(2),
    bytesVsBase: +(c.mb / base.mb).toFixed(2),
  };
});
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  loadavg: { before: loadBefore, after: loadAfter },
  onnxruntime: 'onnxruntime-node (CPU)',
  threads,
  past: P,
  rounds,
  reps,
  rows,
};
console.log(
  `load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after`,
);
console.log(
  '| model | pass | wall ms (min over rounds) | vs base S=1 | CPU ms | vs base S=1 | MFLOP | ×base | MB read | ×base |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.model} | ${r.config} | ${r.ms.toFixed(3)} | ${r.vsBaseS1.toFixed(2)}x | ${r.cpuMs.toFixed(3)} | ` +
      `${r.cpuVsBaseS1.toFixed(2)}x | ${r.mflop.toFixed(1)} | ${r.flopVsBase.toFixed(2)} | ${r.mb.toFixed(1)} | ` +
      `${r.bytesVsBase.toFixed(2)} |`,
  );
console.log(JSON.stringify(result, null, 2));
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
