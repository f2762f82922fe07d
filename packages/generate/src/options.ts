import {
  type ChatMessage,
  type ChatTemplateOptions,
  type Constraint,
  checkBoolean,
  checkEnum,
  checkInteger,
  checkNumber,
  checkTokenIds,
  DynamoError,
  DynamoErrorCode,
  invalidOption,
  type LogitsProcessor,
  type MultiTokenModel,
  type TextTokenizer,
  type Verifier,
} from '@dynamojs/core';
import { greedy, matchVerifier, ngramDrafter, speculativeVerifier, topOneDrafter } from '@dynamojs/samplers';
import { DEFAULT_MAX_DRAFT_TOKENS, DEFAULT_MAX_NEW_TOKENS } from './defaults.js';

export { DEFAULT_MAX_DRAFT_TOKENS, DEFAULT_MAX_NEW_TOKENS, DEFAULT_TREE_HEAD_ROWS } from './defaults.js';

import type { DecodingMethod } from './methods/decodingMethod.js';
import type { ResolvedOptions } from './resolvedOptions.js';

export type { ResolvedOptions } from './resolvedOptions.js';

import { decodingMethod, decodingMethods, decodingModes, impliedMode, methodFor } from './methods/registry.js';
import type { GenerateOptions, GenerationMode } from './types.js';

/** The built-in modes (more come with registered methods: {@link decodingModes}). */
export const MODES: readonly GenerationMode[] = ['ar', 'dynamo', 'verified'];

