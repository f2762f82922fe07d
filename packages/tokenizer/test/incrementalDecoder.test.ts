import { isDynamoError } from '@dynamojs/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { BYTE_TO_CHAR, createTokenizer, type DynamoTokenizer } from '../src/index.js';
import { GPT2_EOS_ID, gpt2TokenizerJson } from './gpt2TokenizerJson.js';

let tok: DynamoTokenizer;
/** byteId[b]: the id of the single-byte token for byte b. */
let byteId: number[];

beforeAll(() => {
  tok = createTokenizer(gpt2TokenizerJson());
  byteId = BYTE_TO_CHAR.map((c) => tok.tokenToId(c)!);
});

/** One single-byte token per UTF-8 byte: every multi-byte character is split across tokens. */
function byteIds(text: string): number[] {
  return Array.from(new TextEncoder().encode(text), (b) => byteId[b]!);
}

/** Pushes `ids` in chunks of the given sizes (cycled; 0 = an empty push). */
function streamed(
  ids: readonly number[],
  sizes: readonly number[] = [1],
  skipSpecialTokens = true,
): { text: string; chunks: string[] } {
  const decoder = tok.createDecoder({ skipSpecialTokens });
  if (sizes.every((n) => n === 0)) sizes = [...sizes, 1];
  const chunks: string[] = [];
  let at = 0;
  let k = 0;
  while (at < ids.length) {
    const size = sizes[k++ % sizes.length]!;
    chunks.push(decoder.push(ids.slice(at, at + size)));
    at += size;
  }
  chunks.push(decoder.flush());
  expect(decoder.text).toBe(chunks.join(''));
  return { text: chunks.join(''), chunks };
}

const anyIds = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: GPT2_EOS_ID }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => byteId[b]!) }, // raw bytes
    { weight: 1, arbitrary: fc.constant(GPT2_EOS_ID) },
  ),
  { maxLength: 40 },
);
const chunkSizes = fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 8 });
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '€', '日', '😀', '👨‍👩‍👧', ' ', '\n', '\ufeff'), maxLength: 20 }),
);

