import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { type GenerateResult, type GenerationMode, generate, MODES, stream } from '@dynamojs/generate';
import { DYNAMO_PRESETS, type DynamoPreset, recommendedTreeBudget } from '@dynamojs/samplers';
import { int, num, oneOf, parse, str } from '../args.js';
import { DRAFTERS, defaultSettings, makeDrafter, makeProcessors, makeSampler } from '../samplerFactory.js';
import {
  type CliContext,
  compareLine,
  DEVICES,
  headRowsFlag,
  MODEL_FLAGS,
  SAMPLER_FLAGS,
  statsLine,
} from './shared.js';

export const GENERATE_HELP = `Usage: dynamo generate "prompt" [options]

Generates a continuation of the prompt, streaming the text to stdout, then prints a statistics
line (tokens/s, tokens per pass, device) to stderr.

Options:
  --mode ar|dynamo|verified   ar: one token per pass (base-only graph); dynamo: DynaMo multi-token
                              sampling (default; lossy: at ar's quality by dynamo eval's criterion
                              with a draft head, see --joint);
                              verified: lossless draft-and-verify — exactly ar's tokens (greedy or
                              same seed), several per pass from candidate trees
  --joint chain|heads         dynamo: how the joint of the emitted tokens is estimated. chain: the
                              model's draft head, fed each drawn token, continues the base head
                              (base-only graph; default when the model ships a draft head);
                              heads: the DynaMo heads' marginals with co-occurrence masking (the
                              paper's; the multi-head graph)
  --min-draft-p N             dynamo chain: emit one more token only while the draft head's top
                              probability is at least N, in [0, 1] (default: the model's, else 0.2)
  --chain-length N            dynamo chain: most tokens per pass, 1..16 (default: the model's, else 4)
  --epsilon N                 DynaMo heads: threshold eps_b in [0, 1] (default: the model's, else 0.5)
  --max-tokens N              most new tokens (default 128)
  --seed N                    RNG seed (default: random)
  --greedy                    argmax instead of sampling (ar, verified)
  --temperature N             sampling temperature (default: the model's, else 0.7)
  --top-k N                   top-k (default: the model's, else 50)
  --repetition-penalty N      (default: the model's, else 1.1; 1 with --greedy)
  --alpha N                   co-occurrence weighting strength (dynamo; default: the model's,
                              else the preset's: 0.9 calibrated, 1 paper)
  --blur N                    blur kernel size of the adaptive threshold (dynamo; default 3)
  --drafter auto|tree|ngram|head|top1|dynamo|dynamo-sample
                              verified: what drafts the tokens the base head then checks.
                              head: chains from the model's draft head (base-only graph; with
                              --verification speculative, exactly ar's distribution);
                              tree: DynaMo candidate trees (extra heads + n-gram tables + prompt
                              lookup); ngram: tables + prompt lookup, checked on the base-only
                              graph (no heads: the fastest on a CPU); top1: per-head top-1 chains;
                              dynamo / dynamo-sample: the DynaMo joint's best / a sampled cell as
                              a chain. auto (default): tree when the model has ngrams.bin, else
                              top1 (or ngram on a 1-head model)
  --tree-budget N             verified: most drafted tokens per pass (default: 8 on the CPU, 24 on a GPU)
  --preset calibrated|paper   dynamo: the sampler preset (default calibrated; paper: Algorithm 1
                              read literally)
  --verification match|speculative     verified: exact-match (default; same tokens as ar with
                             the same seed) or speculative sampling (same distribution; needs sampling)
  --head-rows all|last|N     verified: extra heads' logits at every node, the last, or the N nodes
                              where acceptance most likely stops (default: every node of a chain,
                              3 of a tree)
  --stop STRING               stop string (repeatable)
  --model PATH                model folder (default: the bundled reference model)
  --device auto|cpu|cuda|webgpu   (default auto)
  --threads N                 CPU threads per session
  --compare                   first generate with ar (one token per pass, base-only graph) and the
                              same seed, then with --mode, and compare tokens/s and the text
  --json                      print one JSON object (text, tokens, steps, stats) instead of streaming
  -h, --help                  this help
`;

