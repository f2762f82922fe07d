import {
  checkEnum,
  checkInteger,
  checkNumber,
  checkTokenIds,
  type Drafter,
  DynamoError,
  DynamoErrorCode,
  isChainSampler,
  type LogitsProcessor,
  type MultiTokenModel,
  type Sampler,
  type TextTokenizer,
  type Verifier,
} from '@dynamojs/core';
import { greedy, matchVerifier, speculativeVerifier, topOneDrafter } from '@dynamojs/samplers';
import type { GenerateOptions, GenerationMode } from './types.js';

export const MODES: readonly GenerationMode[] = ['ar', 'dynamo', 'verified'];

const KNOWN_OPTIONS = new Set([
  'model',
  'tokenizer',
  'prompt',
  'inputIds',
  'maxNewTokens',
  'mode',
  'sampler',
  'processors',
  'drafter',
  'maxDraftTokens',
  'headRows',
  'verification',
  'verifier',
  'stop',
  'eos',
  'signal',
  'seed',
  'truncate',
  'addSpecialTokens',
  'skipSpecialTokens',
]);

export const DEFAULT_MAX_NEW_TOKENS = 128;

/** Most drafted tokens (chain or tree nodes) per verification pass, unless `maxDraftTokens` says otherwise. */
export const DEFAULT_MAX_DRAFT_TOKENS = 64;

/**
 * Extra heads' rows of a tree pass, unless `headRows` says otherwise: the nodes where acceptance
 * most likely stops (one of them is where the next draft is made).
 */
export const DEFAULT_TREE_HEAD_ROWS = 3;

/** Options after validation and defaults. */
export interface ResolvedOptions {
  readonly model: MultiTokenModel;
  readonly tokenizer: TextTokenizer | undefined;
  readonly promptIds: Int32Array;
  readonly maxNewTokens: number;
  readonly mode: GenerationMode;
  readonly sampler: Sampler;
  /** Heads the sampler sees (1 in 'ar' and 'verified'). */
  readonly samplerHeads: number;
  readonly processors: readonly LogitsProcessor[];
  readonly drafter: Drafter;
  readonly maxDraftTokens: number;
  /** 'auto': chains 'all', trees the DEFAULT_TREE_HEAD_ROWS likeliest end nodes. */
  readonly headRows: 'auto' | 'all' | 'last' | number;
  readonly verification: 'match' | 'speculative';
  /** What checks drafts in 'verified' mode (from `verifier`, else from `verification`). */
  readonly verifier: Verifier;
  readonly stop: readonly string[];
  readonly eos: Int32Array;
  readonly signal: AbortSignal | undefined;
  readonly seed: number | undefined;
  readonly skipSpecialTokens: boolean;
}

function invalid(option: string, expected: string, actual?: unknown): never {
  throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `Option "${option}" must be ${expected}.`, {
    details: { option, expected, actual },
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(option, 'a boolean', value);
  return value;
}

/** A chain sampler in 'dynamo' mode drafts with the model's draft head: it must have one, and hidden states. */
function checkDraftHead(model: MultiTokenModel, samplerName: string): void {
  const head = model.draftHead;
  if (head === undefined || model.metadata.hiddenSize === undefined) {
    throw new DynamoError(
      DynamoErrorCode.UNSUPPORTED,
      `Sampler "${samplerName}" continues each pass with a draft head, and the model "${model.metadata.name}" ` +
        (head === undefined
          ? 'has none (load a model folder that ships one with its draft head, e.g. loadModel(dir, { draftHead: true }) from @dynamojs/onnx)'
          : 'returns no hidden states (metadata.hiddenSize)') +
        ". Use the DynaMo heads' sampler (dynamo({ tables })) or mode 'ar' with this model.",
      { details: { option: 'sampler', expected: 'a model with a draft head', actual: model.metadata.name } },
    );
  }
  if (
    !isObject(head) ||
    typeof (head as { step?: unknown }).step !== 'function' ||
    head.hiddenSize !== model.metadata.hiddenSize ||
    head.vocabSize !== model.metadata.vocabSize
  ) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_FORMAT,
      `The draft head of "${model.metadata.name}" does not fit the model: hidden size ${String(head.hiddenSize)} / ` +
        `vocabulary ${String(head.vocabSize)}, the model's ${String(model.metadata.hiddenSize)} / ${model.metadata.vocabSize}.`,
      {
        details: {
          expected: `${String(model.metadata.hiddenSize)} / ${model.metadata.vocabSize}`,
          actual: `${String(head.hiddenSize)} / ${String(head.vocabSize)}`,
        },
      },
    );
  }
}

