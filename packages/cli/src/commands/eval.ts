import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import {
  buildReport,
  DEFAULT_CHAIN_THRESHOLDS,
  DEFAULT_EVAL_PROMPTS,
  type EvalSamplerSettings,
  multiTokenPerplexity,
  type PerplexityReport,
  parsePrompts,
  REPORT_FILES,
  runSweep,
  type SweepProgress,
  type SweepResults,
} from '@dynamojs/eval';
import {
  type CoOccurrenceTables,
  DYNAMO_PRESETS,
  type DynamoPreset,
  recommendedDynamoOptions,
} from '@dynamojs/samplers';
import { int, num, numList, oneOf, parse, str } from '../args.js';
import { svgToPng } from '../png.js';
import { type CliContext, DEVICES, fmt, MODEL_FLAGS } from './shared.js';

const DEFAULT_EPS = '0,0.05,...,1';

export const EVAL_HELP = `Usage: dynamo eval --out DIR [options]

Measures DynaMo's quality and speed-up against autoregressive sampling and writes a report to
DIR: report.md, report.json, samples.json (every continuation, resumable), quality-speedup.svg /
.png and emission-shares.svg / .png. What it measures and how to read it:
https://github.com/dynamojs/dynamojs/blob/main/docs/eval.md

For every prompt × seed it generates with: ar (base-only graph, top-k sampling), dynamo at each
eps_b (same temperature, top-k and repetition penalty), the paper-literal ablation rows at
eps_b = 0.5 (the paper's Table 9) and verified (lossless); each continuation is scored by the base
model (oracle NLL and per-token surprisal), repetition and distinct-1/2, and judged by the
same-quality criterion (see the link above); speed-ups are tokens/s ratios to ar measured in the
same run. With --text it also measures PPL_1..n, PPL_1:n (independent and co-occurrence-masked
joint) and PPL_d.

A run resumes from DIR/samples.json when it exists (same model and settings): continuations
already there are not generated again. --fresh starts over.

Options:
  --out DIR                report folder (created)
  --model PATH             model folder (default: the bundled reference model)
  --prompts FILE           one prompt per line (# comments); repeatable
                           (default: ${DEFAULT_EVAL_PROMPTS.length} built-in prompts)
  --default-prompts        with --prompts: add the built-in prompts too
  --text FILE              held-out text for the perplexity table
  --ppl-tokens N           first N tokens of --text (default 8192)
  --ppl-eps LIST           eps_b values of PPL_d (default 0.25,0.5,0.75)
  --seeds LIST             seeds (default 1,2,3)
  --eps LIST               eps_b sweep (default ${DEFAULT_EPS}: 21 values)
  --max-tokens N           new tokens per continuation, eos ignored (default 64)
  --skip-ablations         leave out the ablation rows
  --skip-verified          leave out verified
  --warmup N               untimed warm-up generations per configuration (default 1)
  --fresh                  ignore an existing DIR/samples.json
  --skip-png               SVG only (PNG needs playwright-core and chromium; skipped if missing)
  --temperature T, --top-k K, --repetition-penalty P
                           shared by every configuration (defaults 0.7, 50, 1.1); the repetition
                           penalty is applied to every head's logits, ar included
  --preset calibrated|paper    DynaMo preset of the eps_b sweep (default calibrated; the
                           ablation rows always use paper)
  --alpha A, --blur N      DynaMo weighting strength (default: the preset's) and blur (3)
  --head-temperature LIST  DynaMo extra heads' temperature(s) in the joint (default: the model's,
                           else the preset's)
  --tree-budget N          drafted nodes per pass of the verified-tree rows (default 8)
  --renormalize full|mass|none   DynaMo's joint after masking (default full; see the DynaMo sampler's docs)
  --chain-thresholds LIST|none   DynaMo with the draft head: the back-off thresholds of its rows
                           (default ${DEFAULT_CHAIN_THRESHOLDS.join(',')} when the model ships a draft head; none: no rows)
  --chain-length N, --draft-temperature-ratio R
                           the chain rows' most tokens per pass and draft temperature ratio
                           (default: the model's, else 4 and 1)
  --dtype NAME, --device auto|cpu|cuda|webgpu, --threads N
  -h, --help               this help
`;

