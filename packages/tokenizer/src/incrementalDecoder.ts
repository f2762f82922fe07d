import type { IncrementalDecoder } from '@dynamojs/core';
import type { TokenTable } from './tokenTable.js';
import { incompleteTailLength } from './utf8.js';

const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Byte-level incremental decoder. Text is the UTF-8 decoding (U+FFFD for invalid bytes, as the
 * Hugging Face ByteLevel decoder does) of the concatenated bytes of every token pushed. Only a
 * trailing *incomplete* character (1–3 bytes that a later token may complete) is held back.
 *
 * Per token: a token whose bytes are complete UTF-8 on their own (most of them) is appended as a
 * cached string when nothing is pending; otherwise its bytes join the ≤ 3 pending bytes and only
 * that short run is decoded. Never re-decodes earlier tokens.
 */
export class ByteLevelIncrementalDecoder implements IncrementalDecoder {
  private readonly table: TokenTable;
  private readonly skipSpecialTokens: boolean;
  private readonly pending = new Uint8Array(4);
  private pendingLength = 0;
  private produced = '';

  constructor(table: TokenTable, skipSpecialTokens: boolean) {
    this.table = table;
    this.skipSpecialTokens = skipSpecialTokens;
  }

  /** Text produced so far (everything returned by push/flush). */
  get text(): string {
    return this.produced;
  }

  /** Number of bytes held back, waiting for the rest of a character (0..3). */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  push(ids: ArrayLike<number>): string {
    const table = this.table;
    table.check(ids); // all or nothing: a bad id leaves the decoder as it was
    const skippable = this.skipSpecialTokens ? table.skippable : null;
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (skippable !== null && skippable[id] === 1) continue;
      if (this.pendingLength === 0) {
        const t = table.text(id);
        if (t !== null) {
          out += t;
          continue;
        }
      }
      out += this.pushBytes(table.bytes(id));
    }
    this.produced += out;
    return out;
  }

  flush(): string {
    if (this.pendingLength === 0) return '';
    const out = lossy.decode(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
    this.produced += out;
    return out;
  }

  /** Forgets pending bytes and produced text. */
  reset(): void {
    this.pendingLength = 0;
    this.produced = '';
  }

  private pushBytes(bytes: Uint8Array): string {
    let buf = bytes;
    if (this.pendingLength > 0) {
      buf = new Uint8Array(this.pendingLength + bytes.length);
      buf.set(this.pending.subarray(0, this.pendingLength));
      buf.set(bytes, this.pendingLength);
    }
    const tail = incompleteTailLength(buf, buf.length);
    const cut = buf.length - tail;
    this.pending.set(buf.subarray(cut));
    this.pendingLength = tail;
    return cut > 0 ? lossy.decode(buf.subarray(0, cut)) : '';
  }
}