function checkModel(model: unknown): MultiTokenModel {
  if (
    !isObject(model) ||
    typeof model.forward !== 'function' ||
    typeof model.createCache !== 'function' ||
    !isObject(model.metadata)
  ) {
    invalid('model', 'a MultiTokenModel (metadata, createCache(), forward())', model);
  }
  const m = model as unknown as MultiTokenModel;
  const { heads, vocabSize, contextLength } = m.metadata;
  checkInteger('model.metadata.heads', heads, { min: 1 });
  checkInteger('model.metadata.vocabSize', vocabSize, { min: 1 });
  checkInteger('model.metadata.contextLength', contextLength, { min: 1 });
  return m;
}

function checkTokenizer(tokenizer: unknown, vocabSize: number): TextTokenizer | undefined {
  if (tokenizer === undefined) return undefined;
  if (
    !isObject(tokenizer) ||
    typeof tokenizer.encode !== 'function' ||
    typeof tokenizer.decode !== 'function' ||
    typeof tokenizer.createDecoder !== 'function'
  ) {
    invalid('tokenizer', 'a TextTokenizer (encode(), decode(), createDecoder())', tokenizer);
  }
  const t = tokenizer as unknown as TextTokenizer;
  if (typeof t.vocabSize === 'number' && t.vocabSize > vocabSize) {
    throw new DynamoError(
      DynamoErrorCode.VOCAB_MISMATCH,
      `The tokenizer has ${t.vocabSize} tokens but the model only ${vocabSize}.`,
      { details: { expected: vocabSize, actual: t.vocabSize } },
    );
  }
  return t;
}

/**
 * `processors` as a list: one LogitsProcessor or an array of them (every package's `processors`
 * option takes either). Each must have `process(logits, context)`.
 */
function processorList(value: unknown): readonly LogitsProcessor[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((p: unknown, i: number) => {
    if (!isObject(p) || typeof p.process !== 'function') {
      invalid(
        Array.isArray(value) ? `processors[${i}]` : 'processors',
        'a LogitsProcessor (an object with process(logits, context)) or an array of them',
        p,
      );
    }
  });
  return list as LogitsProcessor[];
}

