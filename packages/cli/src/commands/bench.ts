import {
  type Drafter,
  DynamoError,
  DynamoErrorCode,
  type LogitsProcessor,
  type MultiTokenModel,
  type Sampler,
} from '@dynamojs/core';
import { type GenerateResult, generate } from '@dynamojs/generate';
import { recommendedTreeBudget } from '@dynamojs/samplers';
import { int, intList, list, num, numList, oneOf, parse, str } from '../args.js';
import { DEFAULT_PROMPTS } from '../prompts.js';
import { defaultSettings, makeDrafter, makeProcessors, makeSampler, type SamplerSettings } from '../samplerFactory.js';
import { type CliContext, DEVICES, fmt, headRowsFlag, MODEL_FLAGS, SAMPLER_FLAGS } from './shared.js';
import { type TransformersRunner, transformersRunner } from './transformers.js';

export const BENCH_HELP = `Usage: dynamo bench [options]

Runs the generation modes side by side on a prompt set (every prompt × seed, the configurations
interleaved), shows a progress bar on stderr and prints a table of tokens/s, tokens per pass and
speed-up over the autoregressive baseline. Every run generates exactly --max-tokens tokens (eos
ignored) so the timings compare like for like. Efficiency = speed-up / tokens per pass; "pass ms"
and "select ms" split a decode step into the forward pass and choosing its tokens (sampler,
verification, loop), which is where an efficiency below 1 goes; "pass cost" is the forward pass
divided by its baseline's (ar on the base-only graph) in the same run: what a multi-head or a
verification/tree pass costs.

Configurations (lossless ones are marked in the JSON rows: "identical" or "distribution"):
  ar               one token per pass on the base-only graph, sampling (baseline of dynamo)
  dynamo@EPS       DynaMo at each --epsilon (lossy), the same temperature / top-k / repetition
                   penalty; paper@0.5 with --paper (the paper-literal preset)
  dynamo-chain@P   DynaMo with the model's draft head (when it ships one), back-off threshold P:
                   the base-only graph plus one draft-head step per drafted token
  ar-greedy        greedy ar (baseline of verified and transformers.js)
  verified         greedy draft-and-verify as \`generate --mode verified\` runs it: DynaMo candidate
                   trees (budget: the first --tree-budget); checked token-for-token against ar-greedy
  verified-tree@B  the same at the other --tree-budget values
  verified-chain   per-head top-1 chains; verified-dynamo-chain: DynaMo joint chains
  verified-ngram   n-gram table + prompt-lookup drafts on the base-only graph (any causal LM)
  verified-head    chains from the model's draft head on the base-only graph (when it ships one);
                   verified-head-speculative with --verified-sampling (exactly ar's distribution)
  verified-sampling         (--verified-sampling) sampling, exact-match trees: same tokens as ar
  verified-speculative      (--verified-sampling) sampling, speculative: exactly ar's distribution
  transformers.js  @huggingface/transformers generate() (greedy) on the same base-only export
                   (with --transformers; checked token-for-token against ar-greedy)

Options:
  --prompts FILE           one prompt per line; repeatable (default: ${DEFAULT_PROMPTS.length} built-in prompts)
  --default-prompts        with --prompts: add the built-in prompts too
  --modes LIST             ar,dynamo,verified (default: all three)
  --epsilon LIST           DynaMo thresholds (default 0.25,0.5,0.75)
  --min-draft-p LIST|none  DynaMo with the draft head (dynamo-chain@P rows, base-only graph + draft
                           head): back-off thresholds (default: the model's, when it ships a draft head)
  --seeds LIST             seeds (default 1,2,3)
  --max-tokens N           new tokens per run (default 128)
  --warmup N               untimed warm-up runs per configuration (default 1)
  --tree-budget LIST       verified: drafted nodes per pass (default: 8 on the CPU, 24 on a GPU); more values add rows
  --paper                  dynamo: also the paper-literal preset at eps_b 0.5
  --head-rows all|last|N   verified: extra heads' logits at every node, the last, or the N nodes where
                           acceptance most likely stops (default: every node of a chain, 3 of a tree)
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
  'min-draft-p': { type: 'string' },
  seeds: { type: 'string' },
  'max-tokens': { type: 'string' },
  warmup: { type: 'string' },
  transformers: { type: 'boolean' },
  'head-rows': { type: 'string' },
  'verified-sampling': { type: 'boolean' },
  'tree-budget': { type: 'string' },
  paper: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

interface Config {
  readonly label: string;
  readonly mode: 'ar' | 'dynamo' | 'verified' | 'transformers';
  readonly baseline: string | undefined;
  /**
   * 'identical': the same tokens as its baseline for the same seed (checked); 'distribution':
   * exactly the baseline's distribution (speculative sampling); null: lossy.
   */
  readonly lossless: 'identical' | 'distribution' | null;
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
  const chainFlag = str(values, 'min-draft-p');
  const chainThresholds =
    chainFlag === undefined || chainFlag === 'none' ? undefined : numList(values, 'min-draft-p', { min: 0, max: 1 });
  const seeds = numList(values, 'seeds', { min: 0 }) ?? [1, 2, 3];
  const maxNewTokens = int(values, 'max-tokens', { min: 1 }) ?? 128;
  const warmup = int(values, 'warmup', { min: 0 }) ?? 1;
  const device = oneOf(values, 'device', DEVICES) ?? 'auto';
  const threads = int(values, 'threads', { min: 1 });
  const json = values.json === true;
  const headRows = headRowsFlag(values);
  const budgetFlag = intList(values, 'tree-budget', { min: 1 });
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
    draftHead: (wantDynamo && chainFlag !== 'none') || wantVerified,
    tables: wantDynamo || wantVerified,
  });
  const budgets = budgetFlag ?? [recommendedTreeBudget(bundle.device)];
  let tf: TransformersRunner | undefined;
  try {
    const multi = bundle.model;
    const base = bundle.baseModel!;
    const settings = defaultSettings((multi ?? base).metadata.decoding, overrides);
    const greedySettings = defaultSettings((multi ?? base).metadata.decoding, { ...overrides, greedy: true });
    const configs: Config[] = [];
    const wantVerifiedSampling = wantVerified && values['verified-sampling'] === true;
    const tables = bundle.tables;
    const heads = (multi ?? base).metadata.heads;
    const greedyRow = (label: string, drafter: (() => Drafter | undefined) | undefined, model = multi): Config => ({
      label,
      mode: 'verified',
      baseline: 'ar-greedy',
      sameAs: 'ar-greedy',
      lossless: 'identical',
      greedy: true,
      seeded: false,
      sampler: () => makeSampler('verified', greedySettings, undefined),
      ...(drafter && { drafter }),
      processors: makeProcessors(greedySettings),
      model,
    });
    if (modes.includes('ar') || wantDynamo || wantVerifiedSampling) {
      configs.push({
        label: 'ar',
        mode: 'ar',
        baseline: undefined,
        lossless: 'identical',
        greedy: false,
        seeded: true,
        sampler: () => makeSampler('ar', settings, undefined),
        processors: makeProcessors(settings),
        model: base,
      });
    }
    if (wantDynamo) {
      const presets: [string, SamplerSettings][] = epsilons.map((epsilon) => [
        `dynamo@${epsilon}`,
        { ...settings, epsilon },
      ]);
      if (values.paper === true) presets.push(['paper@0.5', { ...settings, preset: 'paper', epsilon: 0.5 }]);
      // DynaMo with the draft head (base-only graph + draft head), at the model's threshold unless given
      if (bundle.draftHead) {
        for (const p of chainThresholds ?? [settings.minDraftProbability]) {
          const s = { ...settings, minDraftProbability: p };
          configs.push({
            label: `dynamo-chain@${p}`,
            mode: 'dynamo',
            baseline: 'ar',
            lossless: null,
            greedy: false,
            seeded: true,
            sampler: () => makeSampler('dynamo', s, undefined, true),
            processors: makeProcessors(s),
            model: base,
          });
        }
      } else if (chainThresholds) {
        throw new DynamoError(
          DynamoErrorCode.INVALID_OPTION,
          `--min-draft-p needs a model folder with a draft head; ${bundle.dir} has none.`,
          { details: { option: 'min-draft-p' } },
        );
      }
      for (const [label, s] of presets) {
        configs.push({
          label,
          mode: 'dynamo',
          baseline: 'ar',
          lossless: null,
          greedy: false,
          seeded: true,
          sampler: () => makeSampler('dynamo', s, tables),
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
        lossless: 'identical',
        greedy: true,
        seeded: false,
        sampler: () => makeSampler('ar', greedySettings, undefined),
        processors: makeProcessors(greedySettings),
        model: base,
      });
    }
    if (wantVerified) {
      // 'verified' is what `dynamo generate --mode verified` runs: DynaMo candidate trees (with
      // tables), else per-head top-1 chains, else n-gram/prompt-lookup drafts.
      configs.push(greedyRow('verified', () => makeDrafter('auto', greedySettings, tables, heads, budgets[0])));
      for (const budget of budgets.slice(1)) {
        configs.push(
          greedyRow(`verified-tree@${budget}`, () => makeDrafter('tree', greedySettings, tables, heads, budget)),
        );
      }
      if (heads > 1) configs.push(greedyRow('verified-chain', () => makeDrafter('top1', greedySettings, tables)));
      if (heads > 1 && tables !== undefined) {
        configs.push(greedyRow('verified-dynamo-chain', () => makeDrafter('dynamo', greedySettings, tables)));
      }
      // Drafts for any causal LM: n-gram tables + prompt lookup on the base-only graph (chains there).
      configs.push(greedyRow('verified-ngram', () => makeDrafter('ngram', greedySettings, tables), base));
      // Chains from the model's draft head, on the base-only graph.
      if (bundle.draftHead) {
        configs.push(
          greedyRow('verified-head', () => makeDrafter('head', greedySettings, tables, 1, 8, base.draftHead), base),
        );
      }
    }
    if (wantVerifiedSampling) {
      // Lossless sampling: 'match' gives exactly ar's tokens for the same seed; 'speculative' gives
      // ar's distribution (and accepts stochastic drafts more often than match would).
      const drafter = () => makeDrafter('auto', settings, tables, heads, budgets[0]);
      configs.push({
        label: 'verified-sampling',
        mode: 'verified',
        baseline: 'ar',
        sameAs: 'ar',
        lossless: 'identical',
        greedy: false,
        seeded: true,
        sampler: () => makeSampler('verified', settings, undefined),
        drafter,
        processors: makeProcessors(settings),
        model: multi,
      });
      configs.push({
        label: 'verified-speculative',
        mode: 'verified',
        baseline: 'ar',
        lossless: 'distribution',
        greedy: false,
        seeded: true,
        verification: 'speculative',
        sampler: () => makeSampler('verified', settings, undefined),
        drafter,
        processors: makeProcessors(settings),
        model: multi,
      });
      if (bundle.draftHead) {
        // draft-head chains checked by speculative sampling: exactly ar's distribution
        configs.push({
          label: 'verified-head-speculative',
          mode: 'verified',
          baseline: 'ar',
          lossless: 'distribution',
          greedy: false,
          seeded: true,
          verification: 'speculative',
          sampler: () => makeSampler('verified', settings, undefined),
          drafter: () => makeDrafter('head', settings, tables, 1, 8, base.draftHead),
          processors: makeProcessors(settings),
          model: base,
        });
      }
    }
    if (wantTransformers) {
      tf = await transformersRunner(bundle.dir, threads);
      configs.push({
        label: 'transformers.js',
        mode: 'transformers',
        baseline: 'ar-greedy',
        sameAs: 'ar-greedy',
        lossless: 'identical',
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
        ...(c.mode === 'verified' && headRows !== undefined && { headRows }),
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

    const forwardPerPass = (t: Totals | undefined) =>
      t && t.decodePasses > 0 && t.forwardMs > 0 ? t.forwardMs / t.decodePasses : null;
    const rows: BenchRow[] = configs.map((c) => {
      const t = totals.get(c.label)!;
      const baseForward = forwardPerPass(c.baseline === undefined ? undefined : totals.get(c.baseline));
      const ownForward = forwardPerPass(t);
      const tps = t.ms > 0 ? (t.tokens * 1000) / t.ms : 0;
      const base = c.baseline === undefined ? undefined : totals.get(c.baseline);
      const baseTps = base && base.ms > 0 ? (base.tokens * 1000) / base.ms : undefined;
      const speedup = baseTps ? tps / baseTps : null;
      const tpp = t.passes > 0 ? t.tokens / t.passes : 0;
      return {
        config: c.label,
        mode: c.mode,
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