const FLAGS = {
  ...MODEL_FLAGS,
  ...SAMPLER_FLAGS,
  mode: { type: 'string' },
  epsilon: { type: 'string' },
  'max-tokens': { type: 'string' },
  seed: { type: 'string' },
  stop: { type: 'string', multiple: true },
  drafter: { type: 'string' },
  'tree-budget': { type: 'string' },
  preset: { type: 'string' },
  'head-rows': { type: 'string' },
  verification: { type: 'string' },
  json: { type: 'boolean' },
  compare: { type: 'boolean' },
  joint: { type: 'string' },
  'min-draft-p': { type: 'string' },
  'chain-length': { type: 'string' },
} as const;

export async function generateCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS);
  if (values.help) {
    ctx.stdout.write(GENERATE_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `dynamo generate takes one prompt (quote it), got ${positionals.length} arguments. See --help.`,
      { details: { option: 'prompt' } },
    );
  }
  const prompt = positionals[0] as string;
  const mode: GenerationMode = oneOf(values, 'mode', MODES) ?? 'dynamo';
  const device = oneOf(values, 'device', DEVICES) ?? 'auto';
  const maxNewTokens = int(values, 'max-tokens', { min: 1 }) ?? 128;
  const seed = int(values, 'seed', { min: 0 });
  const threads = int(values, 'threads', { min: 1 });
  const epsilon = num(values, 'epsilon', { min: 0, max: 1 });
  const overrides = {
    greedy: values.greedy === true,
    temperature: num(values, 'temperature', { min: 0, minExclusive: true }),
    topK: int(values, 'top-k', { min: 1 }),
    repetitionPenalty: num(values, 'repetition-penalty', { min: 0, minExclusive: true }),
    alpha: num(values, 'alpha', { min: 0 }),
    blur: int(values, 'blur', { min: 1 }),
    epsilon,
    preset: oneOf(values, 'preset', Object.keys(DYNAMO_PRESETS) as DynamoPreset[]),
    minDraftProbability: num(values, 'min-draft-p', { min: 0, max: 1 }),
    chainLength: int(values, 'chain-length', { min: 1, max: 16 }),
  };
  const joint = oneOf(values, 'joint', ['chain', 'heads'] as const);
  const stop = values.stop as string[] | undefined;
  const drafterKind = oneOf(values, 'drafter', DRAFTERS) ?? 'auto';
  const treeBudgetFlag = int(values, 'tree-budget', { min: 1, max: 4096 });
  const verification = oneOf(values, 'verification', ['match', 'speculative'] as const);
  const headRows = headRowsFlag(values);
  const json = values.json === true;

  const compare = values.compare === true;
  // n-gram and draft-head drafts need no extra head: verify them on the base-only graph (no head
  // layers to pay for).
  const baseVerifies = mode === 'verified' && (drafterKind === 'ngram' || drafterKind === 'head');
  const bundle = await ctx.loader({
    modelPath: str(values, 'model'),
    device,
    threads,
    multi: mode === 'dynamo' && joint !== 'heads' ? 'unless-draft-head' : mode !== 'ar' && !baseVerifies,
    base: mode === 'ar' || compare || baseVerifies,
    draftHead: (mode === 'dynamo' && joint !== 'heads') || (mode === 'verified' && drafterKind === 'head'),
    tables: mode === 'dynamo' || (mode === 'verified' && drafterKind !== 'top1'),
  });
  if (joint === 'chain' && bundle.draftHead !== true) {
    await bundle.dispose();
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `--joint chain needs a model folder with a draft head (a "draft-head" file in dynamo.json); ${bundle.dir} has none. Use --joint heads.`,
      { details: { option: 'joint', actual: 'chain' } },
    );
  }
  // DynaMo continues the base with the draft head on the base-only graph when the model has one
  const chain = bundle.draftHead === true;
  let cleanup = () => {};
  try {
    const modelOf = (m: GenerationMode) => {
      const model =
        m === 'ar' || (m === 'verified' && baseVerifies) || (m === 'dynamo' && chain) ? bundle.baseModel : bundle.model;
      if (model === undefined) throw new DynamoError(DynamoErrorCode.INTERNAL, 'No model was loaded.');
      return model;
    };
    const model = modelOf(mode);
    const treeBudget = treeBudgetFlag ?? recommendedTreeBudget(bundle.device);
    const settings = defaultSettings(model.metadata.decoding ?? bundle.model?.metadata.decoding, overrides);
    if (mode === 'dynamo' && !chain && bundle.tables === undefined) {
      ctx.stderr.write(`note: ${bundle.dir} has no ngrams.bin: DynaMo runs without co-occurrence masking.\n`);
    }
    // Ctrl-C stops the generation after the current pass; the partial text and statistics still print.
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    cleanup = () => process.off('SIGINT', onSigint);
    const optionsFor = (m: GenerationMode, tokens: number, s: number | undefined) => {
      const sampler = makeSampler(m, settings, bundle.tables, chain);
      const drafter =
        m === 'verified'
          ? makeDrafter(
              drafterKind,
              settings,
              bundle.tables,
              modelOf(m).metadata.heads,
              treeBudget,
              bundle.baseModel?.draftHead,
            )
          : undefined;
      return {
        sampler,
        options: {
          signal: controller.signal,
          model: modelOf(m),
          tokenizer: bundle.tokenizer,
          prompt,
          mode: m,
          sampler,
          processors: makeProcessors(settings),
          ...(drafter && { drafter }),
          ...(headRows && m === 'verified' && { headRows }),
          ...(verification && m === 'verified' && { verification }),
          maxNewTokens: tokens,
          ...(s !== undefined && { seed: s }),
          ...(stop !== undefined && { stop }),
        },
      };
    };
    const runs: { mode: GenerationMode; result: GenerateResult }[] = [];
    // --compare: ar first, then the mode, with one seed; both warmed up untimed first, so neither
    // pays the process's first-run costs.
    const sequence: GenerationMode[] = compare && mode !== 'ar' ? ['ar', mode] : [mode];
    const runSeed = seed ?? (compare ? Math.floor(Math.random() * 2 ** 31) : undefined);
    if (compare) {
      for (const m of sequence) await generate(optionsFor(m, Math.min(8, maxNewTokens), runSeed).options);
    }
    for (const m of sequence) {
      const { sampler, options } = optionsFor(m, maxNewTokens, runSeed);
      if (!json)
        ctx.stdout.write(compare ? `${m === 'ar' ? '── ar (one token per pass)' : `── ${m}`}\n${prompt}` : prompt);
      for await (const event of stream(options)) {
        if (event.type === 'text' && !json) ctx.stdout.write(event.text);
        if (event.type === 'done') {
          const r = event.result;
          runs.push({ mode: m, result: r });
          if (json) {
            ctx.stdout.write(
              `${JSON.stringify({ prompt, mode: m, model: bundle.dir, device: bundle.device, ...r, sampler: sampler.name, settings })}\n`,
            );
          } else {
            ctx.stdout.write('\n');
            ctx.stderr.write(`${statsLine(r.stats, r.finishReason)}\n`);
          }
        }
      }
    }
    if (compare && !json && runs.length === 2) {
      // DynaMo with the draft head at the model's own settings: what dynamo eval measured for them
      const d = model.metadata.decoding;
      const modelSettings =
        chain &&
        mode === 'dynamo' &&
        d?.minDraftProbability === settings.minDraftProbability &&
        (d?.draftTemperatureRatio ?? 1) === settings.draftTemperatureRatio &&
        (d?.chainLength ?? settings.chainLength) === settings.chainLength &&
        overrides.temperature === undefined &&
        overrides.topK === undefined &&
        overrides.repetitionPenalty === undefined;
      const note = modelSettings
        ? "lossy, drafted by the model's draft head; at these settings (the model's) it meets dynamo eval's same-quality criterion vs ar"
        : undefined;
      ctx.stderr.write(`${compareLine(runs[0]!.result, runs[1]!.result, note)}\n`);
    }
    return 0;
  } finally {
    cleanup();
    await bundle.dispose();
  }
}
