/**
 * Parity on the reference model's own tokenizer (packages/model-tiny/model/tokenizer.json), when
 * it is there: ids equal transformers.js', round-trips, streaming equals whole decoding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '@dynamojs/core';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkVocabulary, loadTokenizer } from '../src/index.js';
import { SAMPLE_TEXTS } from './samples.js';

// DYNAMO_MODEL_TINY_DIR points the test at another folder with the same files (e.g. the recipe's work dir).
const modelDir = process.env.DYNAMO_MODEL_TINY_DIR
  ? `${process.env.DYNAMO_MODEL_TINY_DIR.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../../model-tiny/model/', import.meta.url));
const tokenizerPath = `${modelDir}tokenizer.json`;
const present = existsSync(tokenizerPath);

describe.skipIf(!present)('model-tiny tokenizer.json', () => {
  test('loads, and agrees with transformers.js and its own manifest', async () => {
    const tok = await loadTokenizer(tokenizerPath);
    const json = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
    const configPath = `${modelDir}tokenizer_config.json`;
    const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
    const hf = new PreTrainedTokenizer(json, { ...config, clean_up_tokenization_spaces: false });

    const manifestPath = `${modelDir}dynamo.json`;
    if (existsSync(manifestPath)) {
      const manifest = parseManifest(readFileSync(manifestPath, 'utf8'));
      checkVocabulary(tok, { vocabSize: manifest.vocabSize, allowPadding: true, source: manifestPath });
      const withManifest = await loadTokenizer(tokenizerPath, { specialTokens: manifest.specialTokens });
      expect(withManifest.specialTokens).toMatchObject(manifest.specialTokens);
    }

    const check = (text: string) => {
      const ids = tok.encode(text);
      // transformers.js' \s also matches U+FEFF and not U+0085 (see roundtrip.test.ts)
      const jsSafe = text.replace(/[\ufeff\x85]/g, '');
      expect(tok.encode(jsSafe)).toEqual(hf.encode(jsSafe, { add_special_tokens: false }));
      if (ids.length > 0) {
        expect(tok.decode(ids, { skipSpecialTokens: false })).toBe(
          hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
        );
      }
      const d = tok.createDecoder();
      expect(ids.map((id) => d.push([id])).join('') + d.flush()).toBe(tok.decode(ids));
      return ids;
    };
    const normalizer = json.normalizer?.type ?? null;
    for (const text of SAMPLE_TEXTS) {
      const ids = check(text);
      // An NFC normalizer (GPT-NeoX) composes decomposed accents; no normalizer: exact round-trip.
      if (normalizer === null) expect(tok.decode(ids)).toBe(text);
      else if (normalizer === 'NFC') expect(tok.decode(ids)).toBe(text.normalize('NFC'));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => void check(text)),
      { numRuns: 200 },
    );
  });
});
