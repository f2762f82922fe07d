import { emissionShareSvg } from './emissionSharePlot.js';
import type { PerplexityReport } from './multiTokenPerplexity.js';
import { qualitySpeedupSvg } from './qualitySpeedupPlot.js';
import { type ReportContext, reportMarkdown } from './reportMarkdown.js';
import { type EvalSummary, type SummaryOptions, summarizeSweep } from './summary.js';
import type { SweepResults } from './sweepResults.js';

/** File names of a report folder. */
export const REPORT_FILES = {
  /** The raw samples (SweepResults): the input of a resumed run. */
  samples: 'samples.json',
  /** Summary, perplexities and the run's setup (no samples). */
  json: 'report.json',
  markdown: 'report.md',
  qualityPlot: 'quality-speedup.svg',
  emissionPlot: 'emission-shares.svg',
} as const;

export interface BuiltReport {
  readonly summary: EvalSummary;
  /** File name → contents (UTF-8 text). Writing them is the caller's business (browser-safe). */
  readonly files: Readonly<Record<string, string>>;
}

export interface ReportOptions extends SummaryOptions {
  readonly perplexity?: PerplexityReport;
  readonly context?: ReportContext;
}

/** JSON.stringify that keeps non-finite numbers readable ("Infinity", "NaN") instead of null. */
export function stringifyReport(value: unknown): string {
  return `${JSON.stringify(value, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

/** Summarises a run and renders every report file: JSON, Markdown and the two SVG plots. */
export async function buildReport(results: SweepResults, options: ReportOptions = {}): Promise<BuiltReport> {
  const summary = await summarizeSweep(results, options);
  const { samples, ...setup } = results;
  const plots = [
    { file: REPORT_FILES.qualityPlot, alt: 'oracle NLL vs speed-up' },
    { file: REPORT_FILES.emissionPlot, alt: 'share of 1/2/3-token emissions per eps_b' },
  ];
  const context: ReportContext = { plots, ...options.context };
  return {
    summary,
    files: {
      [REPORT_FILES.samples]: stringifyReport(results),
      [REPORT_FILES.json]: stringifyReport({
        format: 'dynamo-eval-report',
        version: 1,
        setup: { ...setup, samples: samples.length },
        summary,
        perplexity: options.perplexity ?? null,
      }),
      [REPORT_FILES.markdown]: reportMarkdown(results, summary, options.perplexity, context),
      [REPORT_FILES.qualityPlot]: qualitySpeedupSvg(summary),
      [REPORT_FILES.emissionPlot]: emissionShareSvg(summary),
    },
  };
}
