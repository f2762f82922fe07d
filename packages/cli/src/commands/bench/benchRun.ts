import type { Constraint } from '@dynamojs/core';
import type { DecodingRuntime, GenerateResult } from '@dynamojs/generate';
import { generate } from '@dynamojs/generate';
import { modelFor, releaseDrafter } from '../../decodingFlags.js';
import type { ModelBundle } from '../../loader.js';
import type { CliIo } from '../shared.js';
import type { TransformersRunner } from '../transformers.js';
import type { BenchConfig } from './benchConfigs.js';

/** One configuration's sums over its runs. */
export interface BenchTotals {
  runs: number;
  tokens: number;
  passes: number;
  ms: number;
  decodeMs: number;
  decodeTokens: number;
  decodePasses: number;
  forwardMs: number;
  proposed: number[];
  accepted: number[];
  identical: number;
  compared: number;
}

export interface BenchRunOptions {
  readonly bundle: ModelBundle;
  readonly runtime: DecodingRuntime;
  readonly prompts: readonly number[][];
  readonly seeds: readonly number[];
  readonly maxNewTokens: number;
  readonly warmup: number;
  readonly headRows: 'all' | 'last' | number | undefined;
  readonly transformers: TransformersRunner | undefined;
  /** Structured output (--json-schema, --grammar, --regex): every DynaMo.js row follows it. */
  readonly constraint?: Constraint | undefined;
  readonly forcedRuns?: boolean | undefined;
}

function progressBar(done: number, total: number, label: string): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}`.padEnd(80);
}

function emptyTotals(): BenchTotals {
  return {
    runs: 0,
    tokens: 0,
    passes: 0,
    ms: 0,
    decodeMs: 0,
    decodeTokens: 0,
    decodePasses: 0,
    forwardMs: 0,
    proposed: [],
    accepted: [],
    identical: 0,
    compared: 0,
  };
}

/** Adds one run to its configuration's totals. */
function record(t: BenchTotals, tokens: number[], r: GenerateResult | undefined, ms: number): void {
  t.runs++;
  t.tokens += tokens.length;
  t.ms += ms;
  if (r === undefined) {
    // transformers.js: one token per pass, not instrumented
    t.passes += tokens.length;
    t.decodeMs += ms;
    t.decodeTokens += tokens.length;
    return;
  }
  t.passes += r.stats.forwardPasses;
  t.decodeMs += r.stats.decodeMs;
  t.decodeTokens += r.stats.tokens - (r.steps[0] ?? 0);
  t.decodePasses += r.stats.forwardPasses - 1;
  t.forwardMs += r.stats.forwardMs;
  const acc = r.stats.acceptance;
  if (acc) {
    for (let i = 0; i < acc.proposed.length; i++) {
      t.proposed[i] = (t.proposed[i] ?? 0) + (acc.proposed[i] ?? 0);
      t.accepted[i] = (t.accepted[i] ?? 0) + (acc.accepted[i] ?? 0);
    }
  }
}

/**
 * Runs every configuration on every prompt × seed, interleaved (prompt by prompt, seed by seed,
 * every configuration in turn, so drift hits them alike), after untimed warm-up runs; checks token
 * identity against each configuration's reference. Progress on stderr.
 */
export async function runBench(
  configs: readonly BenchConfig[],
  o: BenchRunOptions,
  io: CliIo,
): Promise<Map<string, BenchTotals>> {
  const totals = new Map(configs.map((c) => [c.label, emptyTotals()]));
  const runOne = async (c: BenchConfig, ids: number[], seed: number, n: number) => {
    if (c.plan === undefined) {
      const t = await (o.transformers as TransformersRunner).generate(ids, n);
      return { tokens: t.tokens, r: undefined, ms: t.ms };
    }
    const model = modelFor(c.plan, o.bundle);
    const components = c.plan.create({ ...o.runtime, ...(o.runtime.assistant !== undefined && { target: model }) });
    let r: Awaited<ReturnType<typeof generate>>;
    try {
      r = await generate({
        model,
        inputIds: ids,
        ...components,
        ...(c.mode === 'verified' && o.headRows !== undefined && { headRows: o.headRows }),
        maxNewTokens: n,
        eos: false,
        seed,
        ...(o.constraint !== undefined && { constraint: o.constraint, forcedRuns: o.forcedRuns ?? true }),
      });
    } finally {
      releaseDrafter(components.drafter);
    }
    return { tokens: r.tokens, r, ms: r.stats.prefillMs + r.stats.decodeMs };
  };
  for (let w = 0; w < o.warmup; w++) {
    for (const c of configs)
      await runOne(c, o.prompts[w % o.prompts.length] as number[], 0, Math.min(o.maxNewTokens, 16));
  }
  const total = o.prompts.length * o.seeds.length * configs.length;
  let done = 0;
  for (let p = 0; p < o.prompts.length; p++) {
    const reference = new Map<string, number[]>();
    for (const seed of o.seeds) {
      for (const c of configs) {
        // Seed-independent (greedy) configurations are still re-run per seed: more timing samples.
        // A live bar on a terminal; otherwise (logs, CI) one line per 10%.
        if (io.stderr.isTTY) io.stderr.write(progressBar(done, total, `${c.label} · prompt ${p + 1}`));
        else if (done > 0 && Math.floor((10 * done) / total) > Math.floor((10 * (done - 1)) / total)) {
          io.stderr.write(
            `${progressBar(done, total, `${c.label} · prompt ${p + 1}`)
              .slice(1)
              .trimEnd()}\n`,
          );
        }
        const { tokens, r, ms } = await runOne(c, o.prompts[p] as number[], seed, o.maxNewTokens);
        const t = totals.get(c.label) as BenchTotals;
        record(t, tokens, r, ms);
        reference.set(`${c.label}/${seed}`, tokens);
        if (c.sameAs !== undefined) {
          const ref = reference.get(`${c.sameAs}/${seed}`);
          if (ref !== undefined) {
            t.compared++;
            if (ref.length === tokens.length && ref.every((v, i) => v === tokens[i])) t.identical++;
          }
        }
        done++;
      }
    }
  }
  const end = progressBar(done, total, 'done');
  io.stderr.write(`${io.stderr.isTTY ? end : end.slice(1).trimEnd()}\n`);
  return totals;
}
