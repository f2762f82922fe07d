import type { IncrementalDecoder } from '@dynamojs/core';
import type { DecodingScheme } from './tokenizerJson.js';
import type { TokenTable } from './tokenTable.js';

type SentencePieceScheme = Extract<DecodingScheme, { kind: 'sentencePiece' }>;

/**
 * Incremental decoder for SentencePiece-style BPE (Llama 2, Gemma, Mistral, Phi-3), giving the
 * text of the Hugging Face decoder chain Replace → ByteFallback → Fuse → Strip (or Metaspace) as
 * `@huggingface/tokenizers` / transformers.js compute it: each maximal run of `<0x..>` byte tokens
 * is decoded as UTF-8 on its own (TextDecoder: U+FFFD for invalid or unfinished bytes, a leading
 * BOM dropped), other tokens are their text with the replacements applied. A character written as
 * several byte tokens is held back until it is complete, whatever the split between pushes.
 */
export class SentencePieceIncrementalDecoder implements IncrementalDecoder {
  private readonly table: TokenTable;
  private readonly skipSpecialTokens: boolean;
  private readonly scheme: SentencePieceScheme;
  /** byteOf[id]: the byte of a `<0x..>` token (when the decoder has ByteFallback), else -1. */
  private readonly byteOf: Int16Array;
  private utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  private readonly one = new Uint8Array(1);
  private inRun = false;
  private runBytes = 0;
  private tokensSeen = 0;
  private stripLeft: number;
  private produced = '';

  constructor(table: TokenTable, skipSpecialTokens: boolean, scheme: SentencePieceScheme, byteOf: Int16Array) {
    this.table = table;
    this.skipSpecialTokens = skipSpecialTokens;
    this.scheme = scheme;
    this.byteOf = byteOf;
    this.stripLeft = scheme.stripStart;
  }

  /** Text produced so far (everything returned by push/flush). */
  get text(): string {
    return this.produced;
  }

  /** Bytes of the current run of byte tokens (held until the run ends or a character completes). */
  get pendingBytes(): number {
    return this.runBytes;
  }

  push(ids: ArrayLike<number>): string {
    this.table.check(ids); // all or nothing: a bad id leaves the decoder as it was
    const skip = this.skipSpecialTokens ? this.table.skippable : undefined;
    let out = '';
    for (let i = 0; i < ids.length; i++) if (skip?.[ids[i]!] !== 1) out += this.token(ids[i]!);
    return this.emit(out);
  }

  /** The text one (kept) token completes. */
  private token(id: number): string {
    const b = this.byteOf[id]!;
    this.tokensSeen++;
    if (b >= 0) {
      this.one[0] = b;
      this.inRun = true;
      const s = this.utf8.decode(this.one, { stream: true });
      this.runBytes = s === '' ? this.runBytes + 1 : 0;
      return s;
    }
    let t = this.table.text(id)!;
    if (this.scheme.metaspace && this.tokensSeen === 1 && t.startsWith(' ')) t = t.slice(1);
    return this.endRun() + t;
  }

  flush(): string {
    return this.emit(this.endRun());
  }

  reset(): void {
    this.utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
    this.inRun = false;
    this.runBytes = 0;
    this.tokensSeen = 0;
    this.stripLeft = this.scheme.stripStart;
    this.produced = '';
  }

  private endRun(): string {
    if (!this.inRun) return '';
    this.inRun = false;
    this.runBytes = 0;
    return this.utf8.decode();
  }

  private emit(out: string): string {
    if (this.stripLeft > 0 && out.length > 0) {
      const c = this.scheme.stripContent;
      let k = 0;
      while (this.stripLeft > 0 && k < out.length && out[k] === c) {
        k++;
        this.stripLeft--;
      }
      if (k < out.length) this.stripLeft = 0;
      out = out.slice(k);
    }
    this.produced += out;
    return out;
  }
}
