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

function qualityCells(r: ConfigurationSummary): string[] {
  return [
    `${f(r.nll.mean)} ± ${f((r.nll.high - r.nll.low) / 2)}`,
    f(r.repetition),
    f(r.distinct1),
    f(r.distinct2),
    f(r.tokensPerPass, 2),
    `${f(r.speedup, 2)}x`,
    r.sameQuality.same ? 'yes' : 'no',
    `${f(r.sameQuality.nllDiff.high, 3)} ≤ ${f(r.sameQuality.nllLimit, 3)}`,
    r.winRate ? `${f(r.winRate.rate, 2)} (${r.winRate.wins}/${r.winRate.losses}/${r.winRate.ties})` : '–',
  ];
}

const QUALITY_HEAD = [
  'oracle NLL (95% CI)',
  'repetition',
  'distinct-1',
  'distinct-2',
  'tokens/pass',
  'speed-up',
  'same quality',
  'paired ΔNLL upper CI ≤ limit',
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
  );
  if (context.command) out.push('```sh', context.command, '```', '');
  out.push('## Headline', '');
  const c = summary.criterion;
  out.push(
    `- Same-quality speed-up: **${f(summary.sameQualitySpeedup, 2)}x**` +
      (summary.sameQualityEpsilon !== null
        ? ` at eps_b = ${summary.sameQualityEpsilon}`
        : summary.sameQualityEpsilons.length
          ? ` (ar itself: the rows that meet the criterion, eps_b ${summary.sameQualityEpsilons.join(', ')}, are not faster than ar)`
          : ' (ar itself: no dynamo row met the criterion)') +
      `. Same quality = the upper end of the 95% CI of the mean paired oracle-NLL difference (dynamo − ar, paired by prompt and seed) is ≤ ${c.nllTolerance * 100}% of ar's mean NLL, and the mean repetition is ≤ ar's + ${c.repetitionTolerance}.`,
  );
  if (summary.crossingSpeedup !== null) {
    out.push(
      `- Speed-up where the ${summary.judge} judge's win rate vs ar crosses 1.0: ${f(summary.crossingSpeedup, 2)}x.`,
    );
  }
  if (summary.verified) {
    const v = summary.verified;
    out.push(
      `- verified (lossless draft-and-verify, ar's sampler): ${f(v.speedup, 2)}x at ${f(v.tokensPerPass, 2)} tokens/pass` +
        (v.identicalToAr
          ? `; ${v.identicalToAr.identical}/${v.identicalToAr.compared} continuations identical to ar's.`
          : '.'),
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
  out.push("## Ablation at eps_b = 0.5 (the paper's Table 9)", '');
  out.push(
    table(
      ['variant', 'paper win rate (7.3B, GPT-4 judge)', ...QUALITY_HEAD],
      [
        ...summary.ablation.map((a) => [
          a.name === 'full' ? `${a.label} (= dynamo eps_b 0.5)` : a.label,
          f(a.paperWinRate, 2),
          ...(a.summary ? qualityCells(a.summary) : QUALITY_HEAD.map(() => 'not run')),
        ]),
        ...(summary.verified ? [['verified (lossless)', '–', ...qualityCells(summary.verified)]] : []),
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

/** Continuations of the first prompt and seed: ar, and the sweep's lowest, middle and eps_b 1 rows. */
function examples(results: SweepResults, summary: EvalSummary): string[] {
  const prompt = results.prompts[0];
  const seed = results.seeds[0];
  if (prompt === undefined || seed === undefined) return [];
  const sweep = summary.sweep;
  const ids = ['ar', sweep[0]?.id, sweep[Math.floor(sweep.length / 2)]?.id];
  const out: string[] = [];
  for (const id of [...new Set(ids)]) {
    const sample = results.samples.find((x) => x.config === id && x.prompt === prompt && x.seed === seed);
    if (!sample) continue;
    const row = summary.rows.find((r) => r.id === id);
    const text = `**${prompt.trim()}**${sample.text}`.replace(/\s*\n\s*/g, ' ⏎ ');
    out.push(`- ${row?.label ?? id} (NLL ${f(sample.nll)}, ${f(sample.tokensPerPass, 2)} tokens/pass): ${text}`);
  }
  return out.length ? [`## Examples (seed ${seed}; the prompt in bold)`, '', ...out, ''] : [];
}
