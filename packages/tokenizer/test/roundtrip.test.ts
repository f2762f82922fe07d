import { PreTrainedTokenizer } from '@huggingface/transformers';
import fc from 'fast-check';
// gpt-3-encoder: an independent GPT-2 BPE implementation (openai/gpt-2's encoder.py, ported).
import gpt3Encoder from 'gpt-3-encoder';
import { beforeAll, describe, expect, test } from 'vitest';
import { createTokenizer, type DynamoTokenizer } from '../src/index.js';
import { GPT2_EOS_ID, GPT2_VOCAB_SIZE, gpt2TokenizerConfig, gpt2TokenizerJson } from './gpt2TokenizerJson.js';
import { SAMPLE_TEXTS } from './samples.js';

let tok: DynamoTokenizer;
let hf: PreTrainedTokenizer;

beforeAll(() => {
  tok = createTokenizer(gpt2TokenizerJson());
  hf = new PreTrainedTokenizer(gpt2TokenizerJson(), gpt2TokenizerConfig());
});

/**
 * Text without `<|endoftext|>` (gpt-3-encoder does not know special tokens) and without U+FEFF /
 * U+0085, where JavaScript's `\s` (gpt-3-encoder, transformers.js) differs from Unicode White_Space
 * (openai/gpt-2, the Rust tokenizers library, and us): see the test 'where JavaScript \s differs'.
 */
const jsSafe = (t: string) => t.replace(/[\ufeff\x85]/g, '');
const plainText = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({
      unit: fc.constantFrom('a', 'é', ' ', '  ', '\n', '\t', '日', '😀', '\u200d', "'", 's', 'll', '1', '.', ','),
      maxLength: 40,
    }),
  )
  .map(jsSafe);

