import {
  type ChatMessage,
  type ChatTemplateOptions,
  type DecodeOptions,
  DynamoError,
  DynamoErrorCode,
  type EncodeOptions,
  type SpecialTokenIds,
  type TextTokenizer,
} from '@dynamojs/core';
import { Tokenizer } from '@huggingface/tokenizers';
import { useWhiteSpacePattern } from './byteLevelPattern.js';
import { ChatTemplate, type ChatTemplateSource } from './chatTemplate.js';
import { accelerateBpe, accelerateByteLevel } from './fastBpe.js';
import { ByteLevelIncrementalDecoder } from './incrementalDecoder.js';
import { SentencePieceIncrementalDecoder } from './sentencePieceDecoder.js';
import { resolveSpecialTokens } from './specialTokens.js';
import {
  byteFallbackToken,
  type CheckedTokenizerJson,
  checkTokenizerJson,
  checkVocabIds,
  type DecodingScheme,
  fieldOfLibraryError,
  formatError,
} from './tokenizerJson.js';
import { TokenTable } from './tokenTable.js';
import { vocabularyHash } from './vocabularyHash.js';

export interface TokenizerOptions {
  /**
   * eos/bos/pad ids that win over what the tokenizer says, typically a model manifest's
   * `specialTokens`. Each must be an id of the tokenizer (else DYNAMO_TOKEN_OUT_OF_RANGE).
   */
  readonly specialTokens?: Partial<SpecialTokenIds>;
  /**
   * The parsed `tokenizer_config.json`, if you have it: its `eos_token` / `bos_token` /
   * `pad_token` name the special tokens (a manifest's `specialTokens` still win).
   */
  readonly tokenizerConfig?: Readonly<Record<string, unknown>>;
  /**
   * The chat template (a Jinja string or named `[{ name, template }]`), winning over
   * `tokenizerConfig.chat_template`. Its special-token variables come from `tokenizerConfig`.
   */
  readonly chatTemplate?: ChatTemplateSource;
  /** Name used in error messages (the file path or URL it came from). */
  readonly name?: string;
}

/**
 * A byte-level BPE tokenizer loaded from a Hugging Face tokenizer.json. Encoding is done by
 * `@huggingface/tokenizers`; decoding (whole and incremental) by DynaMo.js's byte-level decoder,
 * which matches the Hugging Face ByteLevel decoder's output exactly.
 */
export class DynamoTokenizer implements TextTokenizer {
  /** Largest token id + 1 (vocabulary and added tokens). */
  readonly vocabSize: number;
  readonly specialTokens: SpecialTokenIds;
  /** Where it came from (file, URL, or a description), for messages. */
  readonly name: string;
  /** Ids dropped by `skipSpecialTokens`: the added tokens marked special, plus eos/bos/pad. */
  readonly specialIds: ReadonlySet<number>;
  private readonly hf: Tokenizer;
  private readonly table: TokenTable;
  private readonly merges: readonly (readonly [string, string])[];
  private readonly decoding: DecodingScheme;
  /** SentencePiece-style only: byteOf[id] is the byte of a `<0x..>` token, else -1. */
  private readonly byteOf: Int16Array | undefined;
  private cachedHash: string | undefined;
  /** The model's chat template, from `chatTemplate` or tokenizer_config.json; undefined if none. */
  readonly chatTemplate: ChatTemplate | undefined;

