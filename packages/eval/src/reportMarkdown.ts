import type { PerplexityReport } from './multiTokenPerplexity.js';
import type { ConfigurationSummary, EvalSummary } from './summary.js';
import type { SweepResults } from './sweepResults.js';

/** Extra context for the Markdown report. */
export interface ReportContext {
  /** The command that produced the report (shown verbatim). */
  readonly command?: string;
  /** Where the perplexities were measured (file name). */
  readonly textSource?: string;
  /** Plot file names to embed (relative to the report). */
  readonly plots?: readonly { readonly file: string; readonly alt: string }[];
}

const f = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);

const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

const mark = (pass: boolean | null): string => (pass === null ? ' (–)' : pass ? '' : ' ✗');

function qualityCells(r: ConfigurationSummary): string[] {
  const q = r.sameQuality;
  return [
    `${f(r.nll.mean)} ± ${f((r.nll.high - r.nll.low) / 2)}`,
    f(r.repetition),
    f(r.distinct1),
    f(r.distinct2),
    f(r.tokensPerPass, 2),
    `${f(r.speedup, 2)}x`,
    q.same ? '**yes**' : 'no',
    `${f(q.nllDiff.high, 3)} ≤ ${f(q.nllLimit, 3)}${mark(q.nllPass)}`,
    `${sign(q.repetitionDiff)}${mark(q.repetitionPass)}`,
    `${q.distinct2Diff === null ? '–' : sign(q.distinct2Diff)}${mark(q.distinct2Pass)}`,
    q.surprisal ? `${f(q.surprisal.ks, 3)} (p ${f(q.surprisal.pValue, 3)})${mark(q.surprisalPass)}` : '–',
    r.winRate ? `${f(r.winRate.rate, 2)} (${r.winRate.wins}/${r.winRate.losses}/${r.winRate.ties})` : '–',
  ];
}

