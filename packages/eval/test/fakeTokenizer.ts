import type { IncrementalDecoder, TextTokenizer } from '@dynamojs/core';

/** One letter per token: id i ↔ the letter 'a' + i (vocabulary ≤ 26). */
export function letterTokenizer(vocabSize: number): TextTokenizer {
  const letter = (id: number) => String.fromCharCode(97 + id);
  return {
    vocabSize,
    specialTokens: {},
    hash: 'letters',
    encode: (text) => Array.from(text, (c) => (c.charCodeAt(0) - 97 + 26 * 100) % vocabSize),
    decode: (ids) => Array.from(ids, letter).join(''),
    createDecoder(): IncrementalDecoder {
      let text = '';
      return {
        push(ids) {
          const piece = Array.from(ids, letter).join('');
          text += piece;
          return piece;
        },
        flush: () => '',
        get text() {
          return text;
        },
      };
    },
    tokenToId: (t) => t.charCodeAt(0) - 97,
    idToToken: (id) => letter(id),
  };
}
