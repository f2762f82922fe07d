// biome-ignore-all lint/suspicious/noExplicitAny: tests poke at untyped tokenizer.json and error objects
import { BYTE_TO_CHAR } from '../src/index.js';

/**
 * A tiny byte-level BPE tokenizer.json: the 256 byte tokens (ids 0..255), a few merges, and added
 * tokens like GPT-NeoX's (`<|endoftext|>`, `<|padding|>`, and a literal run of spaces).
 */
export function tinyTokenizerJson(): Record<string, any> {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => {
    vocab[c] = b;
  });
  const merges = [
    ['h', 'e'],
    ['l', 'l'],
    ['he', 'll'],
    ['hell', 'o'],
    ['Ġ', 'w'],
    ['Ġw', 'o'],
  ];
  let id = 256;
  for (const [a, b] of merges) vocab[a! + b!] = id++;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 300,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 301,
        content: '<|padding|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      { id: 302, content: '    ', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
    ],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}
