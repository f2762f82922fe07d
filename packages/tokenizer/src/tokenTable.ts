import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { byteLevelTokenBytes } from './byteLevel.js';
import { completeUtf8Text } from './utf8.js';

/**
 * The id → token table the decoders share: each id's bytes and, when those bytes are complete
 * UTF-8 on their own, its text — both computed once, on first use.
 */
export class TokenTable {
  readonly size: number;
  /** 1 for the ids `skipSpecialTokens` drops. */
  readonly skippable: Uint8Array;
  private readonly tokens: readonly (string | undefined)[];
  private readonly byteCache: (Uint8Array | undefined)[];
  /** undefined: not computed yet; null: the token's bytes are not complete UTF-8 alone. */
  private readonly textCache: (string | null | undefined)[];
  private readonly file: string;
  private readonly tokenBytes: (token: string) => Uint8Array;

  constructor(
    tokens: readonly (string | undefined)[],
    size: number,
    skippable: Uint8Array,
    file: string,
    tokenBytes: (token: string) => Uint8Array = byteLevelTokenBytes,
  ) {
    this.tokenBytes = tokenBytes;
    this.tokens = tokens;
    this.size = size;
    this.skippable = skippable;
    this.byteCache = new Array(size);
    this.textCache = new Array(size);
    this.file = file;
  }

  token(id: number): string | undefined {
    return typeof id === 'number' ? this.tokens[id] : undefined;
  }

  /** The id → token array (read-only; holes for ids with no token). */
  tokensView(): readonly (string | undefined)[] {
    return this.tokens;
  }

  /** Throws DYNAMO_TOKEN_OUT_OF_RANGE unless every id has a token. */
  check(ids: ArrayLike<number>): void {
    const tokens = this.tokens;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (typeof id !== 'number' || tokens[id] === undefined) this.outOfRange(id, i);
    }
  }

  outOfRange(id: unknown, index: number): never {
    const inRange = typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < this.size;
    throw new DynamoError(
      DynamoErrorCode.TOKEN_OUT_OF_RANGE,
      inRange
        ? `Token id ${id} (at index ${index}) has no token in ${this.file}.`
        : `Token id ${typeof id === 'number' ? id : String(id)} (at index ${index}) is outside the vocabulary of ${this.file} (ids 0..${this.size - 1}).`,
      { details: { file: this.file, id, index, vocabSize: this.size } },
    );
  }

  bytes(id: number): Uint8Array {
    let b = this.byteCache[id];
    if (b === undefined) {
      b = this.tokenBytes(this.tokens[id]!);
      this.byteCache[id] = b;
    }
    return b;
  }

  /** The token's text when its bytes are complete, valid UTF-8 on their own; otherwise null. */
  text(id: number): string | null {
    let t = this.textCache[id];
    if (t === undefined) {
      t = completeUtf8Text(this.bytes(id));
      this.textCache[id] = t;
    }
    return t;
  }
}
