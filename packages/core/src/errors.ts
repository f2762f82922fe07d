/**
 * Stable error codes. Every error DynaMo.js throws on bad input is a {@link DynamoError}
 * carrying one of these codes, so callers can branch on `error.code` instead of messages.
 */
export const DynamoErrorCode = {
  /** An option is missing, of the wrong type or out of range. */
  INVALID_OPTION: 'DYNAMO_INVALID_OPTION',
  /** A model file or manifest is malformed, truncated, of an unknown version or inconsistent. */
  MODEL_FORMAT: 'DYNAMO_MODEL_FORMAT',
  /** A model could not be loaded (missing file, runtime refused it). */
  MODEL_LOAD: 'DYNAMO_MODEL_LOAD',
  /** A file's checksum differs from the one in the manifest. */
  CHECKSUM_MISMATCH: 'DYNAMO_CHECKSUM_MISMATCH',
  /** A tokenizer file is malformed or uses an unsupported feature. */
  TOKENIZER_FORMAT: 'DYNAMO_TOKENIZER_FORMAT',
  /** Model, tokenizer and/or co-occurrence tables disagree on the vocabulary. */
  VOCAB_MISMATCH: 'DYNAMO_VOCAB_MISMATCH',
  /** A token id is outside the vocabulary. */
  TOKEN_OUT_OF_RANGE: 'DYNAMO_TOKEN_OUT_OF_RANGE',
  /** Co-occurrence tables are corrupt, truncated, or of an unknown version. */
  TABLE_FORMAT: 'DYNAMO_TABLE_FORMAT',
  /** A sampler, processor or drafter returned an invalid result (empty, too long, out-of-vocabulary). */
  SAMPLER: 'DYNAMO_SAMPLER',
  /** Logits contain NaN/Inf or have the wrong length. */
  INVALID_LOGITS: 'DYNAMO_INVALID_LOGITS',
  /** A requested execution device cannot start. */
  DEVICE_UNAVAILABLE: 'DYNAMO_DEVICE_UNAVAILABLE',
  /** Input is longer than the model's context window. */
  CONTEXT_OVERFLOW: 'DYNAMO_CONTEXT_OVERFLOW',
  /** A KV cache was used in an invalid way (wrong model, trimmed past its length, ...). */
  CACHE_STATE: 'DYNAMO_CACHE_STATE',
  /**
   * Valid input the model or runtime cannot run (e.g. a token tree on a graph without tree
   * inputs). Check the model's metadata first, or fall back to what it supports.
   */
  UNSUPPORTED: 'DYNAMO_UNSUPPORTED',
  /** An object was used after dispose(). */
  DISPOSED: 'DYNAMO_DISPOSED',
  /** The operation was aborted through an AbortSignal. */
  ABORTED: 'DYNAMO_ABORTED',
  /** Reading a file or URL failed. */
  IO: 'DYNAMO_IO',
  /** The runtime failed while running the model. */
  RUNTIME: 'DYNAMO_RUNTIME',
  /**
   * A JSON schema, regular expression or grammar is invalid or uses what the grammar engine does
   * not support (the message carries the engine's own).
   */
  GRAMMAR: 'DYNAMO_GRAMMAR',
  /** A bug: an invariant of DynaMo.js itself was broken. */
  INTERNAL: 'DYNAMO_INTERNAL',
} as const;

export type DynamoErrorCode = (typeof DynamoErrorCode)[keyof typeof DynamoErrorCode];

/** Structured context attached to an error: the file, tensor, option, id, ... it is about. */
export interface DynamoErrorDetails {
  readonly file?: string;
  readonly tensor?: string;
  readonly option?: string;
  readonly field?: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly [key: string]: unknown;
}

export interface DynamoErrorOptions {
  readonly details?: DynamoErrorDetails;
  readonly cause?: unknown;
}

/** The one error class of DynaMo.js. `code` is stable; `message` is for humans. */
export class DynamoError extends Error {
  override readonly name = 'DynamoError';
  readonly code: DynamoErrorCode;
  readonly details: DynamoErrorDetails;

  constructor(code: DynamoErrorCode, message: string, options: DynamoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { name: string; code: DynamoErrorCode; message: string; details: DynamoErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/**
 * True when `error` is a DynamoError (optionally with the given code). Works across
 * package copies (duck-typed on name + code), so two installed versions still interoperate.
 */
export function isDynamoError(error: unknown, code?: DynamoErrorCode): error is DynamoError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  if (e.name !== 'DynamoError' || typeof e.code !== 'string' || !e.code.startsWith('DYNAMO_')) {
    return false;
  }
  return code === undefined || e.code === code;
}

/** Throws DYNAMO_ABORTED when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'operation'): void {
  if (signal?.aborted) {
    throw new DynamoError(DynamoErrorCode.ABORTED, `The ${what} was aborted.`, {
      cause: signal.reason,
    });
  }
}
