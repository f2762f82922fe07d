#!/usr/bin/env node
// Where a lossy sampler's text differs from ar's, token by token: for every generated token, its
// surprisal under the base model minus the surprisal ar would expect at that same context,
//
//   gap_t = −log p(x_t | x_<t)  −  Σ_x q_ar(x | x_<t) · (−log p(x | x_<t)),
//
// p the base model (head 0, temperature 1: the eval's oracle), q_ar ar's own sampling distribution
// there (repetition penalty 1.1 on the history, temperature 0.7, top-50). For ar the mean gap is 0
// (up to noise): every token is drawn from q_ar. A sampler whose tokens are more predictable than
// ar's would be at the same context has a negative gap, less predictable a positive one. The gap
// is split by the token's place in its emission ("3.2": the second token of a 3-token emission),
// which separates the first token (drawn with the joint, from head 0's distribution) from the
// extra heads' tokens (or, with the draft head, the drafted ones). It explains what the eval's
// surprisal two-sample test sees.
//
//   npm run build && node packages/eval/bench/surprisalGap.bench.mjs [--seeds 1,2,3]
//          [--tokens 128] [--prompts FILE] [--model DIR] [--out file.json]
// (the eval's built-in prompts always; --prompts adds a file's, e.g. the paper's development prompts)
import { writeFileSync } from 'node:fs';
import { generate } from '@dynamojs/generate';
import * as S from '@dynamojs/samplers';
import { AR, perPosition, qualitySetup } from './qualitySetup.mjs';

const { dir, out, seeds, maxNewTokens, tokenizer, multi, base, tables, prompts, recommended } = await qualitySetup();
const { temperature: T, topK: K, repetitionPenalty: PENALTY } = AR;
const configs = [
  { id: 'ar', mode: 'ar' },
  { id: 'dynamo (calibrated, the model’s values)', mode: 'dynamo', options: { ...recommended } },
  { id: 'dynamo (calibrated, eps_b 0.3)', mode: 'dynamo', options: { ...recommended, epsilon: 0.3 } },
  { id: 'dynamo (paper preset, eps_b 0.5)', mode: 'dynamo', options: { preset: 'paper' } },
  // DynaMo with the draft head, at the model's recommended settings (when it ships one)
  ...(base.draftHead
    ? [
        {
          id: 'dynamo with the draft head (the model’s values)',
          mode: 'dynamo',
          chain: {
            minDraftProbability: base.metadata.decoding?.minDraftProbability,
            chainLength: base.metadata.decoding?.chainLength,
            draftTemperatureRatio: base.metadata.decoding?.draftTemperatureRatio,
          },
        },
      ]
    : []),
];

/** Per generated token: surprisal under the base model minus ar's expected surprisal there. */
function gaps(promptIds, tokens) {
  return perPosition(base, promptIds, tokens, (row, q, t, ids) => {
    let m = -Infinity;
    for (const v of row) if (v > m) m = v;
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    const logZ = m + Math.log(z);
    const top = Array.from(q.keys())
      .sort((a, b) => q[b] - q[a])
      .slice(0, K);
    const qm = q[top[0]];
    let qz = 0;
    for (const i of top) qz += Math.exp((q[i] - qm) / T);
    let expected = 0;
    for (const i of top) expected += (Math.exp((q[i] - qm) / T) / qz) * (logZ - row[i]);
    return logZ - row[ids[t]] - expected;
  });
}

const byConfig = new Map(configs.map((c) => [c.id, { all: [0, 0], at: new Map(), passes: 0, tokens: 0 }]));
for (const prompt of prompts) {
  const inputIds = tokenizer.encode(prompt);
  for (const seed of seeds) {
    for (const c of configs) {
      const r = await generate({
        model: c.mode === 'ar' || c.chain ? base : multi,
        inputIds,
        mode: c.mode,
        sampler:
          c.mode === 'ar'
            ? S.sampling({ temperature: T, topK: K })
            : c.chain
              ? S.dynamoChain({ temperature: T, topK: K, ...c.chain })
              : S.dynamo({ tables, ...c.options }),
        processors: [S.repetitionPenalty(PENALTY)],
        maxNewTokens,
        eos: false,
        seed,
      });
      const g = await gaps(r.promptIds, r.tokens);
      const acc = byConfig.get(c.id);
      acc.passes += r.stats.forwardPasses;
      acc.tokens += r.tokens.length;
      let i = 0;
      for (const n of r.steps) {
        for (let j = 1; j <= n && i < g.length; j++, i++) {
          const key = `${n}.${j}`;
          const slot = acc.at.get(key) ?? [0, 0];
          slot[0] += g[i];
          slot[1]++;
          acc.at.set(key, slot);
          acc.all[0] += g[i];
          acc.all[1]++;
        }
      }
    }
  }
}
await multi.dispose();
await base.dispose();

const keys = ['1.1', '2.1', '2.2', '3.1', '3.2', '3.3', '4.1', '4.2', '4.3', '4.4'];
const rows = configs.map((c) => {
  const acc = byConfig.get(c.id);
  const at = {};
  for (const k of keys) {
    const s = acc.at.get(k);
    if (s) at[k] = { meanGap: s[0] / s[1], tokens: s[1] };
  }
  return { config: c.id, tokensPerPass: acc.tokens / acc.passes, meanGap: acc.all[0] / acc.all[1], at };
});
const report = {
  model: dir,
  prompts: prompts.length,
  seeds,
  maxNewTokens,
  ar: { temperature: T, topK: K, repetitionPenalty: PENALTY },
  calibrated: recommended,
  node: process.version,
  date: new Date().toISOString(),
  rows,
};
if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
const f = (x) => (x === undefined ? '–' : `${x.meanGap >= 0 ? '+' : ''}${x.meanGap.toFixed(3)} (${x.tokens})`);
console.log(`${prompts.length} prompts × ${seeds.length} seeds × ${maxNewTokens} tokens; mean gap in nats (tokens)`);
console.log(`| configuration | tokens/pass | all tokens | ${keys.map((k) => `n.j ${k}`).join(' | ')} |`);
console.log(`| --- | ---: | ---: | ${keys.map(() => '---:').join(' | ')} |`);
for (const r of rows) {
  console.log(
    `| ${r.config} | ${r.tokensPerPass.toFixed(2)} | ${r.meanGap >= 0 ? '+' : ''}${r.meanGap.toFixed(3)} | ${keys.map((k) => f(r.at[k])).join(' | ')} |`,
  );
}