const sign = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(3)}` : '–');

const QUALITY_HEAD = [
  'oracle NLL (95% CI)',
  'repetition',
  'distinct-1',
  'distinct-2',
  'tokens/pass',
  'speed-up',
  'same quality',
  'ΔNLL upper CI ≤ limit',
  'Δ repetition',
  'Δ distinct-2',
  'surprisal KS (p)',
  'win rate (W/L/T)',
];

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** The PPL table: PPL_1..n, PPL_1:n (independent and masked joint), PPL_d at each eps_b. */
export function perplexityMarkdown(ppl: PerplexityReport, source?: string): string {
  const out: string[] = [];
  out.push(`Over ${ppl.tokens} tokens${source ? ` of \`${source}\`` : ''}, teacher-forced, sliding windows.`, '');
  const head = ['estimate', ...Array.from({ length: ppl.heads }, (_, i) => `n = ${i + 1}`)];
  const rows: string[][] = [
    ['PPL_n (head n alone)', ...ppl.pplHead.map((v) => f(v, 2))],
    ['PPL_1:n (independent joint)', ...ppl.pplJoint.map((v) => f(v, 2))],
  ];
  if (ppl.pplJointMasked) {
    rows.push([
      'PPL_1:n (co-occurrence-masked joint)',
      ...Array.from({ length: ppl.heads }, (_, i) => f(ppl.pplJointMasked?.[i], 2)),
    ]);
    rows.push([
      'coverage of the masked grid',
      ...Array.from({ length: ppl.heads }, (_, i) => pct(ppl.maskedCoverage?.[i] ?? Number.NaN)),
    ]);
  }
  out.push(table(head, rows), '');
  if (ppl.pplJointMasked) {
    out.push(
      `Masked joint: each head's top-k at temperature 1 with co-occurrence weights, renormalised over the k^n grid; an n-gram outside the grid (a token outside its head's top-k, or unseen in the tables) gets only the floor ${ppl.maskedFloor ?? 0.01} × the independent joint, so with low coverage this row is dominated by the floor. PPL_d uses the back-off rule on the unmasked joint.`,
      '',
    );
  }
  if (ppl.dynamic.length) {
    out.push(
      table(
        ['eps_b', 'PPL_d', 'tokens/step', ...Array.from({ length: ppl.heads }, (_, i) => `${i + 1}-token steps`)],
        ppl.dynamic.map((d) => [String(d.epsilon), f(d.ppl, 2), f(d.tokensPerStep, 2), ...d.emissionShare.map(pct)]),
      ),
      '',
    );
  }
  return out.join('\n');
}

/** The Markdown summary of an eval run. */
export function reportMarkdown(
  results: SweepResults,
  summary: EvalSummary,
  ppl?: PerplexityReport,
  context: ReportContext = {},
): string {
  const s = results.settings;
  const out: string[] = [];
  out.push('# DynaMo eval report', '');
  out.push(
    `Model \`${results.model.name}\` (${results.model.heads} heads, vocabulary ${results.model.vocabSize})` +
      `${results.device ? ` on ${results.device}` : ''} · ${results.prompts.length} prompts × ${results.seeds.length} seeds` +
      ` (${results.seeds.join(', ')}) · ${results.maxNewTokens} new tokens per continuation (eos ignored) · ` +
      `temperature ${s.temperature}, top-k ${s.topK}, alpha ${s.alpha}, blur ${s.blur}, repetition penalty ${s.repetitionPenalty}, renormalize ${s.renormalize}` +
      ` · co-occurrence masking ${results.masked ? 'on' : 'off (no tables)'} · ${results.updated}` +
      `${results.complete ? '' : ' · **partial run**'}.`,
    '',
    `The repetition penalty ${s.repetitionPenalty} is applied to every head's logits in every configuration (ar included), so ar and dynamo sample from the same base distribution; the sweep rows use the \`${s.preset}\` DynaMo preset, the ablation rows the paper-literal \`paper\` preset.`,
    '',
  );
  if (context.command) out.push('```sh', context.command, '```', '');
  out.push('## Headline', '');
  const c = summary.criterion;
  if (summary.chain.length) {
    const b = summary.chainSameQuality;
    out.push(
      b
        ? `- DynaMo with the draft head (chain sampler): **${f(b.tokensPerPass, 2)} tokens per pass at the same quality** (${b.label}), ${f(b.speedup, 2)}x ar's tokens/s on this machine.`
        : '- DynaMo with the draft head (chain sampler): no chain row met the same-quality criterion.',
    );
  }
  out.push(
    `- Same-quality speed-up: **${f(summary.sameQualitySpeedup, 2)}x**` +
      (summary.sameQualityEpsilon !== null
        ? ` at eps_b = ${summary.sameQualityEpsilon}`
        : summary.sameQualityEpsilons.length
          ? ` (ar itself: the rows that meet the criterion, eps_b ${summary.sameQualityEpsilons.join(', ')}, are not faster than ar)`
          : ' (ar itself: no dynamo row met the criterion)') +
      '.',
  );
  out.push(
    `- **Same quality** (every configuration, paired with ar's continuation of the same prompt and seed): (1) the upper end of the 95% CI of the mean oracle-NLL difference ≤ ${c.nllTolerance * 100}% of ar's mean NLL; (2) mean share of repeated 3-grams ≤ ar's + ${c.repetitionTolerance}; (3) mean distinct-2 ≥ ar's − ${c.distinct2Tolerance}; (4) the per-token surprisal distribution under the base model is not told apart from ar's by a two-sample permutation test (Kolmogorov–Smirnov distance, ${c.permutations} permutations of whole continuations) at p < ${c.surprisalAlpha}. ✗ marks the part that failed.`,
  );
  const frontier = summary.sweep.filter((r) => r.sameQuality.same);
  if (frontier.length) {
    const best = frontier.reduce((a, b) => (b.tokensPerPass > a.tokensPerPass ? b : a));
    out.push(
      `- Most tokens per pass at the same quality: **${f(best.tokensPerPass, 2)}** (${best.label}); rows that pass: ${frontier.map((r) => r.label.replace(/^dynamo /, '')).join(', ')}.`,
    );
  }
  if (summary.crossingSpeedup !== null) {
    out.push(
      `- Speed-up where the ${summary.judge} judge's win rate vs ar crosses 1.0: ${f(summary.crossingSpeedup, 2)}x.`,
    );
  }
  for (const v of summary.lossless) {
    out.push(
      `- ${v.label}: ${f(v.speedup, 2)}x at ${f(v.tokensPerPass, 2)} tokens/pass` +
        (v.lossless === 'identical' && v.identicalToAr
          ? `; ${v.identicalToAr.identical}/${v.identicalToAr.compared} continuations identical to ar's.`
          : "; exactly ar's distribution (speculative sampling), so not its very tokens."),
    );
  }
  out.push(
    "- Speed-up = the median over (prompt, seed) of the continuation's tokens/s divided by `ar`'s (base-only graph) for the same prompt and seed, measured in this run with the configurations interleaved; it depends on the machine and its load (the ratio of total throughputs is `speedupTotal` in report.json). Tokens per pass do not.",
    '',
  );
  for (const p of context.plots ?? []) out.push(`![${p.alt}](${p.file})`, '');
  out.push('## eps_b sweep', '');
  const ar = summary.rows.find((r) => r.id === 'ar');
  out.push(
    table(
      [
        'configuration',
        ...QUALITY_HEAD,
        ...Array.from({ length: results.model.heads }, (_, i) => `${i + 1}-token passes`),
      ],
      [...(ar ? [ar] : []), ...summary.sweep].map((r) => [
        r.label,
        ...qualityCells(r),
        ...Array.from({ length: results.model.heads }, (_, i) => pct(r.emissionShare[i] ?? 0)),
      ]),
    ),
    '',
  );
  if (summary.chain.length) {
    out.push('## DynaMo with the draft head', '');
    out.push(
      "Each pass runs the base-only graph; the draft head, fed each drawn token, continues the chain while its top probability is at least the row's threshold (up to " +
        `${s.chainLength} tokens per pass, its logits at temperature × ${s.draftTemperatureRatio}).`,
      '',
    );
    // columns up to the longest chain any row emitted
    const width = Math.max(
      1,
      ...summary.chain.map((r) => r.emissionShare.reduce((w, share, i) => (share > 0 ? i + 1 : w), 0)),
    );
    out.push(
      table(
        ['configuration', ...QUALITY_HEAD, ...Array.from({ length: width }, (_, i) => `${i + 1}-token passes`)],
        [...(ar ? [ar] : []), ...summary.chain].map((r) => [
          r.label,
          ...qualityCells(r),
          ...Array.from({ length: width }, (_, i) => pct(r.emissionShare[i] ?? 0)),
        ]),
      ),
      '',
    );
  }
  const withDeciles = [
    ...(ar ? [ar] : []),
    ...summary.chain,
    ...summary.sweep,
    ...summary.ablation.flatMap((a) => (a.name === 'full' && a.summary ? [a.summary] : [])),
  ];
  const arDeciles = [...summary.chain, ...summary.sweep].find((r) => r.sameQuality.surprisal)?.sameQuality.surprisal
    ?.deciles.baseline;
  if (arDeciles) {
    out.push('## Surprisal under the base model, deciles', '');
    out.push(
      "Per-token surprisal (−log p under the base model, nats) of every generated token, pooled over the continuations: the distribution the two-sample test compares. Text that is more predictable than ar's shows low deciles; text with more unlikely tokens, high ones.",
      '',
    );
    out.push(
      table(
        ['configuration', ...Array.from({ length: 9 }, (_, i) => `${(i + 1) * 10}%`)],
        withDeciles.map((r) => [
          r.label,
          ...(r.id === 'ar' ? arDeciles : (r.sameQuality.surprisal?.deciles.candidate ?? [])).map((v) => f(v, 2)),
        ]),
      ),
      '',
    );
  }
  out.push("## Ablation at eps_b = 0.5 (the paper's Table 9, paper-literal preset)", '');
  out.push(
    table(
      ['variant', 'paper win rate (7.3B, GPT-4 judge)', ...QUALITY_HEAD],
      [
        ...summary.ablation.map((a) => [
          a.name === 'full' ? `${a.label} (the paper read literally)` : a.label,
          f(a.paperWinRate, 2),
          ...(a.summary ? qualityCells(a.summary) : QUALITY_HEAD.map(() => 'not run')),
        ]),
        ...summary.lossless.map((v) => [v.label, '–', ...qualityCells(v)]),
      ],
    ),
    '',
  );
  if (ppl) out.push('## Multi-token perplexity', '', perplexityMarkdown(ppl, context.textSource));
  out.push(...examples(results, summary));
  out.push(
    '## How to read this',
    '',
    '- oracle NLL: mean negative log-likelihood per generated token under the base model (head 0, teacher-forced); lower = more likely under the base model. Not a human judgement: a degenerate loop can score well, hence repetition (share of repeated 3-grams) and distinct-1/2 next to it.',
    `- win rate: the ${summary.judge ?? 'no'} judge's wins / losses against ar's continuation of the same prompt and seed (paper convention: 1.0 = parity).`,
    '- Definitions and how to plug in an LLM judge: https://github.com/dynamojs/dynamojs/blob/main/docs/eval.md.',
    '',
  );
  return out.join('\n');
}

