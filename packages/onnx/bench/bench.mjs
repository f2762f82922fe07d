#!/usr/bin/env node
// Benchmark of @dynamojs/onnx against a bare session.run loop on the same session, model and inputs.
//
//   npm run build -w @dynamojs/onnx && node packages/onnx/bench/bench.mjs [options]
//
// options:
//   --models a,b     model folders (default: the test fixture, packages/model-tiny/model if present,
//                    and /tmp/dynamo-bench/* written by test/fixtures/make_tiny.py presets)
//   --runtimes r,s   node-cpu, web-wasm (default both); also node-webgpu (cache kept in GPU buffers)
//                    and node-webgpu-hostcache (keepCacheOnDevice: false), which need a Vulkan
//                    adapter (no GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)
//   --steps N        decode steps per round (default: 64, or 24 for models over 100 MB)
//   --rounds N       interleaved adapter/bare rounds (default 21), after --warmup N (default 4)
//   --threads N      intraOpNumThreads (node-cpu) and wasm numThreads (web-wasm); default 1, so that
//                    both runtimes run alike and a shared machine's load disturbs less (0 = runtime default)
//   --out file.json  also write the JSON there
//
// Prints a table, then the JSON. Per-step numbers are medians over rounds; each round starts from
// the same 32-token prefill, and adapter and bare rounds alternate (ABBA) so machine noise hits both.
// The bare loop runs on the adapter's own session (same threads, same memory arena).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { folderSource, loadModel as loadNode } from '../dist/node.js';
import { loadModel as loadWeb } from '../dist/web.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    runtimes: { type: 'string', default: 'node-cpu,web-wasm' },
    steps: { type: 'string' },
    rounds: { type: 'string', default: '21' },
    warmup: { type: 'string', default: '4' },
    out: { type: 'string' },
    threads: { type: 'string', default: '1' },
  },
});

function defaultModels() {
  const list = [join(here, '../test/fixtures/tiny')];
  const tiny = join(here, '../../model-tiny/model');
  if (existsSync(join(tiny, 'dynamo.json'))) list.push(tiny);
  const extra = '/tmp/dynamo-bench';
  if (existsSync(extra))
    for (const d of readdirSync(extra).sort()) if (existsSync(join(extra, d, 'dynamo.json'))) list.push(join(extra, d));
  return list;
}

const models = values.models ? values.models.split(',') : defaultModels();
const runtimes = values.runtimes.split(',');
const rounds = Number(values.rounds);
const PROMPT = 32;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = () => performance.now();
const rss = () => process.memoryUsage().rss;

const threads = Number(values.threads);
async function load(runtime, dir) {
  if (runtime === 'node-cpu') {
    return loadNode(dir, { device: 'cpu', ...(threads > 0 && { sessionOptions: { intraOpNumThreads: threads } }) });
  }
  if (runtime === 'node-webgpu' || runtime === 'node-webgpu-hostcache') {
    return loadNode(dir, { device: 'webgpu', keepCacheOnDevice: runtime === 'node-webgpu' });
  }
  if (runtime === 'web-wasm') {
    return loadWeb(folderSource(dir), { device: 'wasm', ...(threads > 0 && { wasm: { numThreads: threads } }) });
  }
  throw new Error(`unknown runtime ${runtime}`);
}

