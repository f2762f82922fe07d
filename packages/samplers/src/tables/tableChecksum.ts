/**
 * 32-bit FNV-1a-style hash over 32-bit little-endian words (tail bytes one by one). Used as the
 * per-section and header checksums: catches truncation, flipped bits and spliced files.
 */
export function tableChecksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  const words = bytes.byteOffset % 4 === 0 ? Math.floor(bytes.byteLength / 4) : 0;
  if (words > 0) {
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) {
      h = Math.imul(h ^ (u32[i] as number), 0x01000193);
      h ^= h >>> 15;
    }
  }
  for (let i = words * 4; i < bytes.byteLength; i++) {
    h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  }
  return h >>> 0;
}
