import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/** The parts of a Hugging Face `tokenizer.json` this package reads (other fields pass through). */
export interface TokenizerJson {
  readonly version?: string;
  readonly added_tokens?: readonly AddedTokenJson[];
  readonly normalizer?: unknown;
  readonly pre_tokenizer?: unknown;
  readonly post_processor?: unknown;
  readonly decoder?: unknown;
  readonly model: BpeModelJson;
  readonly [key: string]: unknown;
}

export interface AddedTokenJson {
  readonly id: number;
  readonly content: string;
  readonly special?: boolean;
  readonly single_word?: boolean;
  readonly lstrip?: boolean;
  readonly rstrip?: boolean;
  readonly normalized?: boolean;
}

export interface BpeModelJson {
  readonly type?: string;
  readonly vocab: Readonly<Record<string, number>>;
  /** `"a b"` strings (older files) or `["a", "b"]` pairs (newer files). */
  readonly merges: readonly (string | readonly [string, string])[];
  readonly dropout?: number | null;
  readonly unk_token?: string | null;
  readonly continuing_subword_prefix?: string | null;
  readonly end_of_word_suffix?: string | null;
  readonly [key: string]: unknown;
}

/** A validated tokenizer.json: what to give `@huggingface/tokenizers`, plus what we read from it. */
export interface CheckedTokenizerJson {
  /** A shallow copy with defaults filled in, safe to hand to `@huggingface/tokenizers`. */
  readonly json: Record<string, unknown>;
  readonly addedTokens: readonly AddedTokenJson[];
  /** How ids become text: the decoder family this file uses. */
  readonly decoding: DecodingScheme;
}

/**
 * The decoders we implement (whole and incremental), as read from tokenizer.json's `decoder`:
 * - `byteLevel`: the ByteLevel decoder (GPT-2, GPT-NeoX, Llama 3, Qwen);
 * - `sentencePiece`: SentencePiece-style BPE (Llama 2, Gemma, Mistral, Phi-3): each token's
 *   `replacements` applied (e.g. "▁" → " "), runs of `<0x..>` byte tokens decoded as UTF-8
 *   (`byteFallback`), then up to `stripStart` leading `stripContent` characters of the whole text
 *   removed (a Strip after Fuse), or one leading space of the first token (`metaspace`).
 */
export type DecodingScheme =
  | { readonly kind: 'byteLevel' }
  | {
      readonly kind: 'sentencePiece';
      readonly replacements: readonly (readonly [string, string])[];
      readonly byteFallback: boolean;
      readonly stripStart: number;
      readonly stripContent: string;
      readonly metaspace: boolean;
    };

/** The token that stands for byte `b` in SentencePiece byte fallback: `<0x0A>`. */
export function byteFallbackToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

const SUPPORTED_DECODERS =
  'the ByteLevel decoder (byte-level BPE), or a SentencePiece-style decoder: a Sequence of Replace (string patterns), ByteFallback, Fuse and Strip (start only, after Fuse), in that order, or Metaspace';

/**
 * Checks every id of `model.vocab` (as the library read it, added tokens included) and returns
 * the vocabulary size: the largest id plus one.
 */
export function checkVocabIds(tokensToIds: ReadonlyMap<string, unknown>, file: string): number {
  let maxId = -1;
  for (const [token, id] of tokensToIds) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_VOCAB) {
      formatError(
        file,
        `model.vocab[${JSON.stringify(token)}]`,
        `must be an integer id in 0..${MAX_VOCAB - 1}, got ${show(id)}.`,
      );
    }
    if (id > maxId) maxId = id;
  }
  if (maxId < 0) formatError(file, 'model.vocab', 'is empty.');
  return maxId + 1;
}

type Obj = Record<string, unknown>;

/** Ids must be below this (2^24): no real vocabulary comes close, and it bounds the tables we allocate. */
export const MAX_VOCAB = 1 << 24;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Throws DYNAMO_TOKENIZER_FORMAT naming the file and the field. */
export function formatError(file: string, field: string, problem: string, cause?: unknown): never {
  throw new DynamoError(
    DynamoErrorCode.TOKENIZER_FORMAT,
    `${file}: ${field === '' ? '' : `field "${field}" `}${problem}`,
    {
      details: { file, field },
      cause,
    },
  );
}

function typeOf(config: unknown): string | undefined {
  return isObj(config) && typeof config.type === 'string' ? config.type : undefined;
}

function containsByteLevel(config: unknown): boolean {
  if (!isObj(config)) return false;
  if (config.type === 'ByteLevel') return true;
  if (config.type === 'Sequence' && Array.isArray(config.pretokenizers))
    return config.pretokenizers.some(containsByteLevel);
  return false;
}