  /** Use {@link createTokenizer} or {@link loadTokenizer}. */
  constructor(tokenizerJson: unknown, options: TokenizerOptions = {}) {
    const name = options.name ?? 'tokenizer.json';
    const checked: CheckedTokenizerJson = checkTokenizerJson(tokenizerJson, name);
    let hf: Tokenizer;
    try {
      // clean_up_tokenization_spaces only affects the library's decode, which we do not use.
      hf = new Tokenizer(checked.json, { clean_up_tokenization_spaces: false });
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      formatError(name, fieldOfLibraryError(message), `could not be loaded: ${message}`, cause);
    }
    // Match the Rust library's `\s` (Unicode White_Space) in the GPT-2 pre-tokenizer pattern.
    useWhiteSpacePattern(hf.pre_tokenizer);
    accelerateByteLevel(hf.pre_tokenizer);
    // The library splits "a b" merges into pairs (BPE.merges, public): reuse them.
    const merges = (hf.model as unknown as { merges: readonly (readonly [string, string])[] }).merges;
    accelerateBpe(hf.model, merges);
    this.hf = hf;
    this.name = name;
    this.chatTemplate =
      options.chatTemplate !== undefined
        ? new ChatTemplate(options.chatTemplate, options.tokenizerConfig)
        : ChatTemplate.fromTokenizerConfig(options.tokenizerConfig);
    this.vocabSize = checkVocabIds(hf.model!.tokens_to_ids, name);
    this.merges = merges;

    const tokens = hf.model!.vocab as (string | undefined)[];
    const table = tokens.length > this.vocabSize ? tokens.slice(0, this.vocabSize) : tokens;
    const isValidId = (id: number) => Number.isInteger(id) && id >= 0 && id < this.vocabSize && table[id] !== undefined;
    this.specialTokens = Object.freeze(
      resolveSpecialTokens((t) => hf.token_to_id(t), isValidId, name, options.tokenizerConfig, options.specialTokens),
    );
    const skippable = new Uint8Array(this.vocabSize);
    const specialIds = new Set<number>();
    for (const t of checked.addedTokens) {
      if (t.special === true) specialIds.add(t.id);
    }
    for (const id of [this.specialTokens.eos, this.specialTokens.bos, this.specialTokens.pad]) {
      if (id !== undefined) specialIds.add(id);
    }
    for (const id of specialIds) skippable[id] = 1;
    this.specialIds = specialIds;
    const decoding = checked.decoding;
    this.decoding = decoding;
    if (decoding.kind === 'sentencePiece') {
      const byteOf = new Int16Array(this.vocabSize).fill(-1);
      if (decoding.byteFallback) {
        for (let b = 0; b < 256; b++) {
          const id = hf.token_to_id(byteFallbackToken(b));
          if (id !== undefined && id < this.vocabSize) byteOf[id] = b;
        }
      }
      this.byteOf = byteOf;
      const utf8 = new TextEncoder();
      const replace = (token: string): string => {
        for (const [pattern, content] of decoding.replacements) token = token.replaceAll(pattern, content);
        return token;
      };
      const bytesOf = (token: string): Uint8Array => {
        const m = decoding.byteFallback ? /^<0x([0-9A-F]{2})>$/.exec(token) : null;
        return m ? Uint8Array.of(Number.parseInt(m[1]!, 16)) : utf8.encode(replace(token));
      };
      this.table = new TokenTable(table, this.vocabSize, skippable, name, bytesOf);
    } else {
      this.byteOf = undefined;
      this.table = new TokenTable(table, this.vocabSize, skippable, name);
    }
  }

  /**
   * FNV-1a 64-bit hex of the vocabulary and merges (format in `vocabularyHash`). Computed on first
   * read (a few ms for a 50k vocabulary), then cached.
   */
  get hash(): string {
    if (this.cachedHash === undefined) {
      this.cachedHash = vocabularyHash(this.table.tokensView(), this.vocabSize, this.merges);
    }
    return this.cachedHash;
  }

  /**
   * Text → ids. Special tokens written in the text (e.g. `<|endoftext|>`) become their ids, as in
   * Hugging Face tokenizers. `addSpecialTokens` (default false) applies the post-processor.
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `encode() needs a string, got ${typeof text}.`, {
        details: { option: 'text', actual: typeof text },
      });
    }
    let ids: number[];
    try {
      ids = this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? false }).ids;
    } catch (cause) {
      // A tokenizer.json the library accepted but cannot run (e.g. a bad regex in a Split).
      const message = cause instanceof Error ? cause.message : String(cause);
      formatError(this.name, fieldOfLibraryError(message), `cannot encode text: ${message}`, cause);
    }
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === undefined) {
        throw new DynamoError(
          DynamoErrorCode.TOKENIZER_FORMAT,
          `${this.name}: text produced a token that is not in the vocabulary (model.unk_token is unset).`,
          { details: { file: this.name, field: 'model.vocab', index: i } },
        );
      }
    }
    return ids;
  }

  /**
   * Ids → text, exactly as the Hugging Face ByteLevel decoder does it (no clean-up of spaces).
   * `skipSpecialTokens` defaults to true. An id without a token throws DYNAMO_TOKEN_OUT_OF_RANGE.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const decoder = this.createDecoder(options);
    return decoder.push(ids) + decoder.flush();
  }

  /** A streaming decoder for generation: push one or several ids, get the newly completed text. */
  createDecoder(options: DecodeOptions = {}): ByteLevelIncrementalDecoder | SentencePieceIncrementalDecoder {
    const skip = options.skipSpecialTokens ?? true;
    if (this.decoding.kind === 'sentencePiece') {
      return new SentencePieceIncrementalDecoder(this.table, skip, this.decoding, this.byteOf!);
    }
    return new ByteLevelIncrementalDecoder(this.table, skip);
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.table.token(id);
  }

  /**
   * Renders chat messages with the chat template, as transformers.js' `apply_chat_template`
   * (tokenize: false) does; encode the result without special tokens. Throws DYNAMO_UNSUPPORTED
   * without a template, DYNAMO_INVALID_OPTION with the template's message when it raises.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (this.chatTemplate === undefined) {
      throw new DynamoError(
        DynamoErrorCode.UNSUPPORTED,
        `${this.name}: the tokenizer has no chat template (give tokenizerConfig with chat_template, or chatTemplate).`,
        { details: { option: 'messages', file: this.name } },
      );
    }
    return this.chatTemplate.render(messages, options);
  }

  /** The bytes an id stands for (a read-only view: do not modify). Throws DYNAMO_TOKEN_OUT_OF_RANGE. */
  tokenBytes(id: number): Uint8Array {
    this.table.check([id]);
    return this.table.bytes(id);
  }

  /** True for the ids `skipSpecialTokens` drops. */
  isSpecial(id: number): boolean {
    return this.table.skippable[id] === 1;
  }
}
