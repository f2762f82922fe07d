#!/usr/bin/env node
// How many tokens per pass lossless verification could reach with PERFECT drafts: the ceiling that
// the base model's own uncertainty puts on any drafter, for sampling (ar's distribution exactly;
// greedy's ceiling is trivial: a chain of B perfect drafts gives 1 + B).
//
// An oracle drafter knows the base model's distribution at every position and drafts, under every
// node, that node's w_d likeliest next tokens (a tree of widths w_1, w_2, …; its size is
// w_1 + w_1·w_2 + …). With deterministic drafts, verification (exact-match or speculative, both
// lossless) accepts a drafted child exactly when the base model's own token at that position is one
// of them. Coupling the verifier's draws with ar's (the same seed), that token is the one ar samples,
// so along ar's own continuations the accepted length of a pass starting at position t is the number
// of leading positions d = 1, 2, … whose ar token has rank ≤ w_d in the processed distribution
// there (repetition penalty 1.1, temperature 0.7, top-50 — what ar samples from; greedy: rank 1
// always, so every width works) — and tokens per pass is 1 + that. A pass also covers its accepted
// tokens, so passes start at 0, 1 + a_0, … along each continuation. The best tree shape per budget
// is reported; dynamic shapes (EAGLE-2) can only redistribute the same budget.
//
//   npm run build && node packages/eval/bench/acceptanceCeiling.bench.mjs [--seeds 1,2,3]
//          [--tokens 128] [--prompts FILE] [--model DIR] [--out file.json]
import { writeFileSync } from 'node:fs';
import { generate } from '@dynamojs/generate';
import * as S from '@dynamojs/samplers';
import { AR, perPosition, qualitySetup } from './qualitySetup.mjs';

const { dir, out, seeds, maxNewTokens, tokenizer, multi, base, prompts } = await qualitySetup();
await multi.dispose();
const { temperature: T, topK: K, repetitionPenalty: PENALTY } = AR;

/** Tree shapes (widths per depth) up to a budget of 64 nodes. */
function shapes(maxBudget, maxDepth = 10) {
  const list = [];
  const grow = (widths, size, paths) => {
    if (widths.length > 0) list.push({ widths: [...widths], size });
    if (widths.length === maxDepth) return;
    for (const w of [1, 2, 3, 4, 6, 8, 12, 16, 32]) {
      const next = paths * w;
      if (size + next > maxBudget) break;
      widths.push(w);
      grow(widths, size + next, next);
      widths.pop();
    }
  };
  grow([], 0, 1);
  return list;
}
const BUDGETS = [1, 2, 4, 8, 12, 16, 24, 32, 64];
const candidates = shapes(Math.max(...BUDGETS));

/** Rank (1 = likeliest) of each continuation token in ar's processed distribution at its position. */
function ranks(promptIds, tokens) {
  return perPosition(base, promptIds, tokens, (_raw, q, t, ids) => {
    const x = q[ids[t]];
    let rank = 1;
    for (let i = 0; i < q.length; i++) if (q[i] > x || (q[i] === x && i < ids[t])) rank++;
    return rank > K ? Number.POSITIVE_INFINITY : rank;
  });
}

/** Tokens per pass of a tree shape walked along one continuation's ranks. */
function tokensPerPass(rankList, widths) {
  let passes = 0;
  let t = 0;
  while (t < rankList.length) {
    passes++;
    t++; // the pass's own token (the base model's sample at the accepted node)
    for (let d = 0; d < widths.length && t < rankList.length && rankList[t] <= widths[d]; d++) t++;
  }
  return { tokens: rankList.length, passes };
}

const runs = [];
for (const prompt of prompts) {
  const inputIds = tokenizer.encode(prompt);
  for (const seed of seeds) {
    const r = await generate({
      model: base,
      inputIds,
      mode: 'ar',
      sampler: S.sampling({ temperature: T, topK: K }),
      processors: [S.repetitionPenalty(PENALTY)],
      maxNewTokens,
      eos: false,
      seed,
    });
    runs.push(await ranks(r.promptIds, r.tokens));
  }
}
await base.dispose();

const rankShare = (k) => {
  let hit = 0;
  let all = 0;
  for (const list of runs) {
    for (const x of list) {
      all++;
      if (x <= k) hit++;
    }
  }
  return hit / all;
};
const rows = BUDGETS.map((budget) => {
  let best = { tokensPerPass: 1, widths: [] };
  for (const s of candidates) {
    if (s.size > budget) continue;
    let tokens = 0;
    let passes = 0;
    for (const list of runs) {
      const r = tokensPerPass(list, s.widths);
      tokens += r.tokens;
      passes += r.passes;
    }
    if (tokens / passes > best.tokensPerPass) best = { tokensPerPass: tokens / passes, widths: s.widths };
  }
  return { budget, ...best };
});
const report = {
  model: dir,
  prompts: prompts.length,
  seeds,
  maxNewTokens,
  ar: { temperature: T, topK: K, repetitionPenalty: PENALTY },
  rankShare: Object.fromEntries([1, 2, 4, 8, 16, 32].map((k) => [`top${k}`, rankShare(k)])),
  node: process.version,
  date: new Date().toISOString(),
  rows,
};
if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `${prompts.length} prompts × ${seeds.length} seeds × ${maxNewTokens} tokens; share of ar's tokens within its distribution's top k: ${Object.entries(
    report.rankShare,
  )
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(', ')}`,
);
console.log(
  '| budget (drafted nodes) | best tree shape (widths by depth) | tokens per pass, perfect drafts, sampling |',
);
console.log('| ---: | --- | ---: |');
for (const r of rows) console.log(`| ${r.budget} | ${r.widths.join(' × ') || '—'} | ${r.tokensPerPass.toFixed(2)} |`);
