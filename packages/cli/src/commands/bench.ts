import {
  type Drafter,
  DynamoError,
  DynamoErrorCode,
  type LogitsProcessor,
  type MultiTokenModel,
  type Sampler,
} from '@dynamojs/core';
import { type GenerateResult, generate } from '@dynamojs/generate';
import { int, list, num, numList, oneOf, parse, str } from '../args.js';
import { DEFAULT_PROMPTS } from '../prompts.js';
import { defaultSettings, makeDrafter, makeProcessors, makeSampler, type SamplerSettings } from '../samplerFactory.js';
import { type CliContext, DEVICES, fmt, MODEL_FLAGS, SAMPLER_FLAGS } from './shared.js';
import { type TransformersRunner, transformersRunner } from './transformers.js';

export const BENCH_HELP = `Usage: dynamo bench [options]

Runs the generation modes side by side on a prompt set (every prompt × seed, the configurations
interleaved), shows a progress bar on stderr and prints a table of tokens/s, tokens per pass and
speed-up over the autoregressive baseline. Every run generates exactly --max-tokens tokens (eos
ignored) so the timings compare like for like. Efficiency = speed-up / tokens per pass; "pass ms"
and "select ms" split a decode step into the forward pass and choosing its tokens (sampler,
verification, loop), which is where an efficiency below 1 goes.

Configurations:
  ar               one token per pass on the base-only graph, sampling (baseline of dynamo)
  dynamo@EPS       DynaMo at each --epsilon, the same temperature / top-k / repetition penalty
  ar-greedy        greedy ar (baseline of verified and transformers.js)
  verified         greedy draft-and-verify (per-head top-1 drafts); checked token-for-token
                   against ar-greedy
  verified-dynamo-drafter   the same with DynaMo joint drafts (when the model has ngrams.bin)
  verified-sampling         (--verified-sampling) sampling, exact-match: same tokens as ar (same seed)
  verified-speculative      (--verified-sampling) sampling, speculative, DynaMo joint drafts
  transformers.js  @huggingface/transformers generate() (greedy) on the same base-only export
                   (with --transformers; checked token-for-token against ar-greedy)

Options:
  --prompts FILE           one prompt per line; repeatable (default: ${DEFAULT_PROMPTS.length} built-in prompts)
  --default-prompts        with --prompts: add the built-in prompts too
  --modes LIST             ar,dynamo,verified (default: all three)
  --epsilon LIST           DynaMo thresholds (default 0.25,0.5,0.75)
  --seeds LIST             seeds (default 1,2,3)
  --max-tokens N           new tokens per run (default 128)
  --warmup N               untimed warm-up runs per configuration (default 1)
  --head-rows all|last     verified: extra heads' logits at every chunk row (default) or the last
  --verified-sampling      also verified with sampling (vs ar): exact-match (same tokens as ar for
                           the same seed) and speculative (DynaMo joint drafts when ngrams.bin)
  --transformers           also time transformers.js generate() (needs @huggingface/transformers)
  --temperature, --top-k, --repetition-penalty, --alpha, --blur   sampler settings (see generate)
  --model PATH, --device auto|cpu|cuda|webgpu, --threads N
  --json                   print the results as JSON instead of a table
  -h, --help               this help
`;

