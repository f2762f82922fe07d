import type { ResolvedDecodingSettings } from '@dynamojs/generate';
import { fmt } from '../shared.js';
import type { BenchConfig } from './benchConfigs.js';
import type { BenchTotals } from './benchRun.js';

export interface BenchRow {
  readonly config: string;
  readonly mode: string;
  /** The decoding method that ran (generate's `stats.method`); null for transformers.js. */
  readonly method: string | null;
  readonly baseline: string | null;
  /** 'identical' (same tokens as the baseline), 'distribution' (exactly its distribution) or null (lossy). */
  readonly lossless: 'identical' | 'distribution' | null;
  readonly runs: number;
  readonly tokens: number;
  readonly forwardPasses: number;
  readonly tokensPerPass: number;
  /** tokens / (prefill + decode time). */
  readonly tokensPerSecond: number;
  /** Decode-only throughput (tokens after the prefill pass / decode time). */
  readonly decodeTokensPerSecond: number;
  readonly speedup: number | null;
  /** speedup / tokensPerPass. */
  readonly efficiency: number | null;
  /**
   * Per decode pass (prefill excluded): ms waiting for the model's forward pass, and ms choosing
   * tokens (sampler / verification / loop). null for transformers.js (not instrumented).
   */
  readonly forwardMsPerPass: number | null;
  readonly selectMsPerPass: number | null;
  /**
   * This configuration's forward pass ÷ its baseline's (ar on the base-only graph), per decode pass,
   * measured in the same run: what a multi-head or verification/tree pass costs.
   */
  readonly passCost: number | null;
  readonly acceptance?: number[];
  /** Runs whose tokens equal the reference configuration's, out of compared. */
  readonly identical?: { readonly reference: string; readonly identical: number; readonly compared: number };
}

export interface BenchReport {
  readonly model: string;
  readonly device: string;
  readonly threads: number | null;
  readonly maxNewTokens: number;
  readonly prompts: number;
  readonly seeds: number[];
  /** The settings in force (the `ar` row's: what every row shares). */
  readonly settings: ResolvedDecodingSettings | undefined;
  /** The structured-output constraint every DynaMo.js row followed (`json-schema FILE`, …), if any. */
  readonly constraint?: string;
  readonly forcedRuns?: boolean;
  readonly node: string;
  readonly date: string;
  readonly rows: BenchRow[];
}

/** The report's rows: each configuration's totals, against its baseline's from the same run. */
export function benchRows(configs: readonly BenchConfig[], totals: ReadonlyMap<string, BenchTotals>): BenchRow[] {
  const forwardPerPass = (t: BenchTotals | undefined) =>
    t && t.decodePasses > 0 && t.forwardMs > 0 ? t.forwardMs / t.decodePasses : null;
  return configs.map((c) => {
    const t = totals.get(c.label) as BenchTotals;
    const base = c.baseline === undefined ? undefined : totals.get(c.baseline);
    const baseForward = forwardPerPass(base);
    const ownForward = forwardPerPass(t);
    const tps = t.ms > 0 ? (t.tokens * 1000) / t.ms : 0;
    const baseTps = base && base.ms > 0 ? (base.tokens * 1000) / base.ms : undefined;
    const speedup = baseTps ? tps / baseTps : null;
    const tpp = t.passes > 0 ? t.tokens / t.passes : 0;
    return {
      config: c.label,
      mode: c.mode,
      method: c.plan?.method ?? null,
      baseline: c.baseline ?? null,
      lossless: c.lossless,
      runs: t.runs,
      tokens: t.tokens,
      forwardPasses: t.passes,
      tokensPerPass: tpp,
      tokensPerSecond: tps,
      decodeTokensPerSecond: t.decodeMs > 0 ? (t.decodeTokens * 1000) / t.decodeMs : 0,
      speedup,
      efficiency: speedup === null || tpp === 0 ? null : speedup / tpp,
      forwardMsPerPass: t.decodePasses > 0 ? t.forwardMs / t.decodePasses : null,
      selectMsPerPass: t.decodePasses > 0 ? (t.decodeMs - t.forwardMs) / t.decodePasses : null,
      passCost:
        c.baseline === undefined ? 1 : ownForward !== null && baseForward !== null ? ownForward / baseForward : null,
      ...(t.proposed.length > 0 && {
        acceptance: t.proposed.map((pr, i) => (pr > 0 ? (t.accepted[i] ?? 0) / pr : 0)),
      }),
      ...(c.sameAs !== undefined && {
        identical: { reference: c.sameAs, identical: t.identical, compared: t.compared },
      }),
    };
  });
}

export function formatTable(report: BenchReport): string {
  const head = [
    'config',
    'runs',
    'tokens/s',
    'tok/pass',
    'speed-up',
    'efficiency',
    'pass ms',
    'pass cost',
    'select ms',
    'notes',
  ];
  const rows = report.rows.map((r) => {
    const notes: string[] = [];
    if (r.baseline) notes.push(`vs ${r.baseline}`);
    if (r.acceptance) notes.push(`acceptance ${r.acceptance.map((a, i) => `d${i + 1} ${fmt(a)}`).join(', ')}`);
    if (r.lossless === 'distribution') notes.push(`exactly ${r.baseline}'s distribution`);
    if (r.identical)
      notes.push(`identical to ${r.identical.reference}: ${r.identical.identical}/${r.identical.compared}`);
    return [
      r.config,
      String(r.runs),
      fmt(r.tokensPerSecond, 1),
      fmt(r.tokensPerPass),
      r.speedup === null ? '-' : `${fmt(r.speedup)}x`,
      r.efficiency === null ? '-' : fmt(r.efficiency),
      r.forwardMsPerPass === null ? '-' : fmt(r.forwardMsPerPass, 3),
      r.passCost === null ? '-' : `${fmt(r.passCost)}x`,
      r.selectMsPerPass === null ? '-' : fmt(r.selectMsPerPass, 3),
      notes.join('; '),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [
    `model ${report.model} · device ${report.device} · threads ${report.threads ?? 'default'} · ${report.prompts} prompts × ${report.seeds.length} seeds · ${report.maxNewTokens} new tokens`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}
