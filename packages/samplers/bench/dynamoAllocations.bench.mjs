#!/usr/bin/env node
import { readFileSync } from 'node:fs';
/**
 * Where the DynaMo sampler's hot path allocates: V8's sampling heap profiler over 5,000 steps
 * (T3, k = 50, GPT-2 vocabulary, the Brown tables cached by ngramTables.bench.mjs), top sites.
 *
 * Run (repo root): node packages/samplers/bench/dynamoAllocations.bench.mjs [epsilon]
 */
import { Session } from 'node:inspector/promises';
import { createRng } from '@dynamojs/core';
import { dynamo, loadCoOccurrenceTables } from '../dist/index.js';
import { TABLES_CACHE, VOCAB } from './corpus.mjs';

const tables = loadCoOccurrenceTables(readFileSync(TABLES_CACHE));
const rng = createRng(1);
const logUni = new Float32Array(VOCAB);
for (let t = 0; t < VOCAB; t++) logUni[t] = Math.log1p(tables.unigrams[t]);
const pos = Array.from({ length: 16 }, () =>
  [0, 1, 2].map(() => {
    const r = new Float32Array(VOCAB);
    for (let v = 0; v < VOCAB; v++) r[v] = 0.6 * logUni[v] + (rng.next() - 0.5) * 3;
    r[Math.floor(rng.next() * 1000)] += 8;
    return r;
  }),
);
let p = 0;
const view = {
  vocabSize: VOCAB,
  heads: 3,
  maxTokens: 3,
  logits: (h) => pos[p][h],
  history: new Int32Array(64),
  promptLength: 64,
  step: 0,
  rng: createRng(3),
};
const s = dynamo({ tables, epsilon: Number(process.argv[2] ?? 0.5) });
for (let i = 0; i < 3000; i++) {
  s.sample(view);
  p = (p + 1) % 16;
}
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 64,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const N = 5000;
for (let i = 0; i < N; i++) {
  s.sample(view);
  p = (p + 1) % 16;
}
const { profile } = await session.post('HeapProfiler.stopSampling');
const sites = [];
(function walk(n, stack) {
  const st = [...stack, `${n.callFrame.functionName || '(anon)'}:${n.callFrame.lineNumber}`];
  if (n.selfSize > 0) sites.push([n.selfSize, st.slice(-3).join(' < ')]);
  for (const c of n.children) walk(c, st);
})(profile.head, []);
sites.sort((a, b) => b[0] - a[0]);
const total = sites.reduce((a, b) => a + b[0], 0);
console.log('sampled bytes per step ~', (total / N).toFixed(1), s.stats.emitted);
for (const x of sites.slice(0, 8)) console.log(x[0], x[1]);