const FLAGS = {
  ...MODEL_FLAGS,
  ...SAMPLER_FLAGS,
  prompts: { type: 'string', multiple: true },
  'default-prompts': { type: 'boolean' },
  modes: { type: 'string' },
  epsilon: { type: 'string' },
  seeds: { type: 'string' },
  'max-tokens': { type: 'string' },
  warmup: { type: 'string' },
  transformers: { type: 'boolean' },
  'head-rows': { type: 'string' },
  'verified-sampling': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

interface Config {
  readonly label: string;
  readonly mode: 'ar' | 'dynamo' | 'verified' | 'transformers';
  readonly baseline: string | undefined;
  /** Token-identity reference. */
  readonly sameAs?: string;
  readonly greedy: boolean;
  readonly seeded: boolean;
  readonly sampler?: () => Sampler;
  readonly drafter?: () => Drafter | undefined;
  readonly verification?: 'match' | 'speculative';
  readonly model?: MultiTokenModel;
  /** Logits processors of every head (the repetition penalty), shared by the configurations it is compared with. */
  readonly processors: LogitsProcessor[];
}

interface Totals {
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

export interface BenchRow {
  readonly config: string;
  readonly mode: string;
  readonly baseline: string | null;
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
  readonly settings: SamplerSettings;
  readonly node: string;
  readonly date: string;
  readonly rows: BenchRow[];
}

function progressBar(done: number, total: number, label: string): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}`.padEnd(80);
}

export function formatTable(report: BenchReport): string {
  const head = ['config', 'runs', 'tokens/s', 'tok/pass', 'speed-up', 'efficiency', 'pass ms', 'select ms', 'notes'];
  const rows = report.rows.map((r) => {
    const notes: string[] = [];
    if (r.baseline) notes.push(`vs ${r.baseline}`);
    if (r.acceptance) notes.push(`acceptance ${r.acceptance.map((a, i) => `h${i + 1} ${fmt(a)}`).join(', ')}`);
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
      r.selectMsPerPass === null ? '-' : fmt(r.selectMsPerPass, 3),
      notes.join('; '),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `model ${report.model} · device ${report.device} · threads ${report.threads ?? 'default'} · ${report.prompts} prompts × ${report.seeds.length} seeds · ${report.maxNewTokens} new tokens`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

export async function benchCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS);
  if (values.help) {
    ctx.stdout.write(BENCH_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `dynamo bench takes no arguments, got "${positionals[0]}". See --help.`,
    );
  }
  const modes = list(values, 'modes') ?? ['ar', 'dynamo', 'verified'];
  for (const m of modes) oneOf({ modes: m }, 'modes', ['ar', 'dynamo', 'verified']);
  const epsilons = numList(values, 'epsilon', { min: 0, max: 1 }) ?? [0.25, 0.5, 0.75];
  const seeds = numList(values, 'seeds', { min: 0 }) ?? [1, 2, 3];
  const maxNewTokens = int(values, 'max-tokens', { min: 1 }) ?? 128;
  const warmup = int(values, 'warmup', { min: 0 }) ?? 1;
  const device = oneOf(values, 'device', DEVICES) ?? 'auto';
  const threads = int(values, 'threads', { min: 1 });
  const json = values.json === true;
  const headRows = oneOf(values, 'head-rows', ['all', 'last'] as const) ?? 'all';
  const promptFiles = (values.prompts as string[] | undefined) ?? [];
  const prompts: string[] = [];
  for (const file of promptFiles) {
    const lines = (await ctx.readText(file)).split(/\r?\n/).filter((l) => l.trim().length > 0);
    if (lines.length === 0) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `--prompts ${file} holds no prompt.`, {
        details: { option: 'prompts' },
      });
    }
    prompts.push(...lines);
  }
  if (promptFiles.length === 0 || values['default-prompts'] === true) prompts.push(...DEFAULT_PROMPTS);
  const overrides: Partial<SamplerSettings> = {
    temperature: num(values, 'temperature', { min: 0, minExclusive: true }),
    topK: int(values, 'top-k', { min: 1 }),
    repetitionPenalty: num(values, 'repetition-penalty', { min: 0, minExclusive: true }),
    alpha: num(values, 'alpha', { min: 0 }),
    blur: int(values, 'blur', { min: 1 }),
  };

  const wantDynamo = modes.includes('dynamo');
  const wantVerified = modes.includes('verified');
  const wantTransformers = values.transformers === true;
  const bundle = await ctx.loader({
    modelPath: str(values, 'model'),
    device,
    threads,
    multi: wantDynamo || wantVerified,
    base: true,
    tables: wantDynamo || wantVerified,
  });
  let tf: TransformersRunner | undefined;
  try {
    const multi = bundle.model;
    const base = bundle.baseModel!;
    const settings = defaultSettings((multi ?? base).metadata.decoding, overrides);
    const greedySettings = defaultSettings((multi ?? base).metadata.decoding, { ...overrides, greedy: true });
    const configs: Config[] = [];
    const wantVerifiedSampling = wantVerified && values['verified-sampling'] === true;
    if (modes.includes('ar') || wantDynamo || wantVerifiedSampling) {
      configs.push({
        label: 'ar',
        mode: 'ar',
        baseline: undefined,
        greedy: false,
        seeded: true,
        sampler: () => makeSampler('ar', settings, undefined),
        processors: makeProcessors(settings),
        model: base,
      });
    }
    if (wantDynamo) {
      for (const epsilon of epsilons) {
        const s = { ...settings, epsilon };
        configs.push({
          label: `dynamo@${epsilon}`,
          mode: 'dynamo',
          baseline: 'ar',
          greedy: false,
          seeded: true,
          sampler: () => makeSampler('dynamo', s, bundle.tables),
          processors: makeProcessors(s),
          model: multi,
        });
      }
    }
    if (wantVerified || wantTransformers) {
      configs.push({
        label: 'ar-greedy',
        mode: 'ar',
        baseline: undefined,
        greedy: true,
        seeded: false,
        sampler: () => makeSampler('ar', greedySettings, undefined),
        processors: makeProcessors(greedySettings),
        model: base,
      });
    }
    if (wantVerified) {
      configs.push({
        label: 'verified',
        mode: 'verified',
        baseline: 'ar-greedy',
        sameAs: 'ar-greedy',
        greedy: true,
        seeded: false,
        sampler: () => makeSampler('verified', greedySettings, undefined),
        processors: makeProcessors(greedySettings),
        model: multi,
      });
    }
    if (wantVerified && bundle.tables !== undefined) {
      configs.push({
        label: 'verified-dynamo-drafter',
        mode: 'verified',
        baseline: 'ar-greedy',
        sameAs: 'ar-greedy',
        greedy: true,
        seeded: false,
        sampler: () => makeSampler('verified', greedySettings, undefined),
        drafter: () => makeDrafter('dynamo', greedySettings, bundle.tables),
        processors: makeProcessors(greedySettings),
        model: multi,
      });
    }
    if (wantVerifiedSampling) {
      // Lossless sampling: 'match' gives exactly ar's tokens for the same seed; 'speculative' gives
      // ar's distribution and accepts stochastic (DynaMo joint) drafts more often.
      configs.push({
        label: 'verified-sampling',
        mode: 'verified',
        baseline: 'ar',
        sameAs: 'ar',
        greedy: false,
        seeded: true,
        sampler: () => makeSampler('verified', settings, undefined),
        processors: makeProcessors(settings),
        model: multi,
      });
      configs.push({
        label: 'verified-speculative',
        mode: 'verified',
        baseline: 'ar',
        greedy: false,
        seeded: true,
        verification: 'speculative',
        sampler: () => makeSampler('verified', settings, undefined),
        drafter: () => makeDrafter(bundle.tables === undefined ? 'top1' : 'dynamo-sample', settings, bundle.tables),
        processors: makeProcessors(settings),
        model: multi,
      });
    }
    if (wantTransformers) {
      tf = await transformersRunner(bundle.dir, threads);
      configs.push({
        label: 'transformers.js',
        mode: 'transformers',
        baseline: 'ar-greedy',
        sameAs: 'ar-greedy',
        greedy: true,
        seeded: false,
        processors: [],
      });
    }
    const encoded = prompts.map((p) => bundle.tokenizer.encode(p));
    const totals = new Map<string, Totals>(
      configs.map((c) => [
        c.label,
        {
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
        },
      ]),
    );

    const runOne = async (
      c: Config,
      ids: number[],
      seed: number,
      n: number,
    ): Promise<{ tokens: number[]; r?: GenerateResult; ms: number }> => {
      if (c.mode === 'transformers') {
        const t = await tf!.generate(ids, n);
        return { tokens: t.tokens, ms: t.ms };
      }
      const r = await generate({
        model: c.model!,
        inputIds: ids,
        mode: c.mode,
        sampler: c.sampler!(),
        processors: c.processors,
        ...(c.drafter && { drafter: c.drafter() }),
        ...(c.mode === 'verified' && { headRows }),
        ...(c.verification && { verification: c.verification }),
        maxNewTokens: n,
        eos: false,
        seed,
      });
      return { tokens: r.tokens, r, ms: r.stats.prefillMs + r.stats.decodeMs };
    };

    for (let w = 0; w < warmup; w++) {
      for (const c of configs) await runOne(c, encoded[w % encoded.length]!, 0, Math.min(maxNewTokens, 16));
    }
    const total = prompts.length * seeds.length * configs.length;
    let done = 0;
    for (let p = 0; p < prompts.length; p++) {
      const reference = new Map<string, number[]>();
      for (const seed of seeds) {
        for (const c of configs) {
          // Seed-independent (greedy) configurations are still re-run per seed: more timing samples.
          // A live bar on a terminal; otherwise (logs, CI) one line per 10%.
          if (ctx.stderr.isTTY) ctx.stderr.write(progressBar(done, total, `${c.label} · prompt ${p + 1}`));
          else if (done > 0 && Math.floor((10 * done) / total) > Math.floor((10 * (done - 1)) / total)) {
            ctx.stderr.write(
              `${progressBar(done, total, `${c.label} · prompt ${p + 1}`)
                .slice(1)
                .trimEnd()}\n`,
            );
          }
          const { tokens, r, ms } = await runOne(c, encoded[p]!, seed, maxNewTokens);
          const t = totals.get(c.label)!;
          t.runs++;
          t.tokens += tokens.length;
          t.ms += ms;
          if (r) {
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
          } else {
            t.passes += tokens.length;
            t.decodeMs += ms;
            t.decodeTokens += tokens.length;
          }
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
    ctx.stderr.write(
      `${ctx.stderr.isTTY ? progressBar(done, total, 'done') : progressBar(done, total, 'done').slice(1).trimEnd()}\n`,
    );

    const rows: BenchRow[] = configs.map((c) => {
      const t = totals.get(c.label)!;
      const tps = t.ms > 0 ? (t.tokens * 1000) / t.ms : 0;
      const base = c.baseline === undefined ? undefined : totals.get(c.baseline);
      const baseTps = base && base.ms > 0 ? (base.tokens * 1000) / base.ms : undefined;
      const speedup = baseTps ? tps / baseTps : null;
      const tpp = t.passes > 0 ? t.tokens / t.passes : 0;
      return {
        config: c.label,
        mode: c.mode,
        baseline: c.baseline ?? null,
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
        ...(t.proposed.length > 0 && {
          acceptance: t.proposed.map((pr, i) => (pr > 0 ? (t.accepted[i] ?? 0) / pr : 0)),
        }),
        ...(c.sameAs !== undefined && {
          identical: { reference: c.sameAs, identical: t.identical, compared: t.compared },
        }),
      };
    });
    const report: BenchReport = {
      model: bundle.dir,
      device: bundle.device,
      threads: threads ?? null,
      maxNewTokens,
      prompts: prompts.length,
      seeds,
      settings,
      node: process.version,
      date: new Date().toISOString(),
      rows,
    };
    ctx.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`);
    return 0;
  } catch (error) {
    ctx.stderr.write('\n'); // end the progress bar's line before the error line
    throw error;
  } finally {
    await tf?.dispose();
    await bundle.dispose();
  }
}
