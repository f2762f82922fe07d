/**
 * The vocabulary hash: FNV-1a, 64-bit, over a canonical byte serialisation of the vocabulary and
 * the merges, written as 16 lowercase hex digits. Models, co-occurrence tables and tokenizers are
 * cross-checked with it (see `checkVocabulary`).
 *
 * Canonical serialisation (version 1):
 * 1. for every id `0 .. vocabSize-1`, in order: the UTF-8 bytes of that id's token string (the
 *    empty string for an id with no token), then one `0x00` byte;
 * 2. one `0x01` byte;
 * 3. for every merge, in rank order: the UTF-8 bytes of its left part, `0x00`, its right part, `0x00`.
 *
 * Token strings are as written in tokenizer.json (byte-level form, e.g. `Ġthe`); added tokens take
 * their ids. FNV-1a 64: offset basis 0xcbf29ce484222325, prime 0x100000001b3, for each byte
 * `h = (h XOR byte) * prime mod 2^64`. In Python:
 *
 * ```python
 * def fnv1a64(data: bytes) -> str:
 *     h = 0xcbf29ce484222325
 *     for b in data:
 *         h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
 *     return f"{h:016x}"
 * data = b"".join(t.encode() + b"\0" for t in tokens_by_id) + b"\1" \
 *      + b"".join(a.encode() + b"\0" + b.encode() + b"\0" for a, b in merges)
 * ```
 */

/** FNV-1a 64-bit state as two unsigned 32-bit halves (no BigInt on the hot loop). */
export class Fnv1a64 {
  private hi = 0xcbf29ce4;
  private lo = 0x84222325;

  byte(b: number): void {
    const lo = (this.lo ^ b) >>> 0;
    // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64
    const loMul = lo * 0x1b3; // < 2^41: exact
    const carry = Math.floor(loMul / 0x100000000);
    this.hi = (Math.imul(this.hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    this.lo = loMul >>> 0;
  }

  bytes(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) this.byte(data[i]!);
  }

  /** Feeds the UTF-8 bytes of `s` (a lone surrogate counts as U+FFFD, like TextEncoder). */
  string(s: string): void {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          c = 0xfffd;
        }
      }
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
      } else if (c < 0x10000) {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
      } else {
        this.byte(0xf0 | (c >> 18));
        this.byte(0x80 | ((c >> 12) & 0x3f));
        this.byte(0x80 | ((c >> 6) & 0x3f));
      }
      this.byte(0x80 | (c & 0x3f));
    }
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/** FNV-1a 64 of a string's UTF-8 bytes, as 16 hex digits. */
export function fnv1a64(text: string): string {
  const h = new Fnv1a64();
  h.string(text);
  return h.hex();
}

/**
 * The vocabulary hash (format above) of an id → token table and the merges.
 * `tokensById[i]` may be undefined for an id with no token.
 */
export function vocabularyHash(
  tokensById: ArrayLike<string | undefined>,
  vocabSize: number,
  merges: readonly (readonly [string, string])[],
): string {
  const h = new Fnv1a64();
  for (let id = 0; id < vocabSize; id++) {
    const token = tokensById[id];
    if (token !== undefined) h.string(token);
    h.byte(0);
  }
  h.byte(1);
  for (const [a, b] of merges) {
    h.string(a);
    h.byte(0);
    h.string(b);
    h.byte(0);
  }
  return h.hex();
}