const KNOWN_OPTIONS = new Set([
  'model',
  'tokenizer',
  'prompt',
  'inputIds',
  'messages',
  'chatTemplateOptions',
  'maxNewTokens',
  'mode',
  'method',
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
  'constraint',
  'forcedRuns',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function checkModel(model: unknown): MultiTokenModel {
  if (
    !isObject(model) ||
    typeof model.forward !== 'function' ||
    typeof model.createCache !== 'function' ||
    !isObject(model.metadata)
  ) {
    invalidOption('model', 'a MultiTokenModel (metadata, createCache(), forward())', model);
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
    invalidOption('tokenizer', 'a TextTokenizer (encode(), decode(), createDecoder())', tokenizer);
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
      invalidOption(
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
  if (!isObject(options)) invalidOption('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) invalidOption(key, `a known option (one of ${[...KNOWN_OPTIONS].join(', ')})`, key);
  }
  const model = checkModel(options.model);
  const { vocabSize, contextLength } = model.metadata;
  const tokenizer = checkTokenizer(options.tokenizer, vocabSize);

  const maxNewTokens =
    options.maxNewTokens === undefined
      ? DEFAULT_MAX_NEW_TOKENS
      : checkInteger('maxNewTokens', options.maxNewTokens, { min: 1 });

  const sampler = options.sampler === undefined ? greedy() : options.sampler;
  if (!isObject(sampler) || typeof sampler.sample !== 'function') {
    invalidOption('sampler', 'a Sampler (an object with sample(view))', sampler);
  }
  if (sampler.heads !== undefined) checkInteger('sampler.heads', sampler.heads, { min: 1 });

  let method: DecodingMethod | undefined;
  let mode: GenerationMode;
  if (options.method !== undefined) {
    const expected = `the name of a registered decoding method (${decodingMethods()
      .map((m) => JSON.stringify(m.name))
      .join(', ')})`;
    if (typeof options.method !== 'string') invalidOption('method', expected, options.method);
    method = decodingMethod(options.method);
    if (method === undefined) invalidOption('method', expected, options.method);
    if (options.mode !== undefined && options.mode !== method.mode) {
      invalidOption('mode', `"${method.mode}" (the mode of method "${method.name}") or omitted`, options.mode);
    }
    mode = method.mode;
  } else {
    mode = options.mode === undefined ? impliedMode(sampler) : checkEnum('mode', options.mode, decodingModes());
    method = methodFor(mode, sampler, model);
    if (method === undefined) {
      throw new DynamoError(
        DynamoErrorCode.UNSUPPORTED,
        `No registered decoding method decodes mode "${mode}" with sampler "${String(sampler.name)}".`,
        { details: { option: 'mode', actual: mode } },
      );
    }
  }

  const processors = processorList(options.processors);

  // default: the extra heads' top-1 chains; a one-head model (any hub export) drafts by prompt lookup
  const drafter =
    options.drafter === undefined ? (model.metadata.heads === 1 ? ngramDrafter() : topOneDrafter()) : options.drafter;
  if (!isObject(drafter) || typeof drafter.draft !== 'function') {
    invalidOption('drafter', 'a Drafter (an object with draft(view, next))', drafter);
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
    invalidOption(
      'verification',
      `"match" for sampler "${String(sampler.name)}": "speculative" needs a sampler with distribution(view, out)`,
      verification,
    );
  }
  let verifier: Verifier;
  if (options.verifier !== undefined) {
    if (!isObject(options.verifier) || typeof options.verifier.verify !== 'function') {
      invalidOption('verifier', 'a Verifier (an object with verify(view, candidates, out))', options.verifier);
    }
    verifier = options.verifier;
  } else {
    verifier = verification === 'speculative' ? speculativeVerifier(sampler) : matchVerifier(sampler);
  }

  let stop: string[] = [];
  if (options.stop !== undefined) {
    const list = typeof options.stop === 'string' ? [options.stop] : options.stop;
    if (!Array.isArray(list)) invalidOption('stop', 'a string or an array of strings', options.stop);
    list.forEach((s: unknown, i: number) => {
      if (typeof s !== 'string' || s.length === 0) invalidOption(`stop[${i}]`, 'a non-empty string', s);
    });
    stop = [...list];
    if (stop.length > 0 && tokenizer === undefined) invalidOption('tokenizer', 'given when "stop" is used');
  }

  let eos: number[];
  if (options.eos === false) eos = [];
  else if (options.eos === undefined) {
    const ids = model.metadata.eosTokenIds;
    if (Array.isArray(ids) && ids.length > 0) {
      eos = ids.filter((id) => Number.isInteger(id) && id >= 0 && id < vocabSize);
    } else {
      const id = model.metadata.specialTokens?.eos ?? tokenizer?.specialTokens?.eos;
      eos = id === undefined ? [] : [id];
    }
  } else {
    const list = typeof options.eos === 'number' ? [options.eos] : options.eos;
    if (!Array.isArray(list)) invalidOption('eos', 'a token id, an array of token ids or false', options.eos);
    list.forEach((id: unknown, i: number) => {
      checkInteger(`eos[${i}]`, id, { min: 0, max: vocabSize - 1 });
    });
    eos = [...list];
  }

  const signal = options.signal;
  if (signal !== undefined && (!isObject(signal) || typeof signal.aborted !== 'boolean')) {
    invalidOption('signal', 'an AbortSignal', signal);
  }
  const seed = options.seed === undefined ? undefined : checkNumber('seed', options.seed);
  const truncate = options.truncate === undefined ? 'none' : checkEnum('truncate', options.truncate, ['none', 'left']);
  const addSpecialTokens = checkBoolean('addSpecialTokens', options.addSpecialTokens, true);
  const skipSpecialTokens = checkBoolean('skipSpecialTokens', options.skipSpecialTokens, true);
  const constraint = checkConstraint(options.constraint, vocabSize);
  const forcedRuns = checkBoolean('forcedRuns', options.forcedRuns, true);

  // The prompt.
  let ids: ArrayLike<number>;
  const promptInputs = (['prompt', 'inputIds', 'messages'] as const).filter((k) => options[k] !== undefined);
  if (promptInputs.length > 1) {
    invalidOption(
      promptInputs[0]!,
      `given alone (not together with ${promptInputs
        .slice(1)
        .map((k) => `"${k}"`)
        .join(', ')})`,
    );
  }
  if (options.chatTemplateOptions !== undefined && !isObject(options.chatTemplateOptions)) {
    invalidOption('chatTemplateOptions', 'an object', options.chatTemplateOptions);
  }
  if (options.messages !== undefined) {
    const messages = options.messages as unknown;
    if (!Array.isArray(messages)) invalidOption('messages', 'an array of { role, content } messages', messages);
    messages.forEach((m: unknown, i: number) => {
      if (!isObject(m) || typeof m.role !== 'string') invalidOption(`messages[${i}]`, 'a { role, content } message', m);
    });
    if (tokenizer === undefined) invalidOption('tokenizer', 'given with "messages"');
    if (typeof tokenizer.applyChatTemplate !== 'function') {
      throw new DynamoError(
        DynamoErrorCode.UNSUPPORTED,
        'The tokenizer has no chat template (applyChatTemplate), so "messages" cannot be rendered; pass "prompt" instead.',
        { details: { option: 'messages' } },
      );
    }
    const templateOptions = options.chatTemplateOptions as ChatTemplateOptions | undefined;
    const continuing = templateOptions?.continueFinalMessage === true;
    const addGenerationPrompt = templateOptions?.addGenerationPrompt ?? !continuing;
    const text = tokenizer.applyChatTemplate(options.messages as ChatMessage[], {
      ...templateOptions,
      addGenerationPrompt,
    });
    // The template writes the special tokens (bos, ...) itself.
    ids = tokenizer.encode(text, { addSpecialTokens: false });
    if (options.eos === undefined) {
      for (const id of endOfTurnTokens(tokenizer, templateOptions)) {
        if (id < vocabSize && !eos.includes(id)) eos.push(id);
      }
    }
  } else if (options.prompt !== undefined) {
    if (typeof options.prompt !== 'string') invalidOption('prompt', 'a string', options.prompt);
    if (tokenizer === undefined) invalidOption('tokenizer', 'given when "prompt" is a string');
    ids = tokenizer.encode(options.prompt, { addSpecialTokens });
  } else if (options.inputIds !== undefined) {
    const v = options.inputIds as unknown;
    if (!isObject(v) || typeof (v as { length?: unknown }).length !== 'number') {
      invalidOption('inputIds', 'an array of token ids', v);
    }
    ids = options.inputIds;
  } else {
    invalidOption('prompt', 'given (or "inputIds" or "messages")');
  }
  if (ids.length === 0) {
    const bos = model.metadata.specialTokens?.bos ?? tokenizer?.specialTokens?.bos;
    if (bos === undefined) {
      invalidOption(
        options.prompt !== undefined ? 'prompt' : options.messages !== undefined ? 'messages' : 'inputIds',
        'at least one token',
      );
    }
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

  const resolved: ResolvedOptions = {
    model,
    tokenizer,
    promptIds,
    maxNewTokens,
    mode,
    method,
    sampler,
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
    constraint,
    forcedRuns,
  };
  method.check?.(resolved, options);
  return resolved;
}

/** A {@link Constraint} (start(), vocabSize) for a vocabulary no larger than the model's. */
function checkConstraint(value: unknown, vocabSize: number): Constraint | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.start !== 'function' || typeof value.vocabSize !== 'number') {
    invalidOption(
      'constraint',
      'a Constraint (start(), vocabSize), e.g. jsonSchemaConstraint(tokenizer, schema) from @dynamojs/structured',
      value,
    );
  }
  const c = value as unknown as Constraint;
  if (c.vocabSize > vocabSize) {
    throw new DynamoError(
      DynamoErrorCode.VOCAB_MISMATCH,
      `The constraint was compiled for ${c.vocabSize} tokens but the model has ${vocabSize}.`,
      { details: { option: 'constraint', expected: `≤ ${vocabSize}`, actual: c.vocabSize } },
    );
  }
  return c;
}

const END_OF_TURN_PROBE = 'DYNAMO_END_OF_TURN_PROBE';

/**
 * The token a chat template closes an assistant turn with (Llama 3's `<|eot_id|>`, ChatML's
 * `<|im_end|>`, Gemma's `<end_of_turn>`, ...): the first token after an assistant message in the
 * rendered chat, when it is a special token (decodes to '' with skipSpecialTokens). None when the
 * template writes no such token or cannot render the probe.
 */
function endOfTurnTokens(tokenizer: TextTokenizer, options: ChatTemplateOptions | undefined): number[] {
  let text: string;
  try {
    text = tokenizer.applyChatTemplate!(
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: END_OF_TURN_PROBE },
      ],
      { ...options, addGenerationPrompt: false, continueFinalMessage: false },
    );
  } catch {
    return [];
  }
  const at = text.lastIndexOf(END_OF_TURN_PROBE);
  if (at < 0) return [];
  const first = tokenizer.encode(text.slice(at + END_OF_TURN_PROBE.length).trimStart(), { addSpecialTokens: false })[0];
  if (first === undefined || tokenizer.decode([first], { skipSpecialTokens: true }) !== '') return [];
  return [first];
}