/**
 * Side-by-side continuations of the first three prompts (first seed): ar, the same-quality chain
 * row with the most tokens per pass (else the first chain row), the same for the sweep and the
 * paper-literal row.
 */
function examples(results: SweepResults, summary: EvalSummary): string[] {
  const seed = results.seeds[0];
  if (seed === undefined) return [];
  const sweep = summary.sweep;
  const passing = sweep.filter((r) => r.sameQuality.same);
  const best = passing.length ? passing.reduce((a, b) => (b.tokensPerPass > a.tokensPerPass ? b : a)) : sweep[0];
  const paper = summary.ablation.find((a) => a.name === 'full')?.summary;
  const chain = summary.chainSameQuality ?? summary.chain[0];
  const ids = [...new Set(['ar', chain?.id, best?.id, paper?.id].filter((x): x is string => x !== undefined))];
  const out: string[] = [];
  for (const prompt of results.prompts.slice(0, 3)) {
    out.push(`**${prompt.trim()}**`, '');
    for (const id of ids) {
      const sample = results.samples.find((x) => x.config === id && x.prompt === prompt && x.seed === seed);
      if (!sample) continue;
      const row = summary.rows.find((r) => r.id === id);
      const text = sample.text.replace(/\s*\n\s*/g, ' ⏎ ').trim();
      out.push(`- ${row?.label ?? id} (NLL ${f(sample.nll)}, ${f(sample.tokensPerPass, 2)} tokens/pass): …${text}`);
    }
    out.push('');
  }
  return out.length ? [`## Side by side (seed ${seed})`, '', ...out] : [];
}
