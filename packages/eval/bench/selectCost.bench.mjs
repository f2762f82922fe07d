#!/usr/bin/env node
// What choosing tokens costs per decode pass on the bundled model, measured on real logits: every
// sampler and drafter of the modes is replayed on the same recorded steps (all heads' logits at
// every position of sampled continuations), the configurations interleaved round by round, and the
// median microseconds per step reported. The logits processors of every mode (the repetition
// penalty on each head the sampler reads) are timed on their own, as generate runs them.
//
//   npm run build && node packages/eval/bench/selectCost.bench.mjs [--model DIR] [--prompts N]
//          [--tokens N] [--rounds N] [--out file.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '@dynamojs/core';
import { DEFAULT_EVAL_PROMPTS } from '@dynamojs/eval';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import * as S from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(here, '../../model-tiny/model') },
    prompts: { type: 'string', default: '10' },
    tokens: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '7' },
    out: { type: 'string' },
  },
});
const dir = values.model;
const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
const multi = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions });
const base = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions, baseOnly: true });
const V = multi.metadata.vocabSize;
const H = multi.metadata.heads;
const tables = S.loadCoOccurrenceTables(readFileSync(join(dir, 'ngrams.bin')), { vocabSize: V });

// 1. Record steps: every head's logits after every prefix of sampled continuations.
const steps = [];
for (const prompt of DEFAULT_EVAL_PROMPTS.slice(0, Number(values.prompts))) {
  const r = await generate({
    model: base,
    tokenizer,
    prompt,
    sampler: S.sampling({ temperature: 0.7, topK: 50 }),
    processors: S.repetitionPenalty(1.1),
    maxNewTokens: Number(values.tokens),
    eos: false,
    seed: 1,
  });
  const seq = Int32Array.from([...r.promptIds, ...r.tokens]);
  const cache = multi.createCache();
  const out = await multi.forward(seq, cache, { positions: 'all', headPositions: 'all' });
  for (let t = r.promptIds.length - 1; t < seq.length - 1; t++) {
    steps.push({
      rows: Array.from({ length: H }, (_, h) => out.logits(h, t).slice()),
      history: seq.slice(0, t + 1),
      next: seq[t + 1],
    });
  }
  cache.dispose();
}
await multi.dispose();
await base.dispose();

/** A StepView over a recorded step; logits as generate hands them (processed copies). */
function viewOf(step, rng, processed) {
  return {
    vocabSize: V,
    heads: H,
    maxTokens: H,
    promptLength: 0,
    step: 0,
    rng,
    history: step.history,
    logits: (h) => processed[h],
  };
}

const penalty = S.repetitionPenalty(1.1);
const scratch = Array.from({ length: H }, () => new Float32Array(V));
function processAll(step, heads) {
  for (let h = 0; h < heads; h++) {
    scratch[h].set(step.rows[h]);
    penalty.process(scratch[h], { head: h, history: step.history });
  }
}

const configs = [
  { name: 'processors (repetition penalty, 1 head)', heads: 1, make: null },
  { name: 'processors (repetition penalty, 3 heads)', heads: H, make: null },
  { name: 'ar: top-k sampling', heads: 1, make: () => S.sampling({ temperature: 0.7, topK: 50 }) },
  { name: 'dynamo (calibrated preset, default eps_b)', heads: H, make: () => S.dynamo({ tables }) },
  { name: 'dynamo (paper preset, eps_b 0.5)', heads: H, make: () => S.dynamo({ tables, preset: 'paper' }) },
  { name: 'drafter: DynaMo tree (budget 12)', heads: H, draft: true, make: () => S.dynamoTreeDrafter({ tables }) },
  { name: 'drafter: DynaMo chain', heads: H, draft: true, make: () => S.dynamoDrafter({ tables }) },
  { name: 'drafter: top-1 chain', heads: H, draft: true, make: () => S.topOneDrafter() },
  { name: 'drafter: n-gram + prompt lookup', heads: 1, draft: true, make: () => S.ngramDrafter({ tables }) },
];

// 2. Replay, interleaved: per round every configuration runs over every recorded step.
const perRound = configs.map(() => []);
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [i, c] of configs.entries()) {
    const sampler = c.make?.();
    const rng = createRng(round + 1);
    let ms = 0;
    for (const step of steps) {
      processAll(step, c.heads); // what generate does before the sampler reads a head
      const view = viewOf(step, rng, scratch);
      const t0 = performance.now();
      if (sampler === undefined) processAll(step, c.heads);
      else if (c.draft) sampler.draft(view, step.next);
      else sampler.sample(view);
      ms += performance.now() - t0;
    }
    if (round > 0) perRound[i].push((1000 * ms) / steps.length); // round 0 warms up
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const rows = configs.map((c, i) => ({
  config: c.name,
  microsecondsPerStep: median(perRound[i]),
  spread: [Math.min(...perRound[i]), Math.max(...perRound[i])],
}));
const report = { model: dir, steps: steps.length, rounds: Number(values.rounds) - 1, node: process.version, rows };
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `select cost per decode step on ${steps.length} recorded steps (median of ${report.rounds} interleaved rounds)`,
);
console.log('config'.padEnd(46), 'µs/step', '  min–max');
for (const r of rows) {
  console.log(
    r.config.padEnd(46),
    r.microsecondsPerStep.toFixed(1).padStart(7),
    `  ${r.spread[0].toFixed(1)}–${r.spread[1].toFixed(1)}`,
  );
}
