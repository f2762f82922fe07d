/**
 * UTF-8 helpers for incremental decoding. Decoding follows the WHATWG Encoding Standard (what
 * `TextDecoder` does, and what Rust's `String::from_utf8_lossy` does): every maximal invalid
 * subsequence becomes one U+FFFD.
 */

/**
 * The length (0..3) of the trailing bytes of `bytes[0..length)` that form a *valid but incomplete*
 * UTF-8 sequence, i.e. bytes that later bytes could still complete. Everything before them decodes
 * the same whatever follows, so it can be emitted now.
 */
export function incompleteTailLength(bytes: Uint8Array, length: number): number {
  const stop = Math.max(0, length - 3);
  for (let i = length - 1; i >= stop; i--) {
    const b = bytes[i]!;
    if (b >= 0x80 && b <= 0xbf) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    const have = length - i;
    if (need === 0 || have >= need) return 0; // ASCII, invalid lead, or a complete sequence
    if (have > 1) {
      // The second byte has a narrower range after some leads (no overlongs, surrogates, > U+10FFFF).
      const second = bytes[i + 1]!;
      const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      if (second < lo || second > hi) return 0; // already invalid: decodes to U+FFFD now
    }
    return have;
  }
  return 0;
}

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes` when they are complete, valid UTF-8 on their own; otherwise null. */
export function completeUtf8Text(bytes: Uint8Array): string | null {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  try {
    return fatal.decode(bytes);
  } catch {
    return null;
  }
}
