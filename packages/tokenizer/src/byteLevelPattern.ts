/**
 * GPT-2's pre-tokenizer pattern with Oniguruma's (the Rust `tokenizers` library's) meaning of `\s`.
 *
 * `@huggingface/tokenizers` writes the ByteLevel pattern as a JavaScript RegExp, where `\s` also
 * matches U+FEFF (BOM / zero-width no-break space) and does not match U+0085 (NEL). In the Rust
 * library that defines tokenizer.json (Oniguruma), in Python's `regex` and in openai/gpt-2,
 * `\s` is Unicode `White_Space`: U+0085 is whitespace and U+FEFF is not. Texts with those two
 * characters can split differently, so we swap in this pattern, which spells `White_Space` out.
 */
const WS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

export const GPT2_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`,
  'gu',
);

/** The pattern as `@huggingface/tokenizers` 0.2 writes it. */
const JS_GPT2_SOURCE = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

interface MaybeByteLevel {
  pattern?: unknown;
  byte_encoder?: unknown;
  tokenizers?: unknown;
}

/**
 * Replaces the JavaScript-`\s` GPT-2 pattern in the library's ByteLevel pre-tokenizers (top level
 * or inside a Sequence) with {@link GPT2_PATTERN}. Returns how many it replaced.
 */
export function useWhiteSpacePattern(preTokenizer: unknown): number {
  if (typeof preTokenizer !== 'function' && (typeof preTokenizer !== 'object' || preTokenizer === null)) return 0;
  const p = preTokenizer as MaybeByteLevel;
  let replaced = 0;
  if (p.byte_encoder !== undefined && p.pattern instanceof RegExp && p.pattern.source === JS_GPT2_SOURCE) {
    p.pattern = GPT2_PATTERN;
    replaced++;
  }
  if (Array.isArray(p.tokenizers)) for (const t of p.tokenizers) replaced += useWhiteSpacePattern(t);
  return replaced;
}
