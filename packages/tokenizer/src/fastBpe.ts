import { BYTE_TO_CHAR } from './byteLevel.js';

/**
 * Speed-ups for `@huggingface/tokenizers`' byte-level BPE, installed through its public
 * extension points (`BPE.bpe(token)` and `ByteLevel.pre_tokenize_text(text)`); the library still
 * does everything else (added-token splitting, normalizers, Sequence pre-tokenizers,
 * post-processors, byte fallback, ignore_merges).
 *
 * Measured on 3 MB of English (bench/tokenizer.bench.mjs), the library spends its time in two
 * places: a BPE rank lookup that JSON-stringifies every candidate pair (plus a 10k-entry LRU
 * cache that thrashes on real text), and a byte-level mapping that builds an array per pre-token.
 * Results are identical: lowest-rank pair first, leftmost on ties (Rust `tokenizers`' rule).
 */

/** Words longer than this (in characters) go to the library's heap-based BPE (O(n log n)). */
const LONG_WORD = 64;
/** The word cache is cleared when it reaches this many entries (bounded memory). */
const CACHE_LIMIT = 100_000;

interface LibBpe {
  bpe(token: string): string[];
  merges: readonly (readonly [string, string])[];
}

interface LibByteLevel {
  pre_tokenize_text(text: string, options?: unknown): string[];
  add_prefix_space: boolean;
  use_regex: boolean;
  pattern: RegExp;
  byte_encoder: unknown;
}

/** Replaces `model.bpe` with a faster merge loop giving the same tokens. */
export function accelerateBpe(model: unknown, merges: readonly (readonly [string, string])[]): boolean {
  const m = model as Partial<LibBpe> | null;
  if (m === null || typeof m?.bpe !== 'function') return false;
  // Keys are "a b": exact only when no merge part contains a space (true of byte-level BPE, where
  // a space is written Ġ). Otherwise leave the library's BPE alone.
  for (const [a, b] of merges) if (a.includes(' ') || b.includes(' ')) return false;
  const libBpe = m.bpe.bind(m);
  // "a b" → rank, built on first use (not at load); the first rank of a repeated merge wins.
  let ranks: Map<string, number> | undefined;
  const buildRanks = (): Map<string, number> => {
    const r = new Map<string, number>();
    for (let i = 0; i < merges.length; i++) {
      const [a, b] = merges[i]!;
      const key = `${a} ${b}`;
      if (!r.has(key)) r.set(key, i);
    }
    return r;
  };
  const cache = new Map<string, string[]>();
  const rankOf = (a: string, b: string): number => ranks!.get(`${a} ${b}`) ?? Number.POSITIVE_INFINITY;

  m.bpe = (word: string): string[] => {
    const hit = cache.get(word);
    if (hit !== undefined) return hit;
    let parts: string[];
    ranks ??= buildRanks();
    if (word.length > LONG_WORD) {
      parts = libBpe(word);
    } else {
      parts = Array.from(word);
      const n = parts.length;
      if (n > 1) {
        const pair = new Float64Array(n - 1); // pair[i]: rank of (parts[i], parts[i+1])
        for (let i = 0; i < n - 1; i++) pair[i] = rankOf(parts[i]!, parts[i + 1]!);
        let len = n;
        for (;;) {
          let best = Number.POSITIVE_INFINITY;
          let at = -1;
          for (let i = 0; i < len - 1; i++) {
            if (pair[i]! < best) {
              best = pair[i]!;
              at = i;
            }
          }
          if (at < 0) break;
          parts[at] = parts[at]! + parts[at + 1]!;
          for (let i = at + 1; i < len - 1; i++) {
            parts[i] = parts[i + 1]!;
            pair[i] = pair[i + 1]!;
          }
          len--;
          if (at > 0) pair[at - 1] = rankOf(parts[at - 1]!, parts[at]!);
          if (at < len - 1) pair[at] = rankOf(parts[at]!, parts[at + 1]!);
        }
        parts.length = len;
      }
    }
    if (word.length < 256) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(word, parts);
    }
    return parts;
  };
  return true;
}

/** UTF-8 → byte-level characters, without a TextEncoder or an array per token. */
export function toByteLevel(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out += BYTE_TO_CHAR[c];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd; // lone surrogate: TextEncoder writes U+FFFD
      }
    }
    if (c < 0x800) {
      out += BYTE_TO_CHAR[0xc0 | (c >> 6)]! + BYTE_TO_CHAR[0x80 | (c & 0x3f)]!;
    } else if (c < 0x10000) {
      out +=
        BYTE_TO_CHAR[0xe0 | (c >> 12)]! + BYTE_TO_CHAR[0x80 | ((c >> 6) & 0x3f)]! + BYTE_TO_CHAR[0x80 | (c & 0x3f)]!;
    } else {
      out +=
        BYTE_TO_CHAR[0xf0 | (c >> 18)]! +
        BYTE_TO_CHAR[0x80 | ((c >> 12) & 0x3f)]! +
        BYTE_TO_CHAR[0x80 | ((c >> 6) & 0x3f)]! +
        BYTE_TO_CHAR[0x80 | (c & 0x3f)]!;
    }
  }
  return out;
}

/**
 * Replaces `pre_tokenize_text` of the library's ByteLevel pre-tokenizers (top level or in a
 * Sequence) with one that maps bytes without intermediate arrays. Same output.
 */
export function accelerateByteLevel(preTokenizer: unknown): number {
  if (typeof preTokenizer !== 'function' && (typeof preTokenizer !== 'object' || preTokenizer === null)) return 0;
  const p = preTokenizer as Partial<LibByteLevel> & { tokenizers?: unknown };
  let n = 0;
  if (p.byte_encoder !== undefined && typeof p.pre_tokenize_text === 'function' && p.pattern instanceof RegExp) {
    const self = p as LibByteLevel;
    p.pre_tokenize_text = (text: string): string[] => {
      if (self.add_prefix_space && !text.startsWith(' ')) text = ` ${text}`;
      const pieces = self.use_regex ? (text.match(self.pattern) ?? []) : [text];
      for (let i = 0; i < pieces.length; i++) pieces[i] = toByteLevel(pieces[i]!);
      return pieces;
    };
    n++;
  }
  if (Array.isArray(p.tokenizers)) for (const t of p.tokenizers) n += accelerateByteLevel(t);
  return n;
}