/** The loop anyone would write against the session directly: feeds in, presents back as pasts. */
function bareLoop(model) {
  const { session, graph, manifest } = model;
  const Tensor = runtimeTensor();
  const ones = new BigInt64Array(manifest.contextLength).fill(1n);
  const one = new Tensor('int64', BigInt64Array.of(1n), []);
  // a graph with tree_attention_mask takes it on every run: [1, 1, 1] holding 1 is a chain
  const chainMask = new Tensor('int64', BigInt64Array.of(1n), [1, 1, 1]);
  // the extra heads at the last new position (head_logits_rows, graphs that have it)
  const row0 = new Tensor('int64', BigInt64Array.of(0n), [1]);
  const emptyData = () => new Float32Array(0);
  return {
    async prefill(ids) {
      const feeds = {
        input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
        attention_mask: new Tensor('int64', ones.subarray(0, ids.length), [1, ids.length]),
        position_ids: new Tensor(
          'int64',
          BigInt64Array.from(ids, (_, i) => BigInt(i)),
          [1, ids.length],
        ),
      };
      if (graph.hasLogitsToKeep) feeds.num_logits_to_keep = one;
      if (graph.hasHeadLogitsToKeep) feeds.num_head_logits_to_keep = one;
      if (graph.hasHeadLogitsRows)
        feeds.head_logits_rows = new Tensor('int64', BigInt64Array.of(BigInt(ids.length - 1)), [1]);
      if (graph.hasTreeAttention) feeds.tree_attention_mask = chainMask;
      for (const n of graph.pastNames)
        feeds[n] = new Tensor('float32', emptyData(), [1, graph.kvHeads, 0, graph.headDim]);
      const out = await session.run(feeds);
      return { out, length: ids.length };
    },
    async step(state, token) {
      const P = state.length;
      const feeds = {
        input_ids: new Tensor('int64', BigInt64Array.of(BigInt(token)), [1, 1]),
        attention_mask: new Tensor('int64', ones.subarray(0, P + 1), [1, P + 1]),
        position_ids: new Tensor('int64', BigInt64Array.of(BigInt(P)), [1, 1]),
      };
      if (graph.hasLogitsToKeep) feeds.num_logits_to_keep = one;
      if (graph.hasHeadLogitsToKeep) feeds.num_head_logits_to_keep = one;
      if (graph.hasHeadLogitsRows) feeds.head_logits_rows = row0;
      if (graph.hasTreeAttention) feeds.tree_attention_mask = chainMask;
      for (let i = 0; i < graph.pastNames.length; i++) feeds[graph.pastNames[i]] = state.out[graph.presentNames[i]];
      const out = await session.run(feeds);
      return { out, length: P + 1, logits: out.logits.data };
    },
  };
}

let tensorCtor;
function runtimeTensor() {
  return tensorCtor;
}

