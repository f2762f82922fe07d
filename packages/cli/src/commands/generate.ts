import {
  type ChatMessage,
  DynamoError,
  DynamoErrorCode,
  isDynamoError,
  type MultiTokenModel,
  type TextTokenizer,
} from '@dynamojs/core';
import {
  type DecodingMode,
  type DecodingPlan,
  type GenerateResult,
  type GenerationMode,
  generate,
  MODES,
  resolveDecoding,
  stream,
} from '@dynamojs/generate';
import type { CoOccurrenceTables } from '@dynamojs/samplers';
import { int, oneOf, parse, str } from '../args.js';
import { CONSTRAINT_FLAGS, CONSTRAINT_HELP, constraintOptions } from '../constraintFlags.js';
import { decodingSettings, loadAssistant, loadPlanned, modelFor, releaseDrafter } from '../decodingFlags.js';
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
line (tokens/s, tokens per pass, device) to stderr. With --chat, the prompt is a user message
rendered with the model's chat template (instruct models) and the reply is printed.

Options:
  --mode ar|dynamo|verified   ar: one token per pass (base-only graph); dynamo: DynaMo multi-token
                              sampling (the default on a DynaMo model; lossy: at ar's quality by
                              dynamo eval's criterion with a draft head, see --joint);
                              verified: lossless draft-and-verify — exactly ar's tokens (greedy or
                              same seed), several per pass from candidate trees (the default on a
                              plain one-head model; ar on a q8 one, where verified is not lossless)
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
  --greedy                    argmax instead of sampling (ar, verified; dynamo: the heads' top-1)
  --temperature N             sampling temperature (default: the model's, else 0.7)
  --top-k N                   top-k (default: the model's, else 50)
  --repetition-penalty N      (default: the model's, else 1.1; 1 with --greedy)
  --alpha N                   co-occurrence weighting strength (dynamo; default: the model's,
                              else the preset's: 0.9 calibrated, 1 paper)
  --blur N                    blur kernel size of the adaptive threshold (dynamo; default 3)
  --drafter auto|tree|ngram|head|assistant|top1|dynamo|dynamo-sample
                              verified: what drafts the tokens the base head then checks.
                              head: chains from the model's draft head (base-only graph; with
                              --verification speculative, exactly ar's distribution);
                              assistant: chains from the --assistant model (base-only graph);
                              tree: DynaMo candidate trees (extra heads + n-gram tables + prompt
                              lookup); ngram: tables + prompt lookup, checked on the base-only
                              graph (no heads: the fastest on a CPU); top1: per-head top-1 chains;
                              dynamo / dynamo-sample: the DynaMo joint's best / a sampled cell as
                              a chain. auto (default): the fastest lossless choice measured for
                              the model and device — sampling with a draft head: head chains with
                              speculative verification; greedy on a CPU: ngram; greedy on a GPU:
                              tree; else tree with ngrams.bin, top1, ngram
  --assistant PATH            verified: a small model folder with the same vocabulary drafts the
                              chains the model verifies (assistant-model speculative decoding;
                              --drafter auto then picks it). Loaded like --model, base-only graph
  --assistant-k N             with --assistant: the first draft length, 1..16 (default 4; then
                              +2 after a fully accepted draft, -1 otherwise)
  --assistant-min-p N         with --assistant: stop a draft after a token drawn where the
                              assistant's top probability is below N, in [0, 1] (default 0.4)
  --tree-budget N             verified: most drafted tokens per pass (default: 8 on the CPU, 24 on a GPU)
  --preset calibrated|paper   dynamo: the sampler preset (default calibrated; paper: Algorithm 1
                              read literally)
  --verification match|speculative     verified: exact-match (same tokens as ar with the same
                              seed) or speculative sampling (exactly ar's distribution). Default:
                              speculative for the head drafter when sampling, else match
  --head-rows all|last|N     verified: extra heads' logits at every node, the last, or the N nodes
                              where acceptance most likely stops (default: every node of a chain,
                              3 of a tree)
  --stop STRING               stop string (repeatable)
  --chat                      send the prompt as one user message through the model's chat template
                              (tokenizer_config.json's chat_template, or chat_template.jinja, next
                              to tokenizer.json), with the assistant turn opened; stops at the
                              template's end-of-turn token. Prints only the reply
  --system STRING             with --chat (implies it): a system message before the user message
  --model PATH                model folder (default: the bundled reference model): a DynaMo model, or
                              a hub / Optimum export (config.json + onnx/model*.onnx), on which
                              the default mode is lossless verified (prompt-lookup drafts)
  --dtype fp32|fp16|q8|q4|q4f16|…   which onnx/model*.onnx of a hub export (default: as transformers.js
                              chooses: transformers.js_config, else fp32; q8 on wasm)
  --device auto|cpu|cuda|webgpu   (default auto)
  --threads N                 CPU threads per session
  --compare                   first generate with ar (one token per pass, base-only graph) and the
                              same seed, then with --mode, and compare tokens/s and the text
${CONSTRAINT_HELP}  --json                      print one JSON object (text, tokens, steps, stats) instead of streaming
  -h, --help                  this help
`;

const FLAGS = {
  ...MODEL_FLAGS,
  ...SAMPLER_FLAGS,
  ...CONSTRAINT_FLAGS,
  mode: { type: 'string' },
  epsilon: { type: 'string' },
  'max-tokens': { type: 'string' },
  seed: { type: 'string' },
  stop: { type: 'string', multiple: true },
  drafter: { type: 'string' },
  'tree-budget': { type: 'string' },
  assistant: { type: 'string' },
  'assistant-k': { type: 'string' },
  'assistant-min-p': { type: 'string' },
  preset: { type: 'string' },
  'head-rows': { type: 'string' },
  verification: { type: 'string' },
  json: { type: 'boolean' },
  compare: { type: 'boolean' },
  joint: { type: 'string' },
  'min-draft-p': { type: 'string' },
  'chain-length': { type: 'string' },
  chat: { type: 'boolean' },
  system: { type: 'string' },
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
  // no --mode: the plan's default (dynamo on a DynaMo model; lossless verified on a plain hub export)
  const modeFlag: GenerationMode | undefined = oneOf(values, 'mode', MODES);
  const device = oneOf(values, 'device', DEVICES) ?? 'auto';
  const maxNewTokens = int(values, 'max-tokens', { min: 1 }) ?? 128;
  const seed = int(values, 'seed', { min: 0 });
  const threads = int(values, 'threads', { min: 1 });
  const dtype = str(values, 'dtype');
  const settings = decodingSettings(values);
  const assistantPath = str(values, 'assistant');
  const stop = values.stop as string[] | undefined;
  const headRows = headRowsFlag(values);
  const json = values.json === true;
  const compare = values.compare === true;
  const system = str(values, 'system');
  const messages: ChatMessage[] | undefined =
    values.chat === true || system !== undefined
      ? [...(system !== undefined ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt }]
      : undefined;
  // what is echoed before the continuation: the prompt, or nothing for a chat reply
  const echo = messages === undefined ? prompt : '';

  // What runs on what: the one resolver, from the flags and what the folder ships (its manifest).
  // --compare: ar first, then the mode, with one seed
  const { bundle, planned: plans } = await loadPlanned(
    ctx,
    { modelPath: str(values, 'model'), device, threads, ...(dtype !== undefined && { dtype }) },
    (context) => {
      const facts = { ...context, ...(assistantPath !== undefined && { assistant: true }) };
      const main = resolveDecoding(
        { ...settings, ...(modeFlag !== undefined && { mode: modeFlag as DecodingMode }) },
        facts,
      );
      const planned = new Map<GenerationMode, DecodingPlan>();
      if (compare && main.mode !== 'ar') planned.set('ar', resolveDecoding({ ...settings, mode: 'ar' }, facts));
      planned.set(main.mode, main);
      return planned;
    },
    (planned) => [...planned.values()],
    modeFlag === 'ar'
      ? { multi: false, base: true, tables: false }
      : { multi: true, base: true, draftHead: true, tables: true },
  );
  const sequence = [...plans.keys()];
  const mode = sequence[sequence.length - 1] as GenerationMode;
  const plan = plans.get(mode) as DecodingPlan;
  let cleanup = () => {};
  let assistant: { model: MultiTokenModel; dispose(): Promise<void> } | undefined;
  try {
    for (const note of plan.notes) ctx.stderr.write(`note: ${bundle.dir} ${note}.\n`);
    const loadedModel = modelFor(plan, bundle);
    if (
      mode === 'verified' &&
      loadedModel.metadata.passInvariant === false &&
      !plan.notes.some((n) => /dynamically/.test(n))
    ) {
      ctx.stderr.write(
        `note: ${bundle.dir} quantizes activations dynamically (a q8 graph): 'verified' is not exactly 'ar' on it; use --dtype fp32, fp16 or q4 for lossless speed.\n`,
      );
    }
    if (messages !== undefined) checkChatTemplate(bundle.tokenizer, bundle.dir);
    if (assistantPath !== undefined) {
      if ([...plans.values()].some((p) => p.needs.assistant === true)) {
        assistant = await loadAssistant(ctx, assistantPath, { device: bundle.device, threads });
      } else {
        ctx.stderr.write(`note: --assistant drafts in --mode verified only (with --drafter auto or assistant).\n`);
      }
    }
    const structured = await constraintOptions(values, bundle.tokenizer, ctx);
    const runtime = {
      tables: bundle.tables as CoOccurrenceTables | undefined,
      draftHead: bundle.baseModel?.draftHead,
      device: bundle.device,
      ...(assistant !== undefined && { assistant: assistant.model }),
    };
    // Ctrl-C stops the generation after the current pass; the partial text and statistics still print.
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    cleanup = () => process.off('SIGINT', onSigint);
    const optionsFor = (m: GenerationMode, tokens: number, s: number | undefined) => {
      const p = plans.get(m) as DecodingPlan;
      const model = modelFor(p, bundle);
      const components = p.create({ ...runtime, target: model });
      return {
        sampler: components.sampler,
        options: {
          signal: controller.signal,
          model,
          tokenizer: bundle.tokenizer,
          ...(messages === undefined ? { prompt } : { messages }),
          ...components,
          ...(headRows && m === 'verified' && { headRows }),
          maxNewTokens: tokens,
          ...(s !== undefined && { seed: s }),
          ...(stop !== undefined && { stop }),
          ...(structured.constraint !== undefined && {
            constraint: structured.constraint,
            forcedRuns: structured.forcedRuns,
          }),
        },
      };
    };
    const runs: { mode: GenerationMode; result: GenerateResult }[] = [];
    // --compare: both warmed up untimed first, so neither pays the process's first-run costs.
    const runSeed = seed ?? (compare ? Math.floor(Math.random() * 2 ** 31) : undefined);
    if (compare) {
      for (const m of sequence) {
        const { options } = optionsFor(m, Math.min(8, maxNewTokens), runSeed);
        try {
          await generate(options);
        } finally {
          releaseDrafter(options.drafter);
        }
      }
    }
    for (const m of sequence) {
      const { sampler, options } = optionsFor(m, maxNewTokens, runSeed);
      if (!json) ctx.stdout.write(compare ? `${m === 'ar' ? '── ar (one token per pass)' : `── ${m}`}\n${echo}` : echo);
      try {
        for await (const event of stream(options)) {
          if (event.type === 'text' && !json) ctx.stdout.write(event.text);
          if (event.type === 'done') {
            const r = event.result;
            runs.push({ mode: m, result: r });
            if (json) {
              ctx.stdout.write(
                `${JSON.stringify({ prompt, ...(messages && { messages }), mode: m, model: bundle.dir, device: bundle.device, ...r, sampler: sampler.name, settings: plans.get(m)?.settings })}\n`,
              );
            } else {
              ctx.stdout.write('\n');
              const p = plans.get(m);
              const how = p?.drafter === undefined ? undefined : `${p.drafter} drafts, ${p.verification} verification`;
              ctx.stderr.write(`${statsLine(r.stats, r.finishReason, how)}\n`);
            }
          }
        }
      } finally {
        releaseDrafter(options.drafter);
      }
    }
    if (compare && !json && runs.length === 2) {
      // DynaMo with the draft head at the model's own settings: what dynamo eval measured for them
      const d = (bundle.model ?? bundle.baseModel)?.metadata.decoding;
      const r = plan.settings;
      const modelSettings =
        plan.method === 'dynamo-chain' &&
        d?.minDraftProbability === r.minDraftProbability &&
        (d?.draftTemperatureRatio ?? 1) === r.draftTemperatureRatio &&
        (d?.chainLength ?? r.chainLength) === r.chainLength &&
        settings.temperature === undefined &&
        settings.topK === undefined &&
        settings.repetitionPenalty === undefined;
      const note = modelSettings
        ? "lossy, drafted by the model's draft head; at these settings (the model's) it meets dynamo eval's same-quality criterion vs ar"
        : undefined;
      ctx.stderr.write(`${compareLine(runs[0]!.result, runs[1]!.result, note)}\n`);
    }
    return 0;
  } finally {
    cleanup();
    await assistant?.dispose();
    await bundle.dispose();
  }
}

/** --chat needs a chat template: say so in CLI terms before anything runs. */
function checkChatTemplate(tokenizer: TextTokenizer, dir: string): void {
  const missing = () =>
    new DynamoError(
      DynamoErrorCode.UNSUPPORTED,
      `--chat: the tokenizer of ${dir} has no chat template (tokenizer_config.json's chat_template or chat_template.jinja next to tokenizer.json); drop --chat to continue the prompt as text.`,
      { details: { option: 'chat' } },
    );
  if (typeof tokenizer.applyChatTemplate !== 'function') throw missing();
  try {
    tokenizer.applyChatTemplate([{ role: 'user', content: '' }]);
  } catch (error) {
    if (isDynamoError(error, DynamoErrorCode.UNSUPPORTED)) throw missing();
    // a template that rejects this probe: the real messages decide
  }
}
