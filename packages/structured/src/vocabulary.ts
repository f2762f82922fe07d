import { DynamoError, DynamoErrorCode, type TextTokenizer } from '@dynamojs/core';

/** How the engine decodes the token strings: XGrammar's vocabulary types. */
export type VocabType = 'byte_level' | 'byte_fallback' | 'raw';

/** A tokenizer's vocabulary as the grammar engine indexes it. */
export interface Vocabulary {
  /** Token strings by id (as the tokenizer spells them: `Ġthe`, `▁the`, `<0x0A>`, …). */
  readonly tokens: string[];
  readonly type: VocabType;
}

/**
 * Reads every token string of `tokenizer` (`idToToken`) and guesses how they encode bytes:
 * GPT-2 style byte-level (`Ġ`, `Ċ`), SentencePiece byte fallback (`<0x0A>`, `▁`), or raw text.
 * DYNAMO_UNSUPPORTED when the tokenizer cannot be indexed (no `idToToken`, no vocabulary).
 */
export function readVocabulary(tokenizer: TextTokenizer, type?: VocabType): Vocabulary {
  const t = tokenizer as Partial<TextTokenizer> | null;
  const size = t?.vocabSize;
  if (typeof t?.idToToken !== 'function' || typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
    throw new DynamoError(
      DynamoErrorCode.UNSUPPORTED,
      'The grammar engine cannot index this tokenizer: it needs its vocabulary (vocabSize and idToToken(id)), e.g. a tokenizer from @dynamojs/tokenizer.',
      { details: { option: 'tokenizer', expected: 'a TextTokenizer with idToToken', actual: typeof t } },
    );
  }
  const tokens: string[] = new Array(size);
  let missing = 0;
  let byteLevel = 0;
  let byteFallback = 0;
  let sentencePiece = 0;
  for (let id = 0; id < size; id++) {
    const token = t.idToToken(id);
    if (typeof token !== 'string') {
      missing++;
      tokens[id] = `<|dynamo_unused_${id}|>`;
      continue;
    }
    tokens[id] = token;
    if (/^<0x[0-9A-Fa-f]{2}>$/.test(token)) byteFallback++;
    if (token.includes('\u2581')) sentencePiece++;
    if (token.includes('\u0120') || token.includes('\u010a')) byteLevel++;
  }
  if (missing * 2 > size) {
    throw new DynamoError(
      DynamoErrorCode.UNSUPPORTED,
      `The grammar engine cannot index this tokenizer: ${missing} of its ${size} ids have no token string (idToToken).`,
      { details: { option: 'tokenizer', actual: missing } },
    );
  }
  const guessed: VocabType =
    byteFallback >= 200 && sentencePiece > 0
      ? 'byte_fallback'
      : byteLevel > 0 && byteLevel >= sentencePiece
        ? 'byte_level'
        : 'raw';
  return { tokens, type: type ?? guessed };
}
