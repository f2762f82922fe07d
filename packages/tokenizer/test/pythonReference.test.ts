/**
 * Id parity with openai/gpt-2's own encoder (Python, test/reference/gpt2_encoder.py) on GPT-2's
 * tokenizer.json and, when present, the reference model's. Skipped when `python3` with the
 * `regex` module is not installed (apt: python3-regex).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadTokenizer } from '../src/index.js';
import { writeGpt2TokenizerJson } from './gpt2TokenizerJson.js';
import { SAMPLE_TEXTS } from './samples.js';

const script = fileURLToPath(new URL('./reference/gpt2_encoder.py', import.meta.url));
const hasPython = spawnSync('python3', ['-c', 'import regex'], { stdio: 'ignore' }).status === 0;
const modelTiny = fileURLToPath(new URL('../../model-tiny/model/tokenizer.json', import.meta.url));

function pythonEncode(tokenizerPath: string, texts: readonly string[]): number[][] {
  const run = spawnSync('python3', [script, tokenizerPath], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(`gpt2_encoder.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function texts(): string[] {
  const random = fc.sample(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      // the characters where JavaScript's \s and Unicode White_Space disagree, among their neighbours
      fc.string({
        unit: fc.constantFrom('a', ' ', '\ufeff', '\x85', '.', '\n', '1', 'é', '\u3000', '\x1c', "'s", '\u200b'),
        maxLength: 20,
      }),
    ),
    { numRuns: 3000, seed: 20240611 },
  );
  return [...SAMPLE_TEXTS, ...random].filter((t) => !t.includes('<|endoftext|>'));
}

describe.skipIf(!hasPython)('parity with openai/gpt-2 encoder.py (Python)', () => {
  const cases: [string, () => string][] = [['GPT-2', () => writeGpt2TokenizerJson()]];
  if (existsSync(modelTiny)) cases.push(['model-tiny', () => modelTiny]);
  test.each(cases)('%s tokenizer.json', async (_, path) => {
    const file = path();
    const tok = await loadTokenizer(file);
    const all = texts();
    const expected = pythonEncode(file, all);
    const mismatches = all.filter((t, i) => JSON.stringify(tok.encode(t)) !== JSON.stringify(expected[i]));
    expect(mismatches.map((t) => JSON.stringify(t))).toEqual([]);
  });
});