async function benchOne(runtime, dir) {
  const model = await load(runtime, dir);
  tensorCtor =
    runtime === 'node-cpu'
      ? (await import('onnxruntime-node')).default.Tensor
      : (await import('onnxruntime-web')).Tensor;
  const bytes = statSync(model.file).size;
  const steps = Number(values.steps ?? (bytes > 100e6 ? 24 : 64));
  const V = model.metadata.vocabSize;
  const ctx = model.metadata.contextLength;
  const ids = Array.from({ length: PROMPT + steps }, (_, i) => 1 + ((i * 7919) % (V - 1)));
  const bare = bareLoop(model);

  // Time inside session.run, so that each step splits into "runtime" and "JS around it": that
  // split is measured within the same step, so it holds up on a noisy shared machine where the
  // step-time ratio alone swings by ±10 %.
  const session = model.session;
  const realRun = session.run.bind(session);
  let inRun = 0;
  session.run = async (...args) => {
    const t0 = now();
    try {
      return await realRun(...args);
    } finally {
      inRun += now() - t0;
    }
  };
  const jsA = [];
  const jsB = [];
  const runA = [];
  const runB = [];

  const runAdapter = async () => {
    const cache = model.createCache();
    await model.forward(ids.slice(0, PROMPT), cache);
    inRun = 0;
    const t0 = now();
    for (let s = 0; s < steps; s++) {
      const r = await model.forward([ids[PROMPT + s]], cache);
      for (let h = 0; h < r.heads; h++) r.logits(h);
    }
    const dt = (now() - t0) / steps;
    jsA.push(dt - inRun / steps);
    runA.push(inRun / steps);
    cache.dispose();
    return dt;
  };
  const runBare = async () => {
    let state = await bare.prefill(ids.slice(0, PROMPT));
    inRun = 0;
    const t0 = now();
    for (let s = 0; s < steps; s++) state = await bare.step(state, ids[PROMPT + s]);
    const dt = (now() - t0) / steps;
    jsB.push(dt - inRun / steps);
    runB.push(inRun / steps);
    return dt;
  };
  for (let w = 0; w < Number(values.warmup); w++) {
    await runAdapter();
    await runBare();
  }
  jsA.length = 0;
  jsB.length = 0;
  runA.length = 0;
  runB.length = 0;
  const a = [];
  const b = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      a.push(await runAdapter());
      b.push(await runBare());
    } else {
      b.push(await runBare());
      a.push(await runAdapter());
    }
  }

  // trim: the cost of a rollback — the lazy slice of every cache tensor that the next pass does
  // (cache.pastTensors() runs it), timed directly
  const trimCost = [];
  {
    const cache = model.createCache();
    await model.forward(ids.slice(0, PROMPT + 8), cache);
    for (let r = 0; r < rounds; r++) {
      cache.trim(cache.length - 4);
      const t0 = now();
      await cache.pastTensors();
      trimCost.push(now() - t0);
      await model.forward(ids.slice(0, 4), cache);
    }
    cache.dispose();
  }

  // prefill: one 128-token chunk (or the context, if smaller) into an empty cache
  const n = Math.min(128, ctx);
  const pre = [];
  for (let r = 0; r < Math.max(3, Math.ceil(rounds / 2)); r++) {
    const cache = model.createCache();
    const t0 = now();
    await model.forward(ids.concat(ids).slice(0, n), cache);
    pre.push((now() - t0) / n);
    cache.dispose();
  }

  // memory: fill a cache to min(1000, context) tokens; bytes held, and RSS growth
  const fill = Math.min(1000, ctx);
  const cache = model.createCache();
  globalThis.gc?.();
  const r0 = rss();
  for (let t = 0; t < fill; t += 100) {
    const chunk = Array.from({ length: Math.min(100, fill - t) }, (_, i) => 1 + ((t + i) % (V - 1)));
    await model.forward(chunk, cache);
  }
  globalThis.gc?.();
  const r1 = rss();
  const heldPer1000 = (cache.byteLength / cache.length) * 1000;
  cache.dispose();
  await model.dispose();

  const adapterMs = median(a);
  const bareMs = median(b);
  return {
    runtime,
    model: model.manifest.name,
    dir,
    modelBytes: bytes,
    heads: model.metadata.heads,
    cacheLayers: model.graph.cacheLayers,
    steps,
    rounds,
    stepMsAdapter: +adapterMs.toFixed(4),
    stepMsBare: +bareMs.toFixed(4),
    overheadRatio: +(adapterMs / bareMs).toFixed(4),
    /** JS time per step outside session.run (µs): the adapter's vs the bare loop's. */
    jsUsAdapter: +(median(jsA) * 1000).toFixed(1),
    jsUsBare: +(median(jsB) * 1000).toFixed(1),
    /** Time inside session.run per step (ms), adapter rounds vs bare rounds: should be equal. */
    runMsAdapter: +median(runA).toFixed(4),
    runMsBare: +median(runB).toFixed(4),
    /** (run + adapter JS) / (run + bare JS): the overhead ratio from the in-step split. */
    splitRatio: +((median(runA) + median(jsA)) / (median(runA) + median(jsB))).toFixed(4),
    /** Median over rounds of (adapter round / the bare round next to it): less sensitive to drift. */
    pairedRatio: +median(a.map((x, i) => x / b[i])).toFixed(4),
    /** Time to slice every cache tensor after a trim (done once, by the next pass), median, at ~40 tokens. */
    trimMs: +median(trimCost).toFixed(4),
    prefillTokens: n,
    prefillMsPerToken: +median(pre).toFixed(4),
    cacheBytesPer1000Tokens: Math.round(heldPer1000),
    rssGrowthPer1000TokensBytes: Math.round(((r1 - r0) / fill) * 1000),
    rssNote: fill < 1000 ? `filled to the context length (${fill}) and scaled` : undefined,
  };
}

const results = [];
for (const dir of models) {
  for (const runtime of runtimes) {
    process.stderr.write(`bench ${runtime} ${dir} …\n`);
    results.push(await benchOne(runtime, dir));
  }
}

const mb = (x) => (x / 2 ** 20).toFixed(2);
const rows = [
  [
    'runtime',
    'model',
    'step ms (adapter)',
    'step ms (bare)',
    'ratio',
    'paired ratio',
    'JS µs/step (adapter / bare)',
    'split ratio',
    'trim ms',
    'prefill ms/token',
    'cache MB/1k tok',
    'RSS MB/1k tok',
  ],
  ...results.map((r) => [
    r.runtime,
    r.model,
    r.stepMsAdapter.toFixed(3),
    r.stepMsBare.toFixed(3),
    r.overheadRatio.toFixed(3),
    r.pairedRatio.toFixed(3),
    `${r.jsUsAdapter.toFixed(0)} / ${r.jsUsBare.toFixed(0)}`,
    r.splitRatio.toFixed(3),
    r.trimMs.toFixed(3),
    r.prefillMsPerToken.toFixed(3),
    mb(r.cacheBytesPer1000Tokens),
    mb(r.rssGrowthPer1000TokensBytes),
  ]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log([line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n'));
const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  settings: {
    'node-cpu': 'onnxruntime-node 1.30, default threads',
    'web-wasm': 'onnxruntime-web 1.30 in Node, numThreads 1',
  },
  results,
};
console.log(JSON.stringify(report, null, 2));
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
