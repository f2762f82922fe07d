import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { type GenerationMode, MODES, stream } from '@dynamojs/generate';
import { int, num, oneOf, parse, str } from '../args.js';
import { defaultSettings, makeDrafter, makeProcessors, makeSampler } from '../samplerFactory.js';
import { type CliContext, DEVICES, MODEL_FLAGS, SAMPLER_FLAGS, statsLine } from './shared.js';

export const GENERATE_HELP = `Usage: dynamo generate "prompt" [options]

Generates a continuation of the prompt, streaming the text to stdout, then prints a statistics
line (tokens/s, tokens per pass, device) to stderr.

Options:
  --mode ar|dynamo|verified   ar: one token per pass (base-only graph); dynamo: DynaMo multi-token
                              sampling (default); verified: lossless draft-and-verify
  --epsilon N                 DynaMo threshold eps_b in [0, 1] (default: the model's, else 0.5)
  --max-tokens N              most new tokens (default 128)
  --seed N                    RNG seed (default: random)
  --greedy                    argmax instead of sampling (ar, verified)
  --temperature N             sampling temperature (default: the model's, else 0.7)
  --top-k N                   top-k (default: the model's, else 50)
  --repetition-penalty N      (default: the model's, else 1.1; 1 with --greedy)
  --alpha N                   co-occurrence mask strength (dynamo; default 1)
  --blur N                    blur kernel size of the adaptive threshold (dynamo; default 3)
  --drafter top1|dynamo|dynamo-sample   verified: per-head top-1 drafts (default), the DynaMo
                             joint's best cell, or a cell drawn from it (needs ngrams.bin)
  --verification match|speculative     verified: exact-match (default; same tokens as ar with
                             the same seed) or speculative sampling (same distribution; needs sampling)
  --head-rows all|last       verified: extra heads' logits at every chunk row (default) or the last only
  --stop STRING               stop string (repeatable)
  --model PATH                model folder (default: the bundled reference model)
  --device auto|cpu|cuda|webgpu   (default auto)
  --threads N                 CPU threads per session
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
  'head-rows': { type: 'string' },
  verification: { type: 'string' },
  json: { type: 'boolean' },
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
  };
  const stop = values.stop as string[] | undefined;
  const drafterKind = oneOf(values, 'drafter', ['top1', 'dynamo', 'dynamo-sample'] as const) ?? 'top1';
  const verification = oneOf(values, 'verification', ['match', 'speculative'] as const);
  const headRows = oneOf(values, 'head-rows', ['all', 'last'] as const);
  const json = values.json === true;

  const bundle = await ctx.loader({
    modelPath: str(values, 'model'),
    device,
    threads,
    multi: mode !== 'ar',
    base: mode === 'ar',
    tables: mode === 'dynamo' || drafterKind !== 'top1',
  });
  let cleanup = () => {};
  try {
    const model = mode === 'ar' ? bundle.baseModel : bundle.model;
    if (model === undefined) throw new DynamoError(DynamoErrorCode.INTERNAL, 'No model was loaded.');
    const settings = defaultSettings(model.metadata.decoding ?? bundle.model?.metadata.decoding, overrides);
    if (mode === 'dynamo' && bundle.tables === undefined) {
      ctx.stderr.write(`note: ${bundle.dir} has no ngrams.bin: DynaMo runs without co-occurrence masking.\n`);
    }
    const sampler = makeSampler(mode, settings, bundle.tables);
    const drafter = mode === 'verified' ? makeDrafter(drafterKind, settings, bundle.tables) : undefined;
    // Ctrl-C stops the generation after the current pass; the partial text and statistics still print.
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    cleanup = () => process.off('SIGINT', onSigint);
    const events = stream({
      signal: controller.signal,
      model,
      tokenizer: bundle.tokenizer,
      prompt,
      mode,
      sampler,
      processors: makeProcessors(settings),
      ...(drafter && { drafter }),
      ...(headRows && mode === 'verified' && { headRows }),
      ...(verification && mode === 'verified' && { verification }),
      maxNewTokens,
      ...(seed !== undefined && { seed }),
      ...(stop !== undefined && { stop }),
    });
    if (!json) ctx.stdout.write(prompt);
    for await (const event of events) {
      if (event.type === 'text' && !json) ctx.stdout.write(event.text);
      if (event.type === 'done') {
        const r = event.result;
        if (json) {
          ctx.stdout.write(
            `${JSON.stringify({ prompt, mode, model: bundle.dir, device: bundle.device, ...r, sampler: sampler.name, settings })}\n`,
          );
        } else {
          ctx.stdout.write('\n');
          ctx.stderr.write(`${statsLine(r.stats, r.finishReason)}\n`);
        }
      }
    }
    return 0;
  } finally {
    cleanup();
    await bundle.dispose();
  }
}