describe('incremental decoder', () => {
  test('property: any split of any id sequence gives the whole decode (both skip settings)', () => {
    fc.assert(
      fc.property(anyIds, chunkSizes, fc.boolean(), (ids, sizes, skip) => {
        const whole = tok.decode(ids, { skipSpecialTokens: skip });
        expect(streamed(ids, sizes, skip).text).toBe(whole);
        // reference: all kept tokens' bytes, concatenated, decoded at once (the ByteLevel decoder)
        const kept = ids.filter((id) => !(skip && id === GPT2_EOS_ID));
        const bytes = kept.flatMap((id) => Array.from(tok.tokenBytes(id)));
        expect(whole).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(Uint8Array.from(bytes)));
      }),
      { numRuns: 1000 },
    );
  });

  test('property: splits inside multi-byte characters yield only complete text, never U+FFFD', () => {
    // (a text that holds U+FFFD itself rightly streams it: the property is about splits producing it)
    const withoutReplacement = text.filter((s) => !s.includes('\ufffd'));
    fc.assert(
      fc.property(withoutReplacement, chunkSizes, fc.boolean(), (s, sizes, bytewise) => {
        const ids = bytewise ? byteIds(s) : tok.encode(s);
        const { text: out, chunks } = streamed(ids, sizes);
        expect(out).toBe(s);
        expect(out).toBe(tok.decode(ids));
        let prefix = '';
        for (const chunk of chunks) {
          expect(chunk).not.toContain('\ufffd');
          prefix += chunk;
          expect(s.startsWith(prefix)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('a character split across tokens is held back until complete', () => {
    const decoder = tok.createDecoder();
    const euro = byteIds('€'); // E2 82 AC
    expect(decoder.push([tok.encode('a')[0]!, euro[0]!])).toBe('a');
    expect(decoder.pendingBytes).toBe(1);
    expect(decoder.push([euro[1]!])).toBe('');
    expect(decoder.pendingBytes).toBe(2);
    expect(decoder.push([])).toBe('');
    expect(decoder.push([euro[2]!, ...tok.encode('b')])).toBe('€b');
    expect(decoder.pendingBytes).toBe(0);
    expect(decoder.flush()).toBe('');
    expect(decoder.text).toBe('a€b');
  });

  test('4-byte emoji and ZWJ sequences pushed byte by byte', () => {
    for (const s of ['😀', '👨‍👩‍👧‍👦', '🏳️‍🌈', '👍🏽x']) {
      const decoder = tok.createDecoder();
      const outs = byteIds(s).map((id) => decoder.push([id]));
      expect(outs.join('') + decoder.flush()).toBe(s);
      expect(outs.filter((o) => o !== '').every((o) => !o.includes('\ufffd'))).toBe(true);
    }
    // GPT-2 itself splits CJK and emoji across tokens: the real encodings stream fine too
    const ids = tok.encode('日本語 😀');
    expect(ids.length).toBeGreaterThan(3);
    expect(streamed(ids, [1]).chunks.every((c) => !c.includes('\ufffd'))).toBe(true);
  });

  test('invalid bytes become U+FFFD exactly as a whole decode does', () => {
    const [e2, x82] = [byteId[0xe2]!, byteId[0x82]!];
    const a = tok.encode('a')[0]!;
    const d1 = tok.createDecoder();
    expect(d1.push([e2, x82])).toBe('');
    expect(d1.push([a])).toBe('\ufffda'); // one U+FFFD for the maximal invalid subpart
    const d2 = tok.createDecoder();
    expect(d2.push([e2, x82])).toBe('');
    expect(d2.flush()).toBe('\ufffd'); // incomplete at the end
    expect(tok.decode([e2, x82])).toBe('\ufffd');
    expect(tok.decode([byteId[0x80]!])).toBe('\ufffd'); // lone continuation byte
    expect(tok.decode([byteId[0xff]!, a])).toBe('\ufffda'); // never-valid byte
    expect(tok.decode([byteId[0xe0]!, byteId[0x80]!])).toBe('\ufffd\ufffd'); // overlong: E0 80
    expect(tok.decode([byteId[0xed]!, byteId[0xa0]!, byteId[0x80]!])).toBe('\ufffd\ufffd\ufffd'); // surrogate
  });

  test('special tokens: skipped by default, kept on request, without breaking a pending character', () => {
    const euro = byteIds('€');
    const ids = [euro[0]!, GPT2_EOS_ID, euro[1]!, euro[2]!];
    expect(streamed(ids, [1]).text).toBe('€');
    expect(streamed(ids, [1], false).text).toBe(tok.decode(ids, { skipSpecialTokens: false }));
    const d = tok.createDecoder({ skipSpecialTokens: false });
    expect(d.push(tok.encode('Hi'))).toBe('Hi');
    expect(d.push([GPT2_EOS_ID])).toBe('<|endoftext|>');
  });

  test('a bad id throws DYNAMO_TOKEN_OUT_OF_RANGE and leaves the decoder as it was', () => {
    const d = tok.createDecoder();
    const euro = byteIds('€');
    d.push([euro[0]!]);
    for (const bad of [-1, 50257, 1e9, 1.5, Number.NaN]) {
      let error: unknown;
      try {
        d.push([euro[1]!, bad]);
      } catch (e) {
        error = e;
      }
      expect(isDynamoError(error, 'DYNAMO_TOKEN_OUT_OF_RANGE')).toBe(true);
      expect((error as Error).message).toContain(String(bad));
      expect((error as { details: { id: unknown; index: number } }).details).toMatchObject({ id: bad, index: 1 });
    }
    expect(d.pendingBytes).toBe(1);
    expect(d.push([euro[1]!, euro[2]!])).toBe('€');
  });

  test('the README example', () => {
    const d = tok.createDecoder();
    expect(
      [
        [40, 588],
        [8887, 30325],
        [222, 0],
      ].map((e) => d.push(e)),
    ).toEqual(['I like', ' tea ', '😀!']);
    expect(d.flush()).toBe('');
  });

  test('accepts typed arrays', () => {
    const ids = tok.encode('typed arrays work');
    expect(tok.createDecoder().push(Int32Array.from(ids))).toBe('typed arrays work');
    expect(tok.decode(Uint32Array.from(ids))).toBe('typed arrays work');
  });

  test('reset forgets pending bytes and text', () => {
    const d = tok.createDecoder();
    d.push([byteId[0xe2]!]);
    d.reset();
    expect(d.pendingBytes).toBe(0);
    expect(d.text).toBe('');
    expect(d.push(tok.encode('ok'))).toBe('ok');
  });
});
