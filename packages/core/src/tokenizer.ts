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

/** One chat message as chat templates see it (extra keys, e.g. `tool_calls`, pass through). */
export interface ChatMessage {
  readonly role: string;
  readonly content: string | readonly Readonly<Record<string, unknown>>[];
  readonly [key: string]: unknown;
}

/** Options of `applyChatTemplate`, as transformers.js' `apply_chat_template` takes them. */
export interface ChatTemplateOptions {
  /** End with the tokens that open an assistant turn. Default false (as in transformers.js). */
  readonly addGenerationPrompt?: boolean;
  /**
   * Leave the last message open so the model continues it (an assistant prefill): the text is cut
   * right after that message's content, as Python transformers' `continue_final_message` does.
   * Not together with `addGenerationPrompt`. Default false.
   */
  readonly continueFinalMessage?: boolean;
  /** A template, or the name of one of the model's named templates; default the model's own. */
  readonly chatTemplate?: string;
  /** JSON Schema tool definitions, for templates that support function calling. */
  readonly tools?: readonly Readonly<Record<string, unknown>>[];
  /** Documents, for templates that support retrieval-augmented generation. */
  readonly documents?: readonly Readonly<Record<string, string>>[];
  /** Extra template variables (e.g. `enable_thinking`). */
  readonly templateVariables?: Readonly<Record<string, unknown>>;
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
  /**
   * Renders chat messages with the model's chat template to prompt text (encode it without
   * special tokens: the template writes them). Absent or throwing DYNAMO_UNSUPPORTED when the
   * tokenizer has no template.
   */
  applyChatTemplate?(messages: readonly ChatMessage[], options?: ChatTemplateOptions): string;
}
