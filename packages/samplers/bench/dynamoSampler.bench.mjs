#!/usr/bin/env node
/**
 * Per-step cost of the DynaMo sampler: T3 (3 heads), k = 50, tables built with a 50k vocabulary
 * (GPT-2 BPE on the Brown corpus, default builder options). Goal: median ≤ 0.2 ms per step in
 * Node, no allocation per step in the hot path.
 *
 * Logits: "realistic" rows favour frequent tokens (0.6·log unigram count), put the true next
 * tokens of a Brown position near the top (a random boost: from unsure to confident) and boost the previous token's corpus continuations (so the
 * heads' top-k overlap the tables as a language model's do: the expensive case for the walk);
 * "random" rows are Gaussian noise.
 *
 * Run (repo root):
 *   npm run build -w @dynamojs/samplers && node packages/samplers/bench/ngramTables.bench.mjs >/dev/null
 *   node --expose-gc --max-semi-space-size=64 packages/samplers/bench/dynamoSampler.bench.mjs
 * Options: --steps=N (timed steps per config, default 3000), --json (JSON only).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { createRng } from '@dynamojs/core';
import {
  buildCoOccurrenceTablesSync,
  dynamo,
  dynamoAblation,
  loadCoOccurrenceTables,
  multinomialFromLogits,
  temperature,
  topK,
} from '../dist/index.js';
import { brownDocuments, TABLES_CACHE, TOKENIZER_HASH, VOCAB } from './corpus.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const STEPS = Number(args.steps ?? 3000);
const JSON_ONLY = Boolean(args.json);
const log = (...a) => {
  if (!JSON_ONLY) console.log(...a);
};

const corpus = brownDocuments();
if (!existsSync(TABLES_CACHE)) {
  writeFileSync(
    TABLES_CACHE,
    buildCoOccurrenceTablesSync(corpus.docs, { vocabSize: VOCAB, tokenizerHash: TOKENIZER_HASH, minCount: 2 }),
  );
}
const t0 = performance.now();
const tables = loadCoOccurrenceTables(readFileSync(TABLES_CACHE), { vocabSize: VOCAB });
const loadMs = performance.now() - t0;
log(
  `tables: ${(tables.header.byteLength / 1e6).toFixed(2)} MB, ${tables.header.bigramCount} pairs, ` +
    `${tables.header.trigramCount} triplets, loaded+validated in ${loadMs.toFixed(1)} ms`,
);

// --- logits -------------------------------------------------------------------------------
const POSITIONS = 48;
const rng = createRng(42);
const gauss = () => {
  const u = Math.max(1e-12, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
};
const logUni = new Float32Array(VOCAB);
for (let t = 0; t < VOCAB; t++) logUni[t] = Math.log1p(tables.unigrams[t]);
const allIds = new Uint16Array(corpus.tokens);
{
  let at = 0;
  for (const d of corpus.docs) {
    allIds.set(d, at);
    at += d.length;
  }
}
function continuations(a, n) {
  const s = tables.bigramOffsets[a];
  const e = tables.bigramOffsets[a + 1];
  const ids = Array.from(tables.bigramIds.subarray(s, e));
  const vals = Array.from(tables.bigramValues.subarray(s, e));
  return ids
    .map((id, i) => [id, vals[i]])
    .sort((x, y) => y[1] - x[1])
    .slice(0, n)
    .map((x) => x[0]);
}
function realisticPosition() {
  const t = 10 + Math.floor(rng.next() * (allIds.length - 20));
  return [0, 1, 2].map((h) => {
    const row = new Float32Array(VOCAB);
    for (let v = 0; v < VOCAB; v++) row[v] = 0.6 * logUni[v] + gauss();
    for (const c of continuations(allIds[t + h - 1], 30)) row[c] += 3;
    row[allIds[t + h]] += 2 + 6 * rng.next(); // from unsure to confident
    return row;
  });
}
function randomPosition() {
  return [0, 1, 2].map(() => {
    const row = new Float32Array(VOCAB);
    for (let v = 0; v < VOCAB; v++) row[v] = 3 * gauss();
    return row;
  });
}
const scenarios = {
  realistic: Array.from({ length: POSITIONS }, realisticPosition),
  random: Array.from({ length: POSITIONS }, randomPosition),
};

function makeView(positions) {
  let p = 0;
  const history = Int32Array.from(allIds.subarray(0, 64));
  const view = {
    vocabSize: VOCAB,
    heads: 3,
    maxTokens: 3,
    logits: (h) => positions[p][h],
    history,
    promptLength: 64,
    step: 0,
    rng: createRng(7),
    advance() {
      p = (p + 1) % positions.length;
    },
  };
  return view;
}

// --- samplers --------------------------------------------------------------------------------
function plainTopK() {
  const scratch = new Float32Array(VOCAB);
  const probs = new Float32Array(VOCAB);
  const temp = temperature(0.7);
  const k = topK(50);
  const out = new Int32Array(1);
  return {
    name: 'classic top-k (reference)',
    sample(view) {
      scratch.set(view.logits(0));
      temp.process(scratch);
      k.process(scratch);
      out[0] = multinomialFromLogits(scratch, view.rng, probs);
      return out;
    },
  };
}
const configs = {
  'dynamo default (eps 0.5, mask+blur+Otsu)': () => dynamo({ tables }),
  'dynamo eps 0 (always tries 3)': () => dynamo({ tables, epsilon: 0 }),
  'dynamo eps 1 (plain top-k path)': () => dynamo({ tables, epsilon: 1 }),
  'ablation mask only (eps 0.5)': () => dynamoAblation('mask', { tables }),
  'ablation no mask (dense k^3, eps 0.5)': () => dynamoAblation('no-mask'),
  'ablation no mask, eps 0': () => dynamoAblation('no-mask', { epsilon: 0 }),
  'dynamo T2 (maxTokens 2)': () => dynamo({ tables, maxTokens: 2 }),
  'classic top-k (reference)': plainTopK,
};

let gcCount = 0;
new PerformanceObserver((list) => {
  gcCount += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const results = {};
for (const [scenario, positions] of Object.entries(scenarios)) {
  for (const [name, make] of Object.entries(configs)) {
    const sampler = make();
    const view = makeView(positions);
    for (let i = 0; i < 300; i++) {
      sampler.sample(view);
      view.advance();
    }
    const times = new Float64Array(STEPS);
    const emitted = [0, 0, 0, 0];
    for (let i = 0; i < STEPS; i++) {
      const a = performance.now();
      const out = sampler.sample(view);
      times[i] = performance.now() - a;
      emitted[out.length]++;
      view.advance();
    }
    // allocation: heap growth over untimed steps with a young generation large enough not to scavenge
    let bytesPerStep = null;
    let gcs = null;
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 0));
      const before = process.memoryUsage().heapUsed;
      const gcBefore = gcCount;
      const n = 2000;
      for (let i = 0; i < n; i++) {
        sampler.sample(view);
        view.advance();
      }
      const after = process.memoryUsage().heapUsed;
      await new Promise((r) => setTimeout(r, 0));
      gcs = gcCount - gcBefore;
      bytesPerStep = Math.max(0, (after - before) / n);
    }
    const sorted = Array.from(times).sort((x, y) => x - y);
    const tokens = emitted[1] + 2 * emitted[2] + 3 * emitted[3];
    results[`${scenario} | ${name}`] = {
      scenario,
      sampler: name,
      steps: STEPS,
      medianMs: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      p99Ms: quantile(sorted, 0.99),
      meanMs: sorted.reduce((s, x) => s + x, 0) / STEPS,
      tokensPerStep: tokens / STEPS,
      emitted: { 1: emitted[1], 2: emitted[2], 3: emitted[3] },
      heapBytesPerStep: bytesPerStep,
      gcDuringAllocationWindow: gcs,
    };
  }
}

const report = {
  node: process.version,
  vocab: VOCAB,
  topK: 50,
  heads: 3,
  tables: {
    bytes: tables.header.byteLength,
    pairs: tables.header.bigramCount,
    triplets: tables.header.trigramCount,
    loadMs,
  },
  goal: { medianMs: 0.2, allocationPerStep: 0 },
  results,
};
if (JSON_ONLY) console.log(JSON.stringify(report, null, 2));
else {
  console.log(JSON.stringify(report));
  console.table(
    Object.fromEntries(
      Object.entries(results).map(([k, r]) => [
        k,
        {
          'median ms': +r.medianMs.toFixed(4),
          'p90 ms': +r.p90Ms.toFixed(4),
          'p99 ms': +r.p99Ms.toFixed(4),
          'tokens/step': +r.tokensPerStep.toFixed(2),
          'heap B/step': r.heapBytesPerStep === null ? 'n/a (--expose-gc)' : Math.round(r.heapBytesPerStep),
        },
      ]),
    ),
  );
}