describe('GPT-2 tokenizer.json', () => {
  test('vocabulary and special tokens', () => {
    expect(tok.vocabSize).toBe(GPT2_VOCAB_SIZE);
    expect(tok.specialTokens).toEqual({ eos: GPT2_EOS_ID, bos: GPT2_EOS_ID });
    expect(tok.tokenToId('<|endoftext|>')).toBe(GPT2_EOS_ID);
    expect(tok.idToToken(GPT2_EOS_ID)).toBe('<|endoftext|>');
    expect(tok.tokenToId('Ġthe')).toBe(262);
    expect(tok.idToToken(262)).toBe('Ġthe');
    expect(tok.idToToken(GPT2_VOCAB_SIZE)).toBeUndefined();
    expect(tok.tokenToId('not a token at all')).toBeUndefined();
    expect([...tok.specialIds]).toEqual([GPT2_EOS_ID]);
    expect(Array.from(tok.tokenBytes(220))).toEqual([0x20]); // "Ġ" is a space
    expect(Array.from(tok.tokenBytes(198))).toEqual([0x0a]); // "Ċ" is a newline
  });

  test('known ids', () => {
    expect(tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.encode(' the')).toEqual([262]);
    expect(tok.encode('')).toEqual([]);
    // special tokens written in the text become their id, as in Hugging Face tokenizers
    expect(tok.encode('a<|endoftext|>b')).toEqual([64, GPT2_EOS_ID, 65]);
  });

  test.each(SAMPLE_TEXTS.map((t) => [JSON.stringify(t).slice(0, 50), t]))('round-trip %s', (_, text) => {
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    const decoder = tok.createDecoder();
    let streamed = '';
    for (const id of ids) streamed += decoder.push([id]);
    streamed += decoder.flush();
    expect(streamed).toBe(text);
    expect(decoder.text).toBe(text);
  });

  test.each(SAMPLE_TEXTS.map((t) => [JSON.stringify(t).slice(0, 50), t]))('ids match gpt-3-encoder: %s', (_, text) => {
    expect(tok.encode(jsSafe(text))).toEqual(gpt3Encoder.encode(jsSafe(text)));
  });

  test.each(SAMPLE_TEXTS.map((t) => [JSON.stringify(t).slice(0, 50), t]))(
    'ids match transformers.js: %s',
    (_, text) => {
      const ids = tok.encode(jsSafe(text));
      expect(ids).toEqual(hf.encode(jsSafe(text), { add_special_tokens: false }));
      if (ids.length > 0) {
        expect(tok.decode(ids, { skipSpecialTokens: false })).toBe(
          hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
        );
      }
    },
  );

  test('property: round-trip of any text (no lone surrogates)', () => {
    fc.assert(
      fc.property(plainText, (text) => {
        expect(tok.decode(tok.encode(text))).toBe(text);
      }),
      { numRuns: 400 },
    );
  });

  test('property: ids match gpt-3-encoder and transformers.js on any text', () => {
    fc.assert(
      fc.property(plainText, (text) => {
        const ids = tok.encode(text);
        expect(ids).toEqual(gpt3Encoder.encode(text));
        expect(ids).toEqual(hf.encode(text, { add_special_tokens: false }));
      }),
      { numRuns: 400 },
    );
  });

  test('property: decode of any id sequence matches transformers.js and gpt-3-encoder', () => {
    // Random ids split multi-byte characters anywhere: invalid UTF-8 must become U+FFFD exactly
    // as the reference decoders do it. gpt-3-encoder's TextDecoder drops a leading BOM: avoid ids
    // that could produce one by prefixing an ASCII token.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: GPT2_EOS_ID - 1 }), { minLength: 1, maxLength: 30 }), (ids) => {
        const text = tok.decode(ids);
        expect(text).toBe(hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
        expect(tok.decode([64, ...ids])).toBe(gpt3Encoder.decode([64, ...ids]));
      }),
      { numRuns: 500 },
    );
  });

  test('where JavaScript \\s differs: U+FEFF is not whitespace, U+0085 is (as in openai/gpt-2 and Rust)', () => {
    // ids from openai/gpt-2's encoder.py (test/reference/gpt2_encoder.py, Python `regex`)
    const text = '\x85\x85 \ufeff!';
    expect(tok.encode(text)).toEqual([126, 227, 126, 227, 27332, 119, 123, 0]);
    // the JavaScript references split " \ufeff" as whitespace
    expect(gpt3Encoder.encode(text)).toEqual([126, 227, 126, 227, 220, 171, 119, 123, 0]);
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  test('long pre-tokens (> 64 characters use the heap-based BPE) and repeated words (cache)', () => {
    const long = [
      'a'.repeat(1000),
      'ab'.repeat(300),
      ` ${'supercalifragilistic'.repeat(10)}`,
      '1234567890'.repeat(20),
      ' '.repeat(500),
      '\n'.repeat(300),
      '!?'.repeat(100),
      'é'.repeat(100),
      '日本'.repeat(80),
      '😀'.repeat(40),
      'https://example.com/'.repeat(10),
    ];
    for (const text of long) {
      const ids = tok.encode(text);
      expect(ids).toEqual(gpt3Encoder.encode(text));
      expect(ids).toEqual(hf.encode(text, { add_special_tokens: false }));
      expect(tok.encode(text)).toEqual(ids); // from the cache
      expect(tok.decode(ids)).toBe(text);
    }
  });

  test('encode with addSpecialTokens: GPT-2 adds nothing', () => {
    expect(tok.encode('Hello world', { addSpecialTokens: true })).toEqual([15496, 995]);
  });

  test('skipSpecialTokens', () => {
    const ids = [...tok.encode('Hello'), GPT2_EOS_ID, ...tok.encode(' world')];
    expect(tok.decode(ids)).toBe('Hello world');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('Hello world');
    expect(tok.decode(ids, { skipSpecialTokens: false })).toBe('Hello<|endoftext|> world');
    expect(tok.decode(ids, { skipSpecialTokens: false })).toBe(
      hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    );
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(
      hf.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
    );
  });

  test('lone surrogates encode as U+FFFD (as TextEncoder does)', () => {
    expect(tok.decode(tok.encode('a\ud800b'))).toBe('a\ufffdb');
  });

  test('BOM and NUL survive a round-trip', () => {
    for (const text of ['\ufeff', '\ufeffstart', 'x\u0000y']) expect(tok.decode(tok.encode(text))).toBe(text);
  });
});