const FLAGS = {
  ...MODEL_FLAGS,
  out: { type: 'string' },
  prompts: { type: 'string', multiple: true },
  'default-prompts': { type: 'boolean' },
  text: { type: 'string' },
  'ppl-tokens': { type: 'string' },
  'ppl-eps': { type: 'string' },
  seeds: { type: 'string' },
  eps: { type: 'string' },
  'max-tokens': { type: 'string' },
  'skip-ablations': { type: 'boolean' },
  'skip-verified': { type: 'boolean' },
  warmup: { type: 'string' },
  fresh: { type: 'boolean' },
  'skip-png': { type: 'boolean' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  alpha: { type: 'string' },
  blur: { type: 'string' },
  'repetition-penalty': { type: 'string' },
  renormalize: { type: 'string' },
  preset: { type: 'string' },
  'head-temperature': { type: 'string' },
  'chain-thresholds': { type: 'string' },
  'chain-length': { type: 'string' },
  'draft-temperature-ratio': { type: 'string' },
  'tree-budget': { type: 'string' },
} as const;

function progressLine(p: SweepProgress): string {
  const width = 30;
  const filled = Math.round((p.done / p.total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} ${p.config} · seed ${p.seed}${p.skipped ? ` · ${p.skipped} resumed` : ''}`;
}

/** `--eps 0,0.05,...,1` style ranges are accepted as well as plain lists. */
function epsList(values: Record<string, unknown>): number[] | undefined {
  const raw = str(values, 'eps');
  if (raw === undefined) return undefined;
  const range = /^\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*\.\.\.\s*,\s*([\d.]+)\s*$/.exec(raw);
  if (range) {
    const [a, b, c] = [Number(range[1]), Number(range[2]), Number(range[3])];
    const step = b - a;
    if (!(step > 0) || !(c >= b) || !Number.isFinite(step) || c > 1) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `--eps range "${raw}" needs 0 ≤ start < next ≤ end ≤ 1.`, {
        details: { option: 'eps', actual: raw },
      });
    }
    const count = Math.round((c - a) / step);
    return Array.from({ length: count + 1 }, (_, i) => Math.round((a + i * step) * 1e6) / 1e6);
  }
  return numList(values, 'eps', { min: 0, max: 1 });
}

async function readPrevious(ctx: CliContext, path: string): Promise<SweepResults | undefined> {
  let text: string;
  try {
    text = await ctx.readText(path);
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as SweepResults;
  } catch (cause) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `${path} is not valid JSON; use --fresh to start over.`, {
      details: { option: 'out' },
      cause,
    });
  }
}

export async function evalCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS);
  if (values.help) {
    ctx.stdout.write(EVAL_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `dynamo eval takes no arguments, got "${positionals[0]}".`, {
      details: { option: 'arguments' },
    });
  }
  const out = str(values, 'out');
  if (out === undefined) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'dynamo eval needs --out DIR. See --help.', {
      details: { option: 'out' },
    });
  }
  const epsilons = epsList(values);
  const seeds = numList(values, 'seeds', { min: 0 }) ?? [1, 2, 3];
  const maxNewTokens = int(values, 'max-tokens', { min: 1 }) ?? 64;
  const warmup = int(values, 'warmup', { min: 0 }) ?? 1;
  const pplTokens = int(values, 'ppl-tokens', { min: 4 }) ?? 8192;
  const pplEps = numList(values, 'ppl-eps', { min: 0, max: 1 }) ?? [0.25, 0.5, 0.75];
  const device = oneOf(values, 'device', DEVICES) ?? 'auto';
  const threads = int(values, 'threads', { min: 1 });
  const settings: Partial<EvalSamplerSettings> = Object.fromEntries(
    Object.entries({
      temperature: num(values, 'temperature', { min: 0, minExclusive: true }),
      topK: int(values, 'top-k', { min: 1, max: 128 }),
      alpha: num(values, 'alpha', { min: 0 }),
      blur: int(values, 'blur', { min: 0 }),
      repetitionPenalty: num(values, 'repetition-penalty', { min: 0, minExclusive: true }),
      renormalize: oneOf(values, 'renormalize', ['full', 'mass', 'none'] as const),
      preset: oneOf(values, 'preset', Object.keys(DYNAMO_PRESETS) as DynamoPreset[]),
      headTemperature: numList(values, 'head-temperature', { min: 0 }),
      treeBudget: int(values, 'tree-budget', { min: 1, max: 4096 }),
      chainLength: int(values, 'chain-length', { min: 1, max: 16 }),
      draftTemperatureRatio: num(values, 'draft-temperature-ratio', { min: 0, minExclusive: true, max: 10 }),
    }).filter(([, v]) => v !== undefined),
  );
  const chainFlag = str(values, 'chain-thresholds');
  const chainThresholds =
    chainFlag === undefined || chainFlag === 'none'
      ? undefined
      : numList(values, 'chain-thresholds', { min: 0, max: 1 });
  const promptFiles = (values.prompts as string[] | undefined) ?? [];
  const prompts: string[] = [];
  for (const file of promptFiles) {
    const lines = parsePrompts(await ctx.readText(file));
    if (lines.length === 0) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `--prompts ${file} holds no prompt.`, {
        details: { option: 'prompts' },
      });
    }
    prompts.push(...lines);
  }
  if (promptFiles.length === 0 || values['default-prompts'] === true) prompts.push(...DEFAULT_EVAL_PROMPTS);
  const textFile = str(values, 'text');
  const text = textFile === undefined ? undefined : await ctx.readText(textFile);
  const samplesPath = join(out, REPORT_FILES.samples);
  const previous = values.fresh === true ? undefined : await readPrevious(ctx, samplesPath);
  await mkdir(out, { recursive: true });

  const bundle = await ctx.loader({
    modelPath: str(values, 'model'),
    ...(str(values, 'dtype') !== undefined && { dtype: str(values, 'dtype') as string }),
    device,
    threads,
    multi: true,
    base: true,
    draftHead: chainFlag !== 'none',
    tables: true,
  });
  const write = (name: string, data: string | Uint8Array) =>
    ctx.writeFile(join(out, name), typeof data === 'string' ? new TextEncoder().encode(data) : data);
  let lastLine = -1;
  try {
    const model = bundle.model as NonNullable<typeof bundle.model>;
    // The model's recommended extra-head temperature for the sweep's preset, unless given.
    if (settings.headTemperature === undefined) {
      const recommended = recommendedDynamoOptions(model.metadata.decoding, settings.preset ?? 'calibrated');
      if (recommended.headTemperature !== undefined) {
        (settings as { headTemperature?: number | readonly number[] }).headTemperature = recommended.headTemperature;
      }
    }
    // DynaMo with the draft head: the model's recommended chain settings, unless given
    const decoding = (bundle.baseModel ?? model).metadata.decoding;
    const mutable = settings as { chainLength?: number; draftTemperatureRatio?: number };
    if (mutable.chainLength === undefined && decoding?.chainLength !== undefined)
      mutable.chainLength = decoding.chainLength;
    if (mutable.draftTemperatureRatio === undefined && decoding?.draftTemperatureRatio !== undefined)
      mutable.draftTemperatureRatio = decoding.draftTemperatureRatio;
    const chainRows =
      chainFlag === 'none' ? undefined : (chainThresholds ?? (bundle.draftHead ? DEFAULT_CHAIN_THRESHOLDS : undefined));
    if (chainThresholds && !bundle.draftHead) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `--chain-thresholds needs a model folder with a draft head; ${bundle.dir} has none.`,
        { details: { option: 'chain-thresholds' } },
      );
    }
    if (previous) ctx.stderr.write(`resuming from ${samplesPath} (${previous.samples?.length ?? 0} continuations)\n`);
    const results = await runSweep({
      model,
      ...(bundle.baseModel && { baseModel: bundle.baseModel }),
      tokenizer: bundle.tokenizer,
      prompts,
      seeds,
      ...(epsilons && { epsilons }),
      maxNewTokens,
      warmup,
      settings,
      ...(bundle.tables !== undefined && { tables: bundle.tables as CoOccurrenceTables }),
      ablations: values['skip-ablations'] !== true,
      verified: values['skip-verified'] !== true,
      ...(chainRows && { chainThresholds: chainRows }),
      ...(previous && { previous }),
      onProgress(p) {
        // A live bar on a terminal; otherwise (logs, CI) one line per 10%.
        if (ctx.stderr.isTTY) ctx.stderr.write(`\r${progressLine(p)}`.padEnd(90));
        else {
          const decile = Math.floor((10 * p.done) / p.total);
          if (decile > lastLine) {
            lastLine = decile;
            ctx.stderr.write(`${progressLine(p)}\n`);
          }
        }
      },
      onCheckpoint: (partial) => write(REPORT_FILES.samples, `${JSON.stringify(partial)}\n`),
    });
    if (ctx.stderr.isTTY) ctx.stderr.write('\n');

    let perplexity: PerplexityReport | undefined;
    if (text !== undefined) {
      const ids = bundle.tokenizer.encode(text).slice(0, pplTokens);
      ctx.stderr.write(`perplexity over ${ids.length} tokens of ${textFile}\n`);
      perplexity = await multiTokenPerplexity(model, ids, {
        epsilons: pplEps,
        ...(bundle.tables !== undefined && {
          masked: {
            tables: bundle.tables as CoOccurrenceTables,
            topK: results.settings.topK,
            alpha: results.settings.alpha ?? DYNAMO_PRESETS[results.settings.preset].alpha,
          },
        }),
      });
    }
    const command = ['dynamo', 'eval', ...argv]
      .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`))
      .join(' ');
    const report = await buildReport(results, {
      ...(perplexity && { perplexity }),
      context: { command, ...(textFile && { textSource: textFile }) },
    });
    for (const [name, data] of Object.entries(report.files)) await write(name, data);
    if (values['skip-png'] !== true) {
      const svgNames = [REPORT_FILES.qualityPlot, REPORT_FILES.emissionPlot];
      const pngs = await svgToPng(svgNames.map((n) => report.files[n] as string));
      if (pngs)
        for (const [i, png] of pngs.entries()) await write((svgNames[i] as string).replace(/\.svg$/, '.png'), png);
      else ctx.stderr.write('PNG skipped (playwright-core or chromium unavailable); the SVG plots are written.\n');
    }
    const s = report.summary;
    const chainLine = s.chainSameQuality
      ? `draft head: ${fmt(s.chainSameQuality.tokensPerPass)} tokens/pass at the same quality (min draft p ${s.chainSameQuality.minDraftProbability}, ${fmt(s.chainSameQuality.speedup)}x) · `
      : s.chain.length
        ? 'draft head: no row at the same quality · '
        : '';
    ctx.stdout.write(
      `${chainLine}same-quality speed-up ${fmt(s.sameQualitySpeedup)}x${s.sameQualityEpsilon === null ? '' : ` (eps_b ${s.sameQualityEpsilon})`}` +
        `${s.crossingSpeedup === null ? '' : ` · win-rate crossing ${fmt(s.crossingSpeedup)}x`}` +
        `${s.verified ? ` · verified ${fmt(s.verified.speedup)}x` : ''} · report ${join(out, REPORT_FILES.markdown)}\n`,
    );
    return 0;
  } catch (error) {
    if (ctx.stderr.isTTY) ctx.stderr.write('\n');
    throw error;
  } finally {
    await bundle.dispose();
  }
}
