// biome-ignore-all lint/suspicious/noExplicitAny: tests poke at untyped tokenizer.json and error objects
import { isDynamoError } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkVocabulary, createTokenizer, Fnv1a64, fnv1a64, vocabularyHash } from '../src/index.js';
import { tinyTokenizerJson } from './fixtures.js';
import { gpt2TokenizerJson } from './gpt2TokenizerJson.js';

/** GPT-2's vocabulary hash; also computed by the Python snippet in src/vocabularyHash.ts. */
export const GPT2_HASH = '3a8c104b37e80ebb';

/** Straightforward BigInt FNV-1a 64 over TextEncoder bytes: the reference. */
function referenceFnv(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

function referenceVocabularyHash(json: Record<string, any>): string {
  const byId: string[] = [];
  for (const [t, id] of Object.entries<number>(json.model.vocab)) byId[id] = t;
  for (const t of json.added_tokens ?? []) byId[t.id] = t.content;
  const parts: number[] = [];
  const utf8 = (s: string) => Array.from(new TextEncoder().encode(s));
  for (let i = 0; i < byId.length; i++) parts.push(...utf8(byId[i] ?? ''), 0);
  parts.push(1);
  for (const m of json.model.merges) {
    const [a, b] = typeof m === 'string' ? m.split(' ') : m;
    parts.push(...utf8(a), 0, ...utf8(b), 0);
  }
  return referenceFnv(Uint8Array.from(parts));
}

describe('vocabulary hash', () => {
  test('FNV-1a 64 test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  test('property: the 32-bit-halves FNV equals the BigInt reference on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 50 }), (s) => {
        expect(fnv1a64(s)).toBe(referenceFnv(new TextEncoder().encode(s)));
      }),
    );
    const h = new Fnv1a64();
    h.bytes([0, 255, 128]);
    expect(h.hex()).toBe(referenceFnv(new Uint8Array([0, 255, 128])));
  });

  test('tokenizer.hash follows the documented serialisation', () => {
    const tiny = tinyTokenizerJson();
    expect(createTokenizer(tiny).hash).toBe(referenceVocabularyHash(tiny)); // with holes (ids 262..299)
  });

  test('GPT-2 hash is stable', () => {
    const tok = createTokenizer(gpt2TokenizerJson());
    expect(tok.hash).toBe(GPT2_HASH);
    expect(tok.hash).toBe(GPT2_HASH); // cached
  });

  test('merges as "a b" strings or ["a", "b"] pairs hash the same; any change changes it', () => {
    const base = createTokenizer(tinyTokenizerJson()).hash;
    const pairs = tinyTokenizerJson();
    pairs.model.merges = pairs.model.merges.map((m: string) => m.split(' '));
    expect(createTokenizer(pairs).hash).toBe(base);

    const swapped = tinyTokenizerJson();
    swapped.model.merges.reverse();
    const renamed = tinyTokenizerJson();
    renamed.added_tokens[1].content = '<pad>';
    const extra = tinyTokenizerJson();
    extra.added_tokens.push({ id: 303, content: '<|extra|>', special: true });
    const hashes = [base, ...[swapped, renamed, extra].map((j) => createTokenizer(j).hash)];
    expect(new Set(hashes).size).toBe(4);
  });

  test('vocabularyHash() directly', () => {
    expect(vocabularyHash(['a', undefined, 'b'], 3, [['a', 'b']])).toBe(
      referenceFnv(new Uint8Array([0x61, 0, 0, 0x62, 0, 1, 0x61, 0, 0x62, 0])),
    );
  });
});

describe('checkVocabulary', () => {
  const tok = createTokenizer(tinyTokenizerJson());

  test('passes when size and hash agree (or are not given)', () => {
    expect(() => checkVocabulary(tok, { vocabSize: 303, hash: tok.hash })).not.toThrow();
    expect(() => checkVocabulary(tok, { hash: tok.hash.toUpperCase() })).not.toThrow();
    expect(() => checkVocabulary(tok, {})).not.toThrow();
    expect(() => checkVocabulary(tok, { vocabSize: 320, allowPadding: true })).not.toThrow();
  });

  test('throws DYNAMO_VOCAB_MISMATCH naming the field and both values', () => {
    const cases = [
      [{ vocabSize: 50257, source: 'ngrams.bin' }, 'vocabSize', ['ngrams.bin', '50257', '303']],
      [{ vocabSize: 320 }, 'vocabSize', ['320', '303']],
      [{ vocabSize: 200, allowPadding: true }, 'vocabSize', ['200', '303']],
      [
        { vocabSize: 303, hash: '0123456789abcdef', source: 'dynamo.json' },
        'hash',
        ['dynamo.json', '0123456789abcdef', tok.hash],
      ],
    ] as const;
    for (const [expected, field, mentions] of cases) {
      let error: any;
      try {
        checkVocabulary(tok, expected);
      } catch (e) {
        error = e;
      }
      expect(isDynamoError(error, 'DYNAMO_VOCAB_MISMATCH')).toBe(true);
      expect(error.details.field).toBe(field);
      for (const m of mentions) expect(error.message).toContain(m);
    }
  });
});
