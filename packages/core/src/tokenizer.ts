import type { SpecialTokenIds } from './model.js';

export interface EncodeOptions {
  /** Add the tokenizer's post-processor tokens (e.g. BOS). Default false for generation. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (eos, pad, ...) from the text. Default true. */
  readonly skipSpecialTokens?: boolean;
}

/**
 * Turns token ids into text as they arrive, one or several at a time, and yields text only once
 * it is complete UTF-8 (a multi-byte character split across tokens is held back).
 * The concatenation of every `push` and the final `flush` equals `decode(allIds)`.
 */
export interface IncrementalDecoder {
  /** Adds tokens; returns the newly completed text (possibly ''). */
  push(ids: ArrayLike<number>): string;
  /** Returns whatever is left (an incomplete character decodes with U+FFFD). */
  flush(): string;
  /** Text produced so far. */
  readonly text: string;
}

/** The tokenizer contract generation depends on. `@dynamojs/tokenizer` implements it. */
export interface TextTokenizer {
  readonly vocabSize: number;
  readonly specialTokens: SpecialTokenIds;
  /** A stable hash of the vocabulary and merges, to cross-check models and co-occurrence tables. */
  readonly hash: string;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  createDecoder(options?: DecodeOptions): IncrementalDecoder;
  /** The id of a token string, if it is in the vocabulary. */
  tokenToId(token: string): number | undefined;
  /** The token string of an id. */
  idToToken(id: number): string | undefined;
}
