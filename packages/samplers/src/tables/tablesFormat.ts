/**
 * The co-occurrence table binary format: magic, version, sizes of the fixed parts, value kinds,
 * section ids and the header's fields. Specified in docs/cooccurrence-tables.md.
 *
 * Layout (little-endian, every section 8-byte aligned so typed-array views need no copy):
 *
 *   header (128 bytes) | tokenizer hash (UTF-8, padded to 8) | section directory (24 bytes each) | sections
 *
 * Sections: unigram counts u32[V]; bigram row offsets u32[V+1] (per first token); bigram next-token
 * ids u16|u32[nb] (sorted within a row); bigram values [nb]; trigram offsets u32[nb+1] (per BIGRAM
 * ENTRY); trigram third-token ids [nt] (sorted within a row); trigram values [nt].
 */
import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/** The 8 magic bytes every table file starts with: ASCII "DYNAMOCT". */
export const COOCCURRENCE_MAGIC = 'DYNAMOCT';
/** The format version this build reads and writes. */
export const COOCCURRENCE_FORMAT_VERSION = 1;

/** Size of the fixed header; the tokenizer hash follows it. */
export const HEADER_BYTES = 128;
/** Size of one section-directory entry: id u32, checksum u32, offset f64, length f64. */
export const DIRECTORY_ENTRY_BYTES = 24;
/** Longest tokenizer hash accepted (UTF-8 bytes). */
export const MAX_HASH_BYTES = 1024;

/** How n-gram values are stored. */
export type CoOccurrenceValueKind = 'count' | 'logpmi16' | 'logpmi8';
/** Value kinds in the order of their header code (the index is what the file stores). */
export const VALUE_KINDS: readonly CoOccurrenceValueKind[] = ['count', 'logpmi16', 'logpmi8'];
/** Bytes per stored value of each kind. */
export const VALUE_BYTES: Record<CoOccurrenceValueKind, number> = { count: 4, logpmi16: 2, logpmi8: 1 };

/** Section ids in the directory. */
export const CoOccurrenceSection = {
  UNIGRAMS: 1,
  BIGRAM_OFFSETS: 2,
  BIGRAM_IDS: 3,
  BIGRAM_VALUES: 4,
  TRIGRAM_OFFSETS: 5,
  TRIGRAM_IDS: 6,
  TRIGRAM_VALUES: 7,
} as const;

/** Everything in the header except the sections. */
export interface CoOccurrenceHeader {
  readonly version: number;
  readonly vocabSize: number;
  /** The tokenizer's hash (TextTokenizer.hash); '' when unknown. */
  readonly tokenizerHash: string;
  /** Highest n-gram order stored: 2 (pairs) or 3 (pairs and triplets). */
  readonly order: 2 | 3;
  readonly valueKind: CoOccurrenceValueKind;
  /** Bytes per stored token id: 2 when vocabSize ≤ 65,536, else 4. */
  readonly idBytes: 2 | 4;
  /** Documents counted. */
  readonly documents: number;
  /** Tokens counted (N1: the unigram total). */
  readonly tokens: number;
  /** Bigram occurrences counted before pruning (N2). */
  readonly bigramTotal: number;
  /** Trigram occurrences counted before pruning (N3). */
  readonly trigramTotal: number;
  /** Entries seen fewer times than this were dropped. */
  readonly minCount: number;
  /** At most this many continuations kept per first token (0: unlimited). */
  readonly topNBigram: number;
  /** At most this many continuations kept per bigram (0: unlimited). */
  readonly topNTrigram: number;
  /** True when the builder had to prune while counting (memory cap hit): counts are lower bounds. */
  readonly approximate: boolean;
  /** Additive smoothing of the unigram counts used in the log-PMI denominators. */
  readonly smoothing: number;
  /** Quantised values: logPMI = offset + scale * q (per order). */
  readonly bigramScale: number;
  readonly bigramOffset: number;
  readonly trigramScale: number;
  readonly trigramOffset: number;
  readonly bigramCount: number;
  readonly trigramCount: number;
  /** Total file size in bytes. */
  readonly byteLength: number;
}

/** Stored token ids: u16 when the vocabulary fits, else u32. */
export type IdArray = Uint16Array | Uint32Array;
/** Stored n-gram values: u32 counts, or u16 / u8 quantised log-PMI. */
export type ValueArray = Uint8Array | Uint16Array | Uint32Array;

/** A DYNAMO_TABLE_FORMAT error (corrupt, truncated or inconsistent table file). */
export function formatError(message: string, details: Record<string, unknown> = {}): DynamoError {
  return new DynamoError(DynamoErrorCode.TABLE_FORMAT, `Co-occurrence tables: ${message}`, { details });
}

/** Rounds up to the next multiple of 8 (every section starts 8-byte aligned). */
export const align8 = (n: number): number => (n + 7) & ~7;
