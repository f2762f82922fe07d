import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import type { CoOccurrenceTables } from '@dynamojs/samplers';
import { int, intList, list, numList, oneOf, parse, str } from '../args.js';
import { CONSTRAINT_FLAGS, CONSTRAINT_HELP, constraintOptions } from '../constraintFlags.js';
import { decodingSettings, factsOf, loadAssistant } from '../decodingFlags.js';
import { DEFAULT_PROMPTS } from '../prompts.js';
import { benchConfigs } from './bench/benchConfigs.js';
import { type BenchReport, benchRows, formatTable } from './bench/benchReport.js';
import { runBench } from './bench/benchRun.js';
import { type CliContext, DEVICES, headRowsFlag, MODEL_FLAGS, SAMPLER_FLAGS } from './shared.js';
import { type TransformersRunner, transformersRunner } from './transformers.js';

export type { BenchReport, BenchRow } from './bench/benchReport.js';
export { formatTable } from './bench/benchReport.js';

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
  verified         greedy draft-and-verify as \`generate --mode verified --greedy\` runs it (the
                   resolver's choice for the model and device: n-gram drafts on the base-only graph
                   on a CPU, DynaMo trees on a GPU); checked token-for-token against ar-greedy
  verified-tree@B  DynaMo candidate trees of B nodes, at each --tree-budget
  verified-chain   per-head top-1 chains; verified-dynamo-chain: DynaMo joint chains
  verified-ngram   n-gram table + prompt-lookup drafts on the base-only graph (any causal LM)
  verified-head    chains from the model's draft head on the base-only graph (when it ships one);
                   verified-head-speculative with --verified-sampling (exactly ar's distribution)
  verified-assistant  (--assistant PATH) chains from the assistant model on the base-only graph;
                   verified-assistant-speculative with --verified-sampling
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
  --assistant PATH         verified: also rows drafted by this assistant model folder (same vocabulary;
                           loaded like --model, base-only graph, on the model's device)
  --assistant-k N, --assistant-min-p N   the assistant's first draft length and stop threshold
  --temperature, --top-k, --repetition-penalty, --alpha, --blur   sampler settings (see generate)
  --model PATH, --dtype NAME (a hub export's file: fp32, fp16, q8, q4, …), --device auto|cpu|cuda|webgpu, --threads N
${CONSTRAINT_HELP}  --json                   print the results as JSON instead of a table
  -h, --help               this help
`;

const FLAGS = {
  ...MODEL_FLAGS,
  ...SAMPLER_FLAGS,
  ...CONSTRAINT_FLAGS,
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
  assistant: { type: 'string' },
  'assistant-k': { type: 'string' },
  'assistant-min-p': { type: 'string' },
  json: { type: 'boolean' },
} as const;

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
  // --tree-budget is a list here (one row per budget: budgetFlag), not one setting
  const settings = decodingSettings({ ...values, 'tree-budget': undefined });
  const assistantPath = str(values, 'assistant');

  const wantDynamo = modes.includes('dynamo');
  const wantVerified = modes.includes('verified');
  const wantTransformers = values.transformers === true;
  // every row is compared with others: load what any row may need, then plan the rows from it
  const bundle = await ctx.loader({
    modelPath: str(values, 'model'),
    ...(str(values, 'dtype') !== undefined && { dtype: str(values, 'dtype') as string }),
    device,
    threads,
    multi: wantDynamo || wantVerified,
    base: true,
    draftHead: (wantDynamo && chainFlag !== 'none') || wantVerified,
    tables: wantDynamo || wantVerified,
  });
  let tf: TransformersRunner | undefined;
  let assistant: Awaited<ReturnType<typeof loadAssistant>> | undefined;
  try {
    const configs = benchConfigs(
      {
        modes,
        settings,
        epsilons,
        chainThresholds: chainFlag === 'none' ? 'none' : chainThresholds,
        budgets: budgetFlag,
        paper: values.paper === true,
        verifiedSampling: values['verified-sampling'] === true,
        transformers: wantTransformers,
        assistant: assistantPath !== undefined && wantVerified,
      },
      { ...factsOf(bundle), device: bundle.device },
    );
    if (assistantPath !== undefined) {
      if (wantVerified) assistant = await loadAssistant(ctx, assistantPath, { device: bundle.device, threads });
      else ctx.stderr.write('note: --assistant adds verified rows only (--modes without verified).\n');
    }
    if (wantTransformers) tf = await transformersRunner(bundle.dir, threads);
    // with a constraint every run ends where the grammar does (eos is ignored; at most --max-tokens)
    const structured = await constraintOptions(values, bundle.tokenizer, ctx);
    if (structured.constraint !== undefined && wantTransformers) {
      ctx.stderr.write('note: the transformers.js row runs unconstrained (--json-schema / --grammar / --regex).\n');
    }
    const totals = await runBench(
      configs,
      {
        bundle,
        runtime: {
          tables: bundle.tables as CoOccurrenceTables | undefined,
          draftHead: bundle.baseModel?.draftHead,
          device: bundle.device,
          ...(assistant !== undefined && { assistant: assistant.model }),
        },
        prompts: prompts.map((p) => bundle.tokenizer.encode(p)),
        seeds,
        maxNewTokens,
        warmup,
        headRows,
        transformers: tf,
        constraint: structured.constraint,
        forcedRuns: structured.forcedRuns,
      },
      ctx,
    );
    const report: BenchReport = {
      model: bundle.dir,
      device: bundle.device,
      threads: threads ?? null,
      maxNewTokens,
      prompts: prompts.length,
      seeds,
      ...(structured.describe !== undefined && { constraint: structured.describe, forcedRuns: structured.forcedRuns }),
      settings: configs.find((c) => c.plan !== undefined)?.plan?.settings,
      node: process.version,
      date: new Date().toISOString(),
      rows: benchRows(configs, totals),
    };
    ctx.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`);
    return 0;
  } catch (error) {
    ctx.stderr.write('\n'); // end the progress bar's line before the error line
    throw error;
  } finally {
    await tf?.dispose();
    await assistant?.dispose();
    await bundle.dispose();
  }
}