/**
 * Checks that `raw` is a tokenizer.json this package supports: a BPE model with the byte-level or SentencePiece-style
 * decoder (see {@link DecodingScheme}); a ByteLevel decoder needs the ByteLevel pre-tokenizer.
 * Every problem is a DYNAMO_TOKENIZER_FORMAT error naming `file` and the field.
 */
export function checkTokenizerJson(raw: unknown, file: string): CheckedTokenizerJson {
  if (!isObj(raw)) formatError(file, '', `must be a JSON object (a Hugging Face tokenizer.json), got ${show(raw)}.`);
  const model = raw.model;
  if (!isObj(model)) formatError(file, 'model', `must be an object, got ${show(model)}.`);

  const type = model.type;
  if (type !== undefined && type !== 'BPE') {
    formatError(
      file,
      'model.type',
      `is ${show(type)}: only "BPE" is supported (byte-level BPE as in GPT-2, GPT-NeoX, Llama 3, Qwen; or SentencePiece-style BPE with byte fallback as in Llama 2, Gemma, Mistral, Phi-3). Unigram, WordPiece and WordLevel models are not supported.`,
    );
  }
  const vocab = model.vocab;
  if (!isObj(vocab)) {
    formatError(file, 'model.vocab', `must be an object mapping token strings to ids, got ${show(vocab)}.`);
  }
  // The vocabulary's ids are checked by checkVocabIds, on the library's Map (cheaper than here).
  if (!Array.isArray(model.merges)) formatError(file, 'model.merges', `must be an array, got ${show(model.merges)}.`);
  // One format for the whole list (the library decides by the first entry), checked without copying.
  const pairFormat = Array.isArray(model.merges[0]);
  for (let i = 0; i < model.merges.length; i++) {
    const m: unknown = model.merges[i];
    if (!pairFormat && typeof m === 'string') {
      const space = m.indexOf(' ');
      if (space <= 0 || space === m.length - 1 || m.indexOf(' ', space + 1) !== -1) {
        formatError(file, `model.merges[${i}]`, `must be two tokens separated by one space, got ${show(m)}.`);
      }
    } else if (
      !(pairFormat && Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')
    ) {
      formatError(
        file,
        `model.merges[${i}]`,
        `must be ${pairFormat ? '["a", "b"] like the first merge' : '"a b" like the first merge'}, got ${show(m)}.`,
      );
    }
  }
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0) {
    formatError(file, 'model.dropout', `is ${show(model.dropout)}: BPE dropout (random encodings) is not supported.`);
  }
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const v = model[key];
    if (v !== undefined && v !== null && v !== '') {
      formatError(file, `model.${key}`, `is ${show(v)}: BPE tokenizers we support do not use it (not supported).`);
    }
  }

  const rawAdded = raw.added_tokens ?? [];
  if (!Array.isArray(rawAdded)) formatError(file, 'added_tokens', `must be an array, got ${show(rawAdded)}.`);
  const addedTokens: AddedTokenJson[] = [];
  rawAdded.forEach((t: unknown, i: number) => {
    if (!isObj(t)) formatError(file, `added_tokens[${i}]`, `must be an object, got ${show(t)}.`);
    if (typeof t.id !== 'number' || !Number.isInteger(t.id) || t.id < 0 || t.id >= MAX_VOCAB) {
      formatError(file, `added_tokens[${i}].id`, `must be an integer in 0..${MAX_VOCAB - 1}, got ${show(t.id)}.`);
    }
    if (typeof t.content !== 'string' || t.content.length === 0) {
      formatError(file, `added_tokens[${i}].content`, `must be a non-empty string, got ${show(t.content)}.`);
    }
    addedTokens.push(t as unknown as AddedTokenJson);
  });

  const decoding = checkDecoder(raw.decoder, file);
  if (decoding.kind === 'byteLevel' && !containsByteLevel(raw.pre_tokenizer)) {
    formatError(
      file,
      'pre_tokenizer',
      `must be (or contain, in a Sequence) the ByteLevel pre-tokenizer when the decoder is ByteLevel, got ${typeOf(raw.pre_tokenizer) === undefined ? show(raw.pre_tokenizer) : `type "${typeOf(raw.pre_tokenizer)}"`}.`,
    );
  }
  if (model.byte_fallback === true) {
    const addedContents = new Set(addedTokens.map((t) => t.content));
    for (let b = 0; b < 256; b++) {
      const token = byteFallbackToken(b);
      if (vocab[token] === undefined && !addedContents.has(token)) {
        formatError(
          file,
          'model.vocab',
          `has no ${JSON.stringify(token)} token, but model.byte_fallback is true: byte fallback needs all 256 tokens <0x00>..<0xFF>.`,
        );
      }
    }
  }
  if (decoding.kind === 'sentencePiece' && decoding.byteFallback && model.byte_fallback !== true) {
    formatError(file, 'model.byte_fallback', 'must be true when the decoder has a ByteFallback step.');
  }
  for (const key of ['normalizer', 'post_processor'] as const) {
    const v = raw[key];
    if (v !== undefined && v !== null && typeOf(v) === undefined) {
      formatError(file, key, `must be null or an object with a "type", got ${show(v)}.`);
    }
  }

  const json: Record<string, unknown> = {
    ...raw,
    added_tokens: rawAdded,
    normalizer: raw.normalizer ?? null,
    pre_tokenizer: raw.pre_tokenizer,
    post_processor: raw.post_processor ?? null,
    decoder: raw.decoder,
    model: { ...model, type: 'BPE' },
  };
  return { json, addedTokens, decoding };
}