/** Validates every option; throws DYNAMO_INVALID_OPTION naming the first bad one. */
export function resolveOptions(options: GenerateOptions): ResolvedOptions {
  if (!isObject(options)) invalid('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) invalid(key, `a known option (one of ${[...KNOWN_OPTIONS].join(', ')})`, key);
  }
  const model = checkModel(options.model);
  const { heads, vocabSize, contextLength } = model.metadata;
  const tokenizer = checkTokenizer(options.tokenizer, vocabSize);

  const maxNewTokens =
    options.maxNewTokens === undefined
      ? DEFAULT_MAX_NEW_TOKENS
      : checkInteger('maxNewTokens', options.maxNewTokens, { min: 1 });

  const sampler = options.sampler === undefined ? greedy() : options.sampler;
  if (!isObject(sampler) || typeof sampler.sample !== 'function') {
    invalid('sampler', 'a Sampler (an object with sample(view))', sampler);
  }
  const declaredHeads = sampler.heads === undefined ? 1 : checkInteger('sampler.heads', sampler.heads, { min: 1 });

  const chain = isChainSampler(sampler);
  if (chain) checkInteger('sampler.chainLength', sampler.chainLength, { min: 1 });
  const mode =
    options.mode === undefined
      ? declaredHeads > 1 || chain
        ? 'dynamo'
        : 'ar'
      : checkEnum('mode', options.mode, MODES);
  if (mode === 'dynamo' && chain) checkDraftHead(model, sampler.name);
  if (mode === 'dynamo' && options.sampler === undefined) {
    invalid(
      'sampler',
      "given in mode 'dynamo' (a multi-token sampler such as dynamo({ tables }) from @dynamojs/samplers)",
    );
  }

  const processors = processorList(options.processors);

  const drafter = options.drafter === undefined ? topOneDrafter() : options.drafter;
  if (!isObject(drafter) || typeof drafter.draft !== 'function') {
    invalid('drafter', 'a Drafter (an object with draft(view, next))', drafter);
  }
  if (drafter.heads !== undefined) checkInteger('drafter.heads', drafter.heads, { min: 1 });
  const maxDraftTokens =
    options.maxDraftTokens === undefined
      ? DEFAULT_MAX_DRAFT_TOKENS
      : checkInteger('maxDraftTokens', options.maxDraftTokens, { min: 0 });

  const headRows =
    options.headRows === undefined
      ? 'auto'
      : typeof options.headRows === 'number'
        ? checkInteger('headRows', options.headRows, { min: 1 })
        : checkEnum('headRows', options.headRows, ['all', 'last']);

  const verification =
    options.verification === undefined
      ? 'match'
      : checkEnum('verification', options.verification, ['match', 'speculative']);
  if (verification === 'speculative' && typeof (sampler as { distribution?: unknown }).distribution !== 'function') {
    invalid(
      'verification',
      `"match" for sampler "${String(sampler.name)}": "speculative" needs a sampler with distribution(view, out)`,
      verification,
    );
  }
  let verifier: Verifier;
  if (options.verifier !== undefined) {
    if (!isObject(options.verifier) || typeof options.verifier.verify !== 'function') {
      invalid('verifier', 'a Verifier (an object with verify(view, candidates, out))', options.verifier);
    }
    verifier = options.verifier;
  } else {
    verifier = verification === 'speculative' ? speculativeVerifier(sampler) : matchVerifier(sampler);
  }

  let stop: string[] = [];
  if (options.stop !== undefined) {
    const list = typeof options.stop === 'string' ? [options.stop] : options.stop;
    if (!Array.isArray(list)) invalid('stop', 'a string or an array of strings', options.stop);
    list.forEach((s: unknown, i: number) => {
      if (typeof s !== 'string' || s.length === 0) invalid(`stop[${i}]`, 'a non-empty string', s);
    });
    stop = [...list];
    if (stop.length > 0 && tokenizer === undefined) invalid('tokenizer', 'given when "stop" is used');
  }

  let eos: number[];
  if (options.eos === false) eos = [];
  else if (options.eos === undefined) {
    const id = model.metadata.specialTokens?.eos ?? tokenizer?.specialTokens?.eos;
    eos = id === undefined ? [] : [id];
  } else {
    const list = typeof options.eos === 'number' ? [options.eos] : options.eos;
    if (!Array.isArray(list)) invalid('eos', 'a token id, an array of token ids or false', options.eos);
    list.forEach((id: unknown, i: number) => {
      checkInteger(`eos[${i}]`, id, { min: 0, max: vocabSize - 1 });
    });
    eos = [...list];
  }

  const signal = options.signal;
  if (signal !== undefined && (!isObject(signal) || typeof signal.aborted !== 'boolean')) {
    invalid('signal', 'an AbortSignal', signal);
  }
  const seed = options.seed === undefined ? undefined : checkNumber('seed', options.seed);
  const truncate = options.truncate === undefined ? 'none' : checkEnum('truncate', options.truncate, ['none', 'left']);
  const addSpecialTokens = checkBoolean('addSpecialTokens', options.addSpecialTokens, false);
  const skipSpecialTokens = checkBoolean('skipSpecialTokens', options.skipSpecialTokens, true);

  // The prompt.
  let ids: ArrayLike<number>;
  if (options.prompt !== undefined && options.inputIds !== undefined) {
    invalid('prompt', 'given alone (not together with "inputIds")');
  }
  if (options.prompt !== undefined) {
    if (typeof options.prompt !== 'string') invalid('prompt', 'a string', options.prompt);
    if (tokenizer === undefined) invalid('tokenizer', 'given when "prompt" is a string');
    ids = tokenizer.encode(options.prompt, { addSpecialTokens });
  } else if (options.inputIds !== undefined) {
    const v = options.inputIds as unknown;
    if (!isObject(v) || typeof (v as { length?: unknown }).length !== 'number') {
      invalid('inputIds', 'an array of token ids', v);
    }
    ids = options.inputIds;
  } else {
    invalid('prompt', 'given (or "inputIds")');
  }
  if (ids.length === 0) {
    const bos = model.metadata.specialTokens?.bos ?? tokenizer?.specialTokens?.bos;
    if (bos === undefined) invalid(options.prompt !== undefined ? 'prompt' : 'inputIds', 'at least one token');
    ids = [bos];
  }
  checkTokenIds(ids, vocabSize, 'prompt token id');

  let promptIds = Int32Array.from(ids as ArrayLike<number>);
  if (promptIds.length >= contextLength) {
    if (truncate === 'left') {
      const keep = Math.max(1, contextLength - maxNewTokens);
      promptIds = promptIds.slice(promptIds.length - keep);
    } else {
      throw new DynamoError(
        DynamoErrorCode.CONTEXT_OVERFLOW,
        `The prompt has ${promptIds.length} tokens; the model's context holds ${contextLength} (prompt and new tokens), so no token fits. Shorten it or pass truncate: 'left'.`,
        { details: { option: 'prompt', expected: `< ${contextLength} tokens`, actual: promptIds.length } },
      );
    }
  }

  return {
    model,
    tokenizer,
    promptIds,
    maxNewTokens,
    mode,
    sampler,
    samplerHeads: mode === 'dynamo' ? Math.min(heads, declaredHeads) : 1,
    processors,
    drafter,
    maxDraftTokens,
    headRows,
    verification,
    verifier,
    stop,
    eos: Int32Array.from(eos),
    signal,
    seed,
    skipSpecialTokens,
  };
}
