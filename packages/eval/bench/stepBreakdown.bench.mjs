#!/usr/bin/env node
// Where a decoding step's time goes, per mode: the forward pass (generate's stats.forwardMs), the
// sampler (sampler.sample, timed by a wrapper) and everything else in generate() (cache
// bookkeeping, stop checks), measured inside real generations on the bundled model. Per decode
// pass: the prefill pass is left out.
//
//   npm run build && node packages/eval/bench/stepBreakdown.bench.mjs [--model DIR] [--tokens N]
//          [--seeds 1,2] [--threads N] [--out file.json]
//
// Runs `ar` (base-only graph, sampling), `dynamo` at eps_b 0.25 / 0.5 / 0.75 and greedy `ar` on
// four prompts × seeds, the configurations interleaved per prompt and seed, and prints per-pass
// milliseconds of each part plus the efficiency bound they imply:
//   efficiency = speed-up / tokens per pass = (ar ms per pass) / (dynamo ms per pass).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import * as S from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(here, '../../model-tiny/model') },
    tokens: { type: 'string', default: '128' },
    seeds: { type: 'string', default: '1,2' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const dir = values.model;
const maxNewTokens = Number(values.tokens);
const seeds = values.seeds.split(',').map(Number);
const sessionOptions = { intraOpNumThreads: Number(values.threads), interOpNumThreads: 1 };
const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
const multi = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions });
const base = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions, baseOnly: true });
const tables = S.loadCoOccurrenceTables(readFileSync(join(dir, 'ngrams.bin')), { vocabSize: multi.metadata.vocabSize });
const settings = { temperature: 0.7, topK: 50, repetitionPenalty: 1.1 };

/** Wraps a sampler (one per generation) so that its decode steps' time is accumulated. */
function timedSampler(sampler, acc) {
  let calls = 0;
  return new Proxy(sampler, {
    get(target, prop) {
      if (prop === 'sample') {
        return (view) => {
          const t0 = performance.now();
          try {
            return target.sample(view);
          } finally {
            // the first call chooses the prefill pass's tokens: not a decode step
            if (calls++ > 0) acc.sampler += performance.now() - t0;
          }
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const CONFIGS = [
  { name: 'ar', mode: 'ar', model: base, sampler: () => S.sampling(settings) },
  ...[0.25, 0.5, 0.75].map((eps) => ({
    name: `dynamo@${eps}`,
    mode: 'dynamo',
    model: multi,
    sampler: () => S.dynamo({ ...settings, tables, epsilon: eps }),
  })),
  { name: 'ar-greedy', mode: 'ar', model: base, sampler: () => S.greedy() },
];
const prompts = [
  'The history of the United States',
  'In the beginning God created',
  'The President said that the people',
  'Scientists have discovered a new',
];
const acc = Object.fromEntries(
  CONFIGS.map((c) => [c.name, { total: 0, forward: 0, sampler: 0, passes: 0, tokens: 0 }]),
);
// warm-up
for (const c of CONFIGS)
  await generate({
    model: c.model,
    tokenizer,
    prompt: prompts[0],
    maxNewTokens: 16,
    mode: c.mode,
    sampler: c.sampler(),
    seed: 9,
    eos: false,
  });
for (const prompt of prompts) {
  for (const seed of seeds) {
    for (const c of CONFIGS) {
      const a = acc[c.name];
      const r = await generate({
        model: c.model,
        tokenizer,
        prompt,
        maxNewTokens,
        mode: c.mode,
        sampler: timedSampler(c.sampler(), a),
        seed,
        eos: false,
      });
      a.total += r.stats.decodeMs;
      a.forward += r.stats.forwardMs;
      a.passes += r.stats.forwardPasses - 1;
      a.tokens += r.stats.tokens - (r.steps[0] ?? 0);
    }
  }
}
const arPass = acc.ar.total / acc.ar.passes;
const rows = CONFIGS.map((c) => {
  const a = acc[c.name];
  const perPass = a.total / a.passes;
  return {
    config: c.name,
    tokensPerPass: +(a.tokens / a.passes).toFixed(3),
    msPerPass: +perPass.toFixed(3),
    forwardMs: +(a.forward / a.passes).toFixed(3),
    samplerMs: +(a.sampler / a.passes).toFixed(3),
    otherMs: +((a.total - a.forward - a.sampler) / a.passes).toFixed(3),
    efficiencyVsAr: c.mode === 'dynamo' ? +(arPass / perPass).toFixed(3) : undefined,
  };
});
console.log('| config | tokens/pass | ms/pass | forward | sampler | other | efficiency bound vs ar |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.config} | ${r.tokensPerPass.toFixed(2)} | ${r.msPerPass.toFixed(3)} | ${r.forwardMs.toFixed(3)} | ` +
      `${r.samplerMs.toFixed(3)} | ${r.otherMs.toFixed(3)} | ${r.efficiencyVsAr === undefined ? '—' : r.efficiencyVsAr.toFixed(2)} |`,
  );
}
const result = {
  date: new Date().toISOString(),
  node: process.version,
  model: dir,
  maxNewTokens,
  seeds,
  prompts,
  rows,
};
console.log(JSON.stringify(result, null, 2));
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
await multi.dispose();
await base.dispose();