/** Reads `decoder` into a {@link DecodingScheme}; anything else is DYNAMO_TOKENIZER_FORMAT. */
function checkDecoder(decoder: unknown, file: string): DecodingScheme {
  const type = typeOf(decoder);
  const got = type === undefined ? show(decoder) : `type "${type}"`;
  if (type === 'ByteLevel') return { kind: 'byteLevel' };
  if (type === 'Metaspace') {
    const replacement = (decoder as Obj).replacement ?? '\u2581';
    if (typeof replacement !== 'string' || replacement.length === 0) {
      formatError(file, 'decoder.replacement', `must be a non-empty string, got ${show(replacement)}.`);
    }
    return {
      kind: 'sentencePiece',
      replacements: [[replacement, ' ']],
      byteFallback: false,
      stripStart: 0,
      stripContent: ' ',
      metaspace: true,
    };
  }
  if (type !== 'Sequence' && type !== 'Replace' && type !== 'ByteFallback' && type !== 'Fuse' && type !== 'Strip') {
    formatError(file, 'decoder', `is ${got}: supported are ${SUPPORTED_DECODERS}.`);
  }
  const steps: unknown[] = type === 'Sequence' ? ((decoder as Obj).decoders as unknown[]) : [decoder];
  if (!Array.isArray(steps)) formatError(file, 'decoder.decoders', `must be an array, got ${show(steps)}.`);
  const replacements: [string, string][] = [];
  let byteFallback = false;
  let fused = false;
  let stripStart = 0;
  let stripContent = ' ';
  let stage = 0; // 0: Replace, 1: ByteFallback, 2: Fuse, 3: Strip — steps must come in this order
  steps.forEach((step: unknown, i: number) => {
    const field = type === 'Sequence' ? `decoder.decoders[${i}]` : 'decoder';
    const stepType = typeOf(step);
    const order = { Replace: 0, ByteFallback: 1, Fuse: 2, Strip: 3 }[stepType as string];
    if (order === undefined || order < stage || (order === stage && order !== 0)) {
      formatError(
        file,
        field,
        `is ${stepType === undefined ? show(step) : `type "${stepType}"`} here: supported are ${SUPPORTED_DECODERS}.`,
      );
    }
    stage = order;
    const o = step as Obj;
    if (stepType === 'Replace') {
      const pattern = isObj(o.pattern) ? o.pattern.String : undefined;
      if (typeof pattern !== 'string' || pattern.length === 0 || typeof o.content !== 'string') {
        formatError(file, field, 'must be a Replace with a {"String": ...} pattern and a string content.');
      }
      if (/[<>0-9A-Fa-fx]/.test(pattern)) {
        formatError(
          file,
          `${field}.pattern`,
          `is ${show(pattern)}: it could change <0x..> byte tokens (not supported).`,
        );
      }
      replacements.push([pattern, o.content]);
    } else if (stepType === 'ByteFallback') {
      byteFallback = true;
    } else if (stepType === 'Fuse') {
      fused = true;
    } else {
      const start = o.start ?? 0;
      const stop = o.stop ?? 0;
      const content = o.content;
      if (!fused) formatError(file, field, 'is a Strip before Fuse (per-token strip): not supported.');
      if (typeof content !== 'string' || content.length !== 1) {
        formatError(file, `${field}.content`, `must be one character, got ${show(content)}.`);
      }
      if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
        formatError(file, `${field}.start`, `must be a non-negative integer, got ${show(start)}.`);
      }
      if (stop !== 0) formatError(file, `${field}.stop`, `is ${show(stop)}: only 0 is supported.`);
      stripStart = start;
      stripContent = content;
    }
  });
  return { kind: 'sentencePiece', replacements, byteFallback, stripStart, stripContent, metaspace: false };
}

/** Which tokenizer.json field an error of `@huggingface/tokenizers` is about (from its message). */
export function fieldOfLibraryError(message: string): string {
  if (/Normalizer/.test(message)) return 'normalizer';
  if (/PreTokenizer/.test(message)) return 'pre_tokenizer';
  if (/PostProcessor/.test(message)) return 'post_processor';
  if (/Decoder/.test(message)) return 'decoder';
  if (/TokenizerModel/.test(message)) return 'model';
  return '';
}
