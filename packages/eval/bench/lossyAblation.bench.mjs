#!/usr/bin/env node
// Why the calibrated DynaMo preset keeps ar's quality: the preset, the paper-literal preset and
// the calibrated preset with each of its changes undone, on the eval prompts, judged by the eval's
// same-quality criterion (@dynamojs/eval sameQuality), with the per-token entropy of the
// distribution each emitted token was drawn from next to ar's.
//
//   npm run build && node packages/eval/bench/lossyAblation.bench.mjs [--seeds 1,2,3]
//          [--tokens 128] [--prompts FILE] [--model DIR] [--out file.json]
// (the built-in eval prompts always; --prompts adds a file's, e.g. the paper's development prompts)
//
// Every configuration applies the same processors as ar (the repetition penalty 1.1 on every head)
// except the row that removes them from the DynaMo heads.
import { writeFileSync } from 'node:fs';
import { distinctN, oracleSurprisal, repetitionRate, sameQuality } from '@dynamojs/eval';
import { generate } from '@dynamojs/generate';
import * as S from '@dynamojs/samplers';
import { qualitySetup } from './qualitySetup.mjs';

const { dir, out, seeds, maxNewTokens, tokenizer, multi, base, tables, prompts, recommended } = await qualitySetup();
const calibrated = { ...S.DYNAMO_PRESETS.calibrated, ...recommended };
const configs = [
  { id: 'ar', mode: 'ar' },
  { id: 'calibrated', mode: 'dynamo', options: { ...recommended } },
  { id: 'paper', mode: 'dynamo', options: { preset: 'paper' } },
  { id: '… drawn from the thresholded grid', mode: 'dynamo', options: { ...recommended, draw: 'thresholded' } },
  { id: '… heads at the sampling temperature', mode: 'dynamo', options: { ...recommended, headTemperature: 0.7 } },
  ...(recommended.headTemperature !== undefined && recommended.headTemperature !== 1
    ? [
        {
          id: "… heads at temperature 1 (the preset's, not the model's)",
          mode: 'dynamo',
          options: { ...recommended, headTemperature: 1 },
        },
      ]
    : []),
  { id: "… without ar's penalty on the heads", mode: 'dynamo', options: { ...recommended }, bareHeads: true },
  { id: '… without the context penalty', mode: 'dynamo', options: { ...recommended, contextPenalty: 1 } },
  { id: '… alpha 1 (the paper)', mode: 'dynamo', options: { ...recommended, alpha: 1 } },
];

const runs = new Map(configs.map((c) => [c.id, []]));
const entropies = new Map(configs.map((c) => [c.id, []]));
for (const prompt of prompts) {
  const ids = tokenizer.encode(prompt);
  for (const seed of seeds) {
    for (const c of configs) {
      const stepEntropy = entropies.get(c.id);
      let sampler;
      const processors = [S.repetitionPenalty(1.1)];
      if (c.mode === 'ar') {
        // ar's per-token entropy: of the processed (T 0.7, top-50, penalty) next-token distribution
        const inner = S.sampling({ temperature: 0.7, topK: 50 });
        const p = new Float32Array(multi.metadata.vocabSize);
        sampler = {
          name: 'ar',
          sample(view) {
            inner.distribution(view, p);
            let h = 0;
            for (const x of p) if (x > 0) h -= x * Math.log(x);
            stepEntropy.push(h);
            return inner.sample(view);
          },
        };
      } else {
        sampler = S.dynamo({
          tables,
          ...c.options,
          onStep: (info) => {
            for (let i = 0; i < info.tokens; i++) stepEntropy.push(info.entropy / info.tokens);
          },
        });
      }
      const r = await generate({
        model: c.mode === 'ar' ? base : multi,
        inputIds: ids,
        mode: c.mode,
        sampler,
        ...(c.mode === 'ar' || !c.bareHeads ? { processors } : {}),
        maxNewTokens,
        eos: false,
        seed,
      });
      const surprisal = await oracleSurprisal(base, r.promptIds, r.tokens);
      runs.get(c.id).push({
        prompt,
        seed,
        nll: surprisal.reduce((a, b) => a + b, 0) / surprisal.length,
        surprisal,
        repetition: repetitionRate(r.tokens),
        distinct2: distinctN(r.tokens, 2),
        tokens: r.tokens.length,
        passes: r.stats.forwardPasses,
      });
    }
  }
}
await multi.dispose();
await base.dispose();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ar = runs.get('ar');
const rows = configs.map((c) => {
  const list = runs.get(c.id);
  const v = sameQuality(ar, c.id === 'ar' ? ar : list);
  return {
    config: c.id,
    tokensPerPass: list.reduce((a, r) => a + r.tokens, 0) / list.reduce((a, r) => a + r.passes, 0),
    nll: mean(list.map((r) => r.nll)),
    repetition: mean(list.map((r) => r.repetition)),
    distinct2: mean(list.map((r) => r.distinct2)),
    entropyPerToken: mean(entropies.get(c.id)),
    nllUpper: v.nllDiff.high,
    nllLimit: v.nllLimit,
    ks: v.surprisal?.ks ?? 0,
    ksP: v.surprisal?.pValue ?? 1,
    same: v.same,
    verdict: { nll: v.nllPass, repetition: v.repetitionPass, distinct2: v.distinct2Pass, surprisal: v.surprisalPass },
  };
});
const report = {
  model: dir,
  prompts: prompts.length,
  seeds,
  maxNewTokens,
  calibrated,
  node: process.version,
  date: new Date().toISOString(),
  rows,
};
if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
const f = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');
console.log(
  `${prompts.length} prompts × ${seeds.length} seeds × ${maxNewTokens} tokens; calibrated = ${JSON.stringify(calibrated)}`,
);
console.log(
  '| configuration | tokens/pass | entropy/token | oracle NLL | ΔNLL upper ≤ limit | rep. 3-grams | distinct-2 | surprisal KS (p) | same quality |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  console.log(
    `| ${r.config} | ${f(r.tokensPerPass, 2)} | ${f(r.entropyPerToken)} | ${f(r.nll)} | ${f(r.nllUpper)} ≤ ${f(r.nllLimit)} | ${f(r.repetition)} | ${f(r.distinct2)} | ${f(r.ks)} (${f(r.ksP)}) | ${
      r.same
        ? 'yes'
        : `no (${Object.entries(r.verdict)
            .filter(([, ok]) => ok === false)
            .map(([k]) => k)
            .join(', ')})`
    } |`,
  );
}
