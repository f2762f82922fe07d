#!/usr/bin/env node
/**
 * Per-step cost and allocation of the classic pieces on a GPT-2-sized vocabulary (50,257 logits,
 * 3 heads, a 512-token history): greedy, sampling with the usual warpers, top-p / typical-p on
 * the full vocabulary, the top-one drafter and both verifiers (2 drafts).
 *
 * "gc" counts the garbage collections during the timed steps (PerformanceObserver): 0 means the
 * step allocates (essentially) nothing once warm.
 *
 * Run (repo root):
 *   npm run build -w @dynamojs/samplers
 *   node packages/samplers/bench/classic.bench.mjs [--steps=N] [--json]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createRng } from '@dynamojs/core';
import {
  GreedyVerifier,
  greedy,
  pipeline,
  SpeculativeVerifier,
  sampling,
  temperature,
  topK,
  topOneDrafter,
} from '../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const STEPS = Number(args.steps ?? 2000);
const WARMUP = 500;
const V = 50_257;

const rng = createRng(1);
const rows = [0, 1, 2].map(() => {
  const a = new Float32Array(V);
  for (let i = 0; i < V; i++) a[i] = (rng.next() + rng.next() + rng.next() - 1.5) * 6;
  return a;
});
const history = Int32Array.from({ length: 512 }, () => Math.floor(rng.next() * V));
const view = {
  vocabSize: V,
  heads: 3,
  maxTokens: 3,
  logits: (h) => rows[h],
  history,
  promptLength: 0,
  step: 0,
  rng,
};
const draft = Int32Array.from([1, 2]);
const baseRows = (i) => rows[i];

const configs = {
  'greedy()': () => {
    const s = greedy();
    return () => s.sample(view);
  },
  'greedy({ repetitionPenalty: 1.1 })': () => {
    const s = greedy({ repetitionPenalty: 1.1 });
    return () => s.sample(view);
  },
  'sampling()': () => {
    const s = sampling();
    return () => s.sample(view);
  },
  'sampling({ temperature: 0.7, topK: 50 })': () => {
    const s = sampling({ temperature: 0.7, topK: 50 });
    return () => s.sample(view);
  },
  'sampling({ T 0.7, topK 50, topP 0.9, rep 1.1 })': () => {
    const s = sampling({ temperature: 0.7, topK: 50, topP: 0.9, repetitionPenalty: 1.1 });
    return () => s.sample(view);
  },
  'sampling({ topP: 0.9 }) (whole vocabulary)': () => {
    const s = sampling({ topP: 0.9 });
    return () => s.sample(view);
  },
  'sampling({ minP: 0.05 })': () => {
    const s = sampling({ minP: 0.05 });
    return () => s.sample(view);
  },
  'sampling({ typicalP: 0.9 }) (whole vocabulary)': () => {
    const s = sampling({ typicalP: 0.9 });
    return () => s.sample(view);
  },
  'sampling({ noRepeatNgramSize: 3 })': () => {
    const s = sampling({ noRepeatNgramSize: 3 });
    return () => s.sample(view);
  },
  'topOneDrafter() (2 heads)': () => {
    const d = topOneDrafter();
    return () => d.draft(view, 5);
  },
  'GreedyVerifier (2 drafts, 3 rows)': () => {
    const v = new GreedyVerifier();
    return () => v.verify(draft, baseRows);
  },
  'SpeculativeVerifier (2 drafts, T 0.7, top-50)': () => {
    const v = new SpeculativeVerifier({ processors: pipeline(temperature(0.7), topK(50)) });
    return () => v.verify(draft, baseRows, rng);
  },
};

/** The timed loop, in a function so that it is compiled (top-level code would box every time). */
function timeSteps(fn, times) {
  for (let i = 0; i < times.length; i++) {
    const t = performance.now();
    fn();
    times[i] = performance.now() - t;
  }
}

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

const results = [];
for (const [name, make] of Object.entries(configs)) {
  const fn = make();
  for (let i = 0; i < WARMUP; i++) fn();
  await new Promise((r) => setTimeout(r, 20)); // let pending gc entries arrive
  gcs = 0;
  const times = new Float64Array(STEPS);
  timeSteps(fn, times);
  await new Promise((r) => setTimeout(r, 20));
  times.sort();
  const q = (f) => times[Math.min(STEPS - 1, Math.floor(f * STEPS))];
  results.push({ name, medianMs: q(0.5), p90Ms: q(0.9), gcs });
}

if (args.json) {
  console.log(JSON.stringify({ vocab: V, steps: STEPS, results }, null, 2));
} else {
  console.log(`classic pieces, vocabulary ${V}, ${STEPS} timed steps after ${WARMUP} warm-up steps`);
  for (const r of results) {
    console.log(`${r.name.padEnd(50)} median ${r.medianMs.toFixed(3)} ms   p90 ${r.p90Ms.toFixed(3)} ms   gc ${r.gcs}`);
  }
}
