import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/**
 * Co-occurrence (n-gram) tables: the binary format, a zero-copy loader and the look-ups the
 * DynaMo sampler walks. The format is specified in docs/cooccurrence-tables.md.
 *
 * Layout (little-endian, every section 8-byte aligned so typed-array views need no copy):
 *
 *   header (128 bytes) | tokenizer hash (UTF-8, padded to 8) | section directory (24 bytes each) | sections
 *
 * Sections: unigram counts u32[V]; bigram row offsets u32[V+1] (per first token); bigram next-token
 * ids u16|u32[nb] (sorted within a row); bigram values [nb]; trigram offsets u32[nb+1] (per BIGRAM
 * ENTRY); trigram third-token ids [nt] (sorted within a row); trigram values [nt].
 */

/** The 8 magic bytes every table file starts with: ASCII "DYNAMOCT". */
export const COOCCURRENCE_MAGIC = 'DYNAMOCT';
/** The format version this build reads and writes. */
export const COOCCURRENCE_FORMAT_VERSION = 1;

const HEADER_BYTES = 128;
const DIRECTORY_ENTRY_BYTES = 24;
const MAX_HASH_BYTES = 1024;

/** How n-gram values are stored. */
export type CoOccurrenceValueKind = 'count' | 'logpmi16' | 'logpmi8';
const VALUE_KINDS: readonly CoOccurrenceValueKind[] = ['count', 'logpmi16', 'logpmi8'];
const VALUE_BYTES: Record<CoOccurrenceValueKind, number> = { count: 4, logpmi16: 2, logpmi8: 1 };

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

/** The CSR arrays of a table set, as the builder produces them (input to {@link encodeCoOccurrenceTables}). */
export interface CoOccurrenceData {
  readonly vocabSize: number;
  readonly tokenizerHash?: string;
  readonly order: 2 | 3;
  readonly valueKind: CoOccurrenceValueKind;
  readonly documents: number;
  readonly tokens: number;
  readonly bigramTotal: number;
  readonly trigramTotal: number;
  readonly minCount: number;
  readonly topNBigram: number;
  readonly topNTrigram: number;
  readonly approximate: boolean;
  readonly smoothing: number;
  readonly bigramScale?: number;
  readonly bigramOffset?: number;
  readonly trigramScale?: number;
  readonly trigramOffset?: number;
  readonly unigrams: Uint32Array;
  readonly bigramOffsets: Uint32Array;
  readonly bigramIds: Uint32Array | Uint16Array;
  readonly bigramValues: Uint32Array | Uint16Array | Uint8Array;
  readonly trigramOffsets?: Uint32Array;
  readonly trigramIds?: Uint32Array | Uint16Array;
  readonly trigramValues?: Uint32Array | Uint16Array | Uint8Array;
}

function formatError(message: string, details: Record<string, unknown> = {}): DynamoError {
  return new DynamoError(DynamoErrorCode.TABLE_FORMAT, `Co-occurrence tables: ${message}`, { details });
}

const align8 = (n: number): number => (n + 7) & ~7;

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

interface SectionPlan {
  readonly id: number;
  readonly bytes: Uint8Array;
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Serialises table arrays into the binary format (a fresh, 8-byte aligned Uint8Array).
 * Validates the arrays with the same checks as the loader.
 */
export function encodeCoOccurrenceTables(data: CoOccurrenceData): Uint8Array {
  const hash = new TextEncoder().encode(data.tokenizerHash ?? '');
  if (hash.byteLength > MAX_HASH_BYTES) throw formatError(`tokenizer hash longer than ${MAX_HASH_BYTES} bytes.`);
  const idBytes: 2 | 4 = data.vocabSize <= 65536 ? 2 : 4;
  const valueBytes = VALUE_BYTES[data.valueKind];
  const toIds = (ids: Uint32Array | Uint16Array): Uint8Array =>
    asBytes(idBytes === 2 ? (ids instanceof Uint16Array ? ids : Uint16Array.from(ids)) : Uint32Array.from(ids));
  const toValues = (v: Uint32Array | Uint16Array | Uint8Array): Uint8Array => {
    if (valueBytes === 4) return asBytes(v instanceof Uint32Array ? v : Uint32Array.from(v));
    if (valueBytes === 2) return asBytes(v instanceof Uint16Array ? v : Uint16Array.from(v));
    return asBytes(v instanceof Uint8Array ? v : Uint8Array.from(v));
  };
  const sections: SectionPlan[] = [
    { id: CoOccurrenceSection.UNIGRAMS, bytes: asBytes(data.unigrams) },
    { id: CoOccurrenceSection.BIGRAM_OFFSETS, bytes: asBytes(data.bigramOffsets) },
    { id: CoOccurrenceSection.BIGRAM_IDS, bytes: toIds(data.bigramIds) },
    { id: CoOccurrenceSection.BIGRAM_VALUES, bytes: toValues(data.bigramValues) },
  ];
  const nb = data.bigramIds.length;
  let nt = 0;
  if (data.order === 3) {
    if (!data.trigramOffsets || !data.trigramIds || !data.trigramValues) {
      throw formatError('order 3 needs trigram offsets, ids and values.');
    }
    nt = data.trigramIds.length;
    sections.push(
      { id: CoOccurrenceSection.TRIGRAM_OFFSETS, bytes: asBytes(data.trigramOffsets) },
      { id: CoOccurrenceSection.TRIGRAM_IDS, bytes: toIds(data.trigramIds) },
      { id: CoOccurrenceSection.TRIGRAM_VALUES, bytes: toValues(data.trigramValues) },
    );
  }
  const directoryStart = HEADER_BYTES + align8(hash.byteLength);
  let offset = directoryStart + sections.length * DIRECTORY_ENTRY_BYTES;
  const placed = sections.map((s) => {
    const at = align8(offset);
    offset = at + s.bytes.byteLength;
    return at;
  });
  const total = align8(offset);
  const out = new Uint8Array(new ArrayBuffer(total));
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = COOCCURRENCE_MAGIC.charCodeAt(i);
  dv.setUint32(8, COOCCURRENCE_FORMAT_VERSION, true);
  dv.setUint32(12, directoryStart, true);
  dv.setUint32(16, data.vocabSize, true);
  dv.setUint32(20, data.order, true);
  dv.setUint32(24, VALUE_KINDS.indexOf(data.valueKind), true);
  dv.setUint32(28, idBytes, true);
  dv.setFloat64(32, data.documents, true);
  dv.setFloat64(40, data.tokens, true);
  dv.setFloat64(48, data.bigramTotal, true);
  dv.setFloat64(56, data.trigramTotal, true);
  dv.setUint32(64, data.minCount, true);
  dv.setUint32(68, data.topNBigram, true);
  dv.setUint32(72, data.topNTrigram, true);
  dv.setUint32(76, data.approximate ? 1 : 0, true);
  dv.setFloat64(80, data.smoothing, true);
  dv.setFloat32(88, data.bigramScale ?? 0, true);
  dv.setFloat32(92, data.bigramOffset ?? 0, true);
  dv.setFloat32(96, data.trigramScale ?? 0, true);
  dv.setFloat32(100, data.trigramOffset ?? 0, true);
  dv.setUint32(104, nb, true);
  dv.setUint32(108, nt, true);
  dv.setUint32(112, hash.byteLength, true);
  dv.setUint32(116, sections.length, true);
  // 120: header checksum (written last), 124: reserved.
  out.set(hash, HEADER_BYTES);
  sections.forEach((s, i) => {
    const e = directoryStart + i * DIRECTORY_ENTRY_BYTES;
    dv.setUint32(e, s.id, true);
    dv.setUint32(e + 4, tableChecksum(s.bytes), true);
    dv.setFloat64(e + 8, placed[i] as number, true);
    dv.setFloat64(e + 16, s.bytes.byteLength, true);
    out.set(s.bytes, placed[i] as number);
  });
  const headerEnd = directoryStart + sections.length * DIRECTORY_ENTRY_BYTES;
  dv.setUint32(120, tableChecksum(out.subarray(0, headerEnd)), true);
  // Validate what we wrote with the loader's checks (cheap, and catches builder bugs).
  loadCoOccurrenceTables(out);
  return out;
}

/** Expectations checked at load time. */
export interface CoOccurrenceLoadOptions {
  /** The model's / tokenizer's vocabulary size: a mismatch is DYNAMO_VOCAB_MISMATCH. */
  readonly vocabSize?: number;
  /** The tokenizer hash: a mismatch is DYNAMO_VOCAB_MISMATCH (skipped when the file stores ''). */
  readonly tokenizerHash?: string;
  /** Verify the section checksums (one pass over the file). Default true. */
  readonly verifyChecksums?: boolean;
  /** Load only the pair sections even from an order-3 file (lazy readers fetch less). */
  readonly maxOrder?: 2 | 3;
}

interface DirectoryEntry {
  readonly id: number;
  readonly checksum: number;
  readonly offset: number;
  readonly length: number;
}

interface ParsedHeader {
  readonly header: CoOccurrenceHeader;
  readonly directory: Map<number, DirectoryEntry>;
  readonly headerEnd: number;
}

/** Reads and checks the header and directory from the first bytes of a file. */
function parseHeader(bytes: Uint8Array, fileLength: number, options: CoOccurrenceLoadOptions): ParsedHeader {
  if (bytes.byteLength < HEADER_BYTES) {
    throw formatError(`file is ${bytes.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header.`, {
      actual: bytes.byteLength,
    });
  }
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== COOCCURRENCE_MAGIC.charCodeAt(i)) {
      throw formatError(`bad magic: this is not a DynaMo co-occurrence table file.`, { field: 'magic' });
    }
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== COOCCURRENCE_FORMAT_VERSION) {
    throw formatError(`unsupported version ${version} (this build reads version ${COOCCURRENCE_FORMAT_VERSION}).`, {
      field: 'version',
      expected: COOCCURRENCE_FORMAT_VERSION,
      actual: version,
    });
  }
  const directoryStart = dv.getUint32(12, true);
  const vocabSize = dv.getUint32(16, true);
  const order = dv.getUint32(20, true);
  const kindIndex = dv.getUint32(24, true);
  const idBytes = dv.getUint32(28, true);
  const hashBytes = dv.getUint32(112, true);
  const sectionCount = dv.getUint32(116, true);
  const nb = dv.getUint32(104, true);
  const nt = dv.getUint32(108, true);
  if (order !== 2 && order !== 3) throw formatError(`order ${order} is not 2 or 3.`, { field: 'order' });
  const valueKind = VALUE_KINDS[kindIndex];
  if (valueKind === undefined) throw formatError(`unknown value kind ${kindIndex}.`, { field: 'valueKind' });
  if (vocabSize < 1 || vocabSize > 0x7fffffff) throw formatError(`vocabulary size ${vocabSize} out of range.`);
  if (idBytes !== (vocabSize <= 65536 ? 2 : 4)) throw formatError(`id width ${idBytes} does not fit the vocabulary.`);
  if (hashBytes > MAX_HASH_BYTES || directoryStart !== HEADER_BYTES + align8(hashBytes)) {
    throw formatError('bad tokenizer hash length or directory position.', { field: 'hash' });
  }
  const expectedSections = order === 3 ? 7 : 4;
  if (sectionCount !== expectedSections) {
    throw formatError(`expected ${expectedSections} sections for order ${order}, found ${sectionCount}.`);
  }
  if (order === 2 && nt !== 0) throw formatError('an order-2 file has trigram entries.');
  const headerEnd = directoryStart + sectionCount * DIRECTORY_ENTRY_BYTES;
  if (headerEnd > bytes.byteLength || headerEnd > fileLength) {
    throw formatError('file truncated inside the header or section directory.', { actual: fileLength });
  }
  // Header checksum, computed with the checksum field zeroed.
  const stored = dv.getUint32(120, true);
  // A copy (not .slice(): on a Node Buffer that is a view, and we zero a field of it).
  const copy = new Uint8Array(bytes.subarray(0, headerEnd));
  new DataView(copy.buffer).setUint32(120, 0, true);
  if (tableChecksum(copy) !== stored)
    throw formatError('header checksum mismatch (corrupt file).', { field: 'checksum' });
  const numbers = [32, 40, 48, 56, 80].map((o) => dv.getFloat64(o, true));
  for (const x of numbers) {
    if (!Number.isFinite(x) || x < 0) throw formatError('a header count is negative or not finite.');
  }
  let tokenizerHash: string;
  try {
    tokenizerHash = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(HEADER_BYTES, HEADER_BYTES + hashBytes),
    );
  } catch (cause) {
    throw formatError('tokenizer hash is not valid UTF-8.', { field: 'hash', cause });
  }
  const valueBytes = VALUE_BYTES[valueKind];
  const expectedLength: Record<number, number> = {
    [CoOccurrenceSection.UNIGRAMS]: 4 * vocabSize,
    [CoOccurrenceSection.BIGRAM_OFFSETS]: 4 * (vocabSize + 1),
    [CoOccurrenceSection.BIGRAM_IDS]: idBytes * nb,
    [CoOccurrenceSection.BIGRAM_VALUES]: valueBytes * nb,
    [CoOccurrenceSection.TRIGRAM_OFFSETS]: 4 * (nb + 1),
    [CoOccurrenceSection.TRIGRAM_IDS]: idBytes * nt,
    [CoOccurrenceSection.TRIGRAM_VALUES]: valueBytes * nt,
  };
  const directory = new Map<number, DirectoryEntry>();
  let previousEnd = headerEnd;
  for (let i = 0; i < sectionCount; i++) {
    const e = directoryStart + i * DIRECTORY_ENTRY_BYTES;
    const entry: DirectoryEntry = {
      id: dv.getUint32(e, true),
      checksum: dv.getUint32(e + 4, true),
      offset: dv.getFloat64(e + 8, true),
      length: dv.getFloat64(e + 16, true),
    };
    if (entry.id !== i + 1) throw formatError(`section ${i} has id ${entry.id}, expected ${i + 1}.`);
    if (
      !Number.isSafeInteger(entry.offset) ||
      !Number.isSafeInteger(entry.length) ||
      entry.offset % 8 !== 0 ||
      entry.offset < previousEnd ||
      entry.offset + entry.length > fileLength
    ) {
      throw formatError(`section ${entry.id} lies outside the file, overlaps or is misaligned (truncated file?).`, {
        field: `section${entry.id}`,
        actual: fileLength,
      });
    }
    if (entry.length !== expectedLength[entry.id]) {
      throw formatError(`section ${entry.id} has ${entry.length} bytes, expected ${expectedLength[entry.id]}.`);
    }
    previousEnd = entry.offset + entry.length;
    directory.set(entry.id, entry);
  }
  if (align8(previousEnd) !== fileLength) {
    throw formatError(
      `file is ${fileLength} bytes, the directory says ${align8(previousEnd)} (truncated or padded file).`,
      {
        expected: align8(previousEnd),
        actual: fileLength,
      },
    );
  }
  const f32 = (o: number): number => dv.getFloat32(o, true);
  const scales = [f32(88), f32(92), f32(96), f32(100)];
  if (scales.some((x) => !Number.isFinite(x))) throw formatError('quantisation scale/offset not finite.');
  const header: CoOccurrenceHeader = {
    version,
    vocabSize,
    tokenizerHash,
    order,
    valueKind,
    idBytes: idBytes as 2 | 4,
    documents: numbers[0] as number,
    tokens: numbers[1] as number,
    bigramTotal: numbers[2] as number,
    trigramTotal: numbers[3] as number,
    minCount: dv.getUint32(64, true),
    topNBigram: dv.getUint32(68, true),
    topNTrigram: dv.getUint32(72, true),
    approximate: (dv.getUint32(76, true) & 1) === 1,
    smoothing: numbers[4] as number,
    bigramScale: scales[0] as number,
    bigramOffset: scales[1] as number,
    trigramScale: scales[2] as number,
    trigramOffset: scales[3] as number,
    bigramCount: nb,
    trigramCount: nt,
    byteLength: fileLength,
  };
  checkExpectations(header, options);
  return { header, directory, headerEnd };
}

function checkExpectations(header: CoOccurrenceHeader, options: CoOccurrenceLoadOptions): void {
  if (options.vocabSize !== undefined && options.vocabSize !== header.vocabSize) {
    throw new DynamoError(
      DynamoErrorCode.VOCAB_MISMATCH,
      `Co-occurrence tables were built for a vocabulary of ${header.vocabSize} tokens, the model has ${options.vocabSize}.`,
      { details: { field: 'vocabSize', expected: options.vocabSize, actual: header.vocabSize } },
    );
  }
  if (
    options.tokenizerHash !== undefined &&
    header.tokenizerHash !== '' &&
    options.tokenizerHash !== header.tokenizerHash
  ) {
    throw new DynamoError(
      DynamoErrorCode.VOCAB_MISMATCH,
      `Co-occurrence tables were built with tokenizer ${header.tokenizerHash}, the model uses ${options.tokenizerHash}.`,
      { details: { field: 'tokenizerHash', expected: options.tokenizerHash, actual: header.tokenizerHash } },
    );
  }
}

type IdArray = Uint16Array | Uint32Array;
type ValueArray = Uint8Array | Uint16Array | Uint32Array;

function idView(buffer: ArrayBuffer, offset: number, count: number, idBytes: number): IdArray {
  return idBytes === 2 ? new Uint16Array(buffer, offset, count) : new Uint32Array(buffer, offset, count);
}

function valueView(buffer: ArrayBuffer, offset: number, count: number, kind: CoOccurrenceValueKind): ValueArray {
  if (kind === 'count') return new Uint32Array(buffer, offset, count);
  if (kind === 'logpmi16') return new Uint16Array(buffer, offset, count);
  return new Uint8Array(buffer, offset, count);
}

/** Validates one CSR level: offsets start at 0, never decrease, end at `entries`; ids < V and strictly increasing per row. */
function validateCsr(name: string, offsets: Uint32Array, ids: IdArray, vocabSize: number): void {
  const rows = offsets.length - 1;
  if (offsets[0] !== 0 || offsets[rows] !== ids.length) {
    throw formatError(
      `${name} offsets do not span the entries (first ${offsets[0]}, last ${offsets[rows]}, entries ${ids.length}).`,
    );
  }
  for (let r = 0; r < rows; r++) {
    const start = offsets[r] as number;
    const end = offsets[r + 1] as number;
    if (end < start || end > ids.length) throw formatError(`${name} offsets decrease or run past the end at row ${r}.`);
    let prev = -1;
    for (let e = start; e < end; e++) {
      const id = ids[e] as number;
      if (id <= prev || id >= vocabSize) {
        throw formatError(`${name} row ${r} has an unsorted, duplicate or out-of-vocabulary id ${id}.`, { index: e });
      }
      prev = id;
    }
  }
}

/**
 * Loaded co-occurrence tables: typed-array views over the file's buffer (no copy) plus the
 * look-ups the sampler needs. Build with {@link loadCoOccurrenceTables}.
 */
export class CoOccurrenceTables {
  readonly header: CoOccurrenceHeader;
  readonly vocabSize: number;
  /** The highest order available (an order-3 file loaded with maxOrder 2 reports 2). */
  readonly order: 2 | 3;
  readonly unigrams: Uint32Array;
  readonly bigramOffsets: Uint32Array;
  readonly bigramIds: IdArray;
  readonly bigramValues: ValueArray;
  readonly trigramOffsets: Uint32Array | undefined;
  readonly trigramIds: IdArray | undefined;
  readonly trigramValues: ValueArray | undefined;

  /** @internal use {@link loadCoOccurrenceTables}. */
  constructor(
    header: CoOccurrenceHeader,
    order: 2 | 3,
    arrays: {
      unigrams: Uint32Array;
      bigramOffsets: Uint32Array;
      bigramIds: IdArray;
      bigramValues: ValueArray;
      trigramOffsets?: Uint32Array;
      trigramIds?: IdArray;
      trigramValues?: ValueArray;
    },
  ) {
    this.header = header;
    this.vocabSize = header.vocabSize;
    this.order = order;
    this.unigrams = arrays.unigrams;
    this.bigramOffsets = arrays.bigramOffsets;
    this.bigramIds = arrays.bigramIds;
    this.bigramValues = arrays.bigramValues;
    this.trigramOffsets = arrays.trigramOffsets;
    this.trigramIds = arrays.trigramIds;
    this.trigramValues = arrays.trigramValues;
  }

  /** Index of bigram entry (a, b), or -1 when the pair was never seen (binary search in row a). */
  findBigram(a: number, b: number): number {
    if (!(a >= 0 && a < this.vocabSize)) return -1;
    return binarySearch(this.bigramIds, this.bigramOffsets[a] as number, this.bigramOffsets[a + 1] as number, b);
  }

  /** Index of trigram entry (a, b, c) given bigram entry e = (a, b), or -1 when never seen. */
  findTrigramOfEntry(e: number, c: number): number {
    const offsets = this.trigramOffsets;
    if (offsets === undefined || !this.trigramIds || e < 0 || e >= this.bigramIds.length) return -1;
    return binarySearch(this.trigramIds, offsets[e] as number, offsets[e + 1] as number, c);
  }

  /** Index of trigram entry (a, b, c), or -1. */
  findTrigram(a: number, b: number, c: number): number {
    const e = this.findBigram(a, b);
    return e < 0 ? -1 : this.findTrigramOfEntry(e, c);
  }

  /**
   * log PMI of bigram entry e: log[ p^(a,b) / (p^(a) p^(b)) ], from counts or the quantised value.
   * `a` is needed for count tables (the entry stores only b).
   */
  bigramLogPmi(a: number, e: number): number {
    const h = this.header;
    const v = this.bigramValues[e] as number;
    if (h.valueKind !== 'count') return h.bigramOffset + h.bigramScale * v;
    const b = this.bigramIds[e] as number;
    return countLogPmi(v, h.bigramTotal, h.tokens, h.smoothing, this.unigrams, a, b, -1);
  }

  /** log PMI of trigram entry t (of bigram entry (a, b)): log[ p^(a,b,c) / (p^(a) p^(b) p^(c)) ]. */
  trigramLogPmi(a: number, b: number, t: number): number {
    const h = this.header;
    const v = (this.trigramValues as ValueArray)[t] as number;
    if (h.valueKind !== 'count') return h.trigramOffset + h.trigramScale * v;
    const c = (this.trigramIds as IdArray)[t] as number;
    return countLogPmi(v, h.trigramTotal, h.tokens, h.smoothing, this.unigrams, a, b, c);
  }

  /** log PMI of an n-gram (2 or 3 ids), or -Infinity when it was never seen (masked). */
  logPmi(ids: ArrayLike<number>): number {
    const a = ids[0] as number;
    const b = ids[1] as number;
    const e = this.findBigram(a, b);
    if (e < 0) return Number.NEGATIVE_INFINITY;
    if (ids.length === 2) return this.bigramLogPmi(a, e);
    const t = this.findTrigramOfEntry(e, ids[2] as number);
    return t < 0 ? Number.NEGATIVE_INFINITY : this.trigramLogPmi(a, b, t);
  }

  /** Bytes of the sections currently loaded. */
  get byteLength(): number {
    let n = this.unigrams.byteLength + this.bigramOffsets.byteLength + this.bigramIds.byteLength;
    n += this.bigramValues.byteLength;
    n += (this.trigramOffsets?.byteLength ?? 0) + (this.trigramIds?.byteLength ?? 0);
    return n + (this.trigramValues?.byteLength ?? 0);
  }
}

/** log PMI from counts: log( (c / N_n) / prod((c_i + s) / (N1 + sV)) ). */
export function countLogPmi(
  count: number,
  total: number,
  tokens: number,
  smoothing: number,
  unigrams: Uint32Array,
  a: number,
  b: number,
  c: number,
): number {
  const denominator = tokens + smoothing * unigrams.length;
  if (count <= 0 || total <= 0 || denominator <= 0) return Number.NEGATIVE_INFINITY;
  let lp = Math.log(count / total);
  const ua = ((unigrams[a] as number) + smoothing) / denominator;
  const ub = ((unigrams[b] as number) + smoothing) / denominator;
  lp -= Math.log(ua) + Math.log(ub);
  if (c >= 0) lp -= Math.log(((unigrams[c] as number) + smoothing) / denominator);
  // A zero unigram count (inconsistent file) would give +Infinity: treat as unseen.
  return Number.isFinite(lp) ? lp : Number.NEGATIVE_INFINITY;
}

/** First index in [lo, hi) whose id equals `key`, or -1 (ids sorted ascending in the range). */
export function binarySearch(ids: IdArray, lo: number, hi: number, key: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = ids[mid] as number;
    if (v < key) lo = mid + 1;
    else if (v > key) hi = mid;
    else return mid;
  }
  return -1;
}

function buildTables(
  buffer: ArrayBuffer,
  base: number,
  parsed: ParsedHeader,
  options: CoOccurrenceLoadOptions,
  offsetOf: (entry: DirectoryEntry) => number,
): CoOccurrenceTables {
  const { header, directory } = parsed;
  const order = options.maxOrder === 2 ? 2 : header.order;
  const verify = options.verifyChecksums !== false;
  const V = header.vocabSize;
  const section = (id: number): number => {
    const entry = directory.get(id) as DirectoryEntry;
    const at = offsetOf(entry);
    if (verify && tableChecksum(new Uint8Array(buffer, base + at, entry.length)) !== entry.checksum) {
      throw formatError(`section ${id} checksum mismatch (corrupt file).`, { field: `section${id}` });
    }
    return base + at;
  };
  const unigrams = new Uint32Array(buffer, section(CoOccurrenceSection.UNIGRAMS), V);
  const bigramOffsets = new Uint32Array(buffer, section(CoOccurrenceSection.BIGRAM_OFFSETS), V + 1);
  const nb = header.bigramCount;
  const bigramIds = idView(buffer, section(CoOccurrenceSection.BIGRAM_IDS), nb, header.idBytes);
  const bigramValues = valueView(buffer, section(CoOccurrenceSection.BIGRAM_VALUES), nb, header.valueKind);
  validateCsr('bigram', bigramOffsets, bigramIds, V);
  if (order === 2) return new CoOccurrenceTables(header, 2, { unigrams, bigramOffsets, bigramIds, bigramValues });
  const nt = header.trigramCount;
  const trigramOffsets = new Uint32Array(buffer, section(CoOccurrenceSection.TRIGRAM_OFFSETS), nb + 1);
  const trigramIds = idView(buffer, section(CoOccurrenceSection.TRIGRAM_IDS), nt, header.idBytes);
  const trigramValues = valueView(buffer, section(CoOccurrenceSection.TRIGRAM_VALUES), nt, header.valueKind);
  validateCsr('trigram', trigramOffsets, trigramIds, V);
  return new CoOccurrenceTables(header, 3, {
    unigrams,
    bigramOffsets,
    bigramIds,
    bigramValues,
    trigramOffsets,
    trigramIds,
    trigramValues,
  });
}

/**
 * Loads tables from a complete file in memory. Zero-copy: the returned arrays are views over
 * `source`'s ArrayBuffer (when `source` is a Uint8Array not 8-byte aligned in its buffer, e.g. a
 * pooled Node Buffer, it is copied once). Everything is validated up front — magic, version,
 * header and section checksums, section bounds and alignment, CSR offsets monotonic and in range,
 * ids sorted and in the vocabulary — so later look-ups never read out of bounds.
 *
 * Errors: DYNAMO_TABLE_FORMAT (corrupt, truncated, unknown version), DYNAMO_VOCAB_MISMATCH
 * (`options.vocabSize` / `options.tokenizerHash` differ from the file's).
 */
export function loadCoOccurrenceTables(
  source: ArrayBuffer | Uint8Array,
  options: CoOccurrenceLoadOptions = {},
): CoOccurrenceTables {
  let bytes: Uint8Array;
  if (source instanceof Uint8Array) bytes = source;
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else throw formatError('expected an ArrayBuffer or Uint8Array.');
  if (bytes.byteOffset % 8 !== 0) bytes = new Uint8Array(bytes); // copy once (Buffer.slice would not)
  try {
    const parsed = parseHeader(bytes, bytes.byteLength, options);
    return buildTables(bytes.buffer as ArrayBuffer, bytes.byteOffset, parsed, options, (e) => e.offset);
  } catch (error) {
    if (error instanceof DynamoError) throw error;
    // Any other failure (a RangeError from a view) is a format problem too: never let it escape raw.
    throw formatError(`unreadable file (${(error as Error)?.message ?? String(error)}).`, { cause: error });
  }
}

/** Reads byte ranges of a table file: a file handle, an HTTP server with range requests, ... */
export interface RangeReader {
  /** Total size in bytes. */
  readonly size: number;
  /** Bytes [offset, offset + length). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Reads only the header (and directory) of a table file: cheap validation before any download. */
export async function readCoOccurrenceHeader(
  reader: RangeReader,
  options: CoOccurrenceLoadOptions = {},
): Promise<CoOccurrenceHeader> {
  return (await readParsedHeader(reader, options)).header;
}

async function readParsedHeader(reader: RangeReader, options: CoOccurrenceLoadOptions): Promise<ParsedHeader> {
  const size = reader.size;
  if (!Number.isSafeInteger(size) || size < HEADER_BYTES) {
    throw formatError(`file is ${size} bytes, shorter than the header.`, { actual: size });
  }
  const first = await reader.read(0, HEADER_BYTES);
  const dv = new DataView(first.buffer, first.byteOffset, first.byteLength);
  const hashBytes = first.byteLength >= HEADER_BYTES ? dv.getUint32(112, true) : 0;
  const sections = first.byteLength >= HEADER_BYTES ? dv.getUint32(116, true) : 0;
  const headerEnd =
    HEADER_BYTES + align8(Math.min(hashBytes, MAX_HASH_BYTES)) + Math.min(sections, 16) * DIRECTORY_ENTRY_BYTES;
  const head = await reader.read(0, Math.min(headerEnd, size));
  return parseHeader(head.byteOffset % 8 === 0 ? head : new Uint8Array(head), size, options);
}

/**
 * Lazy/streamed loading: reads the header first (validates vocabulary and tokenizer before
 * downloading anything else), then only the sections needed (`maxOrder: 2` skips the trigram
 * sections, usually 2/3 of the file), each with its own range read and checksum, into one aligned
 * buffer. Use with {@link fetchRangeReader} for tables on a web server.
 */
export async function loadCoOccurrenceTablesFrom(
  reader: RangeReader,
  options: CoOccurrenceLoadOptions = {},
): Promise<CoOccurrenceTables> {
  try {
    const parsed = await readParsedHeader(reader, options);
    const order = options.maxOrder === 2 ? 2 : parsed.header.order;
    const ids = order === 3 ? [1, 2, 3, 4, 5, 6, 7] : [1, 2, 3, 4];
    const entries = ids.map((id) => parsed.directory.get(id) as DirectoryEntry);
    const packed = new Map<number, number>();
    let total = 0;
    for (const e of entries) {
      packed.set(e.id, total);
      total = align8(total + e.length);
    }
    const buffer = new ArrayBuffer(total);
    const target = new Uint8Array(buffer);
    await Promise.all(
      entries.map(async (e) => {
        const bytes = e.length === 0 ? new Uint8Array(0) : await reader.read(e.offset, e.length);
        if (bytes.byteLength !== e.length) throw formatError(`section ${e.id} read short (truncated file?).`);
        target.set(bytes, packed.get(e.id) as number);
      }),
    );
    return buildTables(buffer, 0, parsed, options, (e) => packed.get(e.id) as number);
  } catch (error) {
    if (error instanceof DynamoError) throw error;
    throw formatError(`unreadable file (${(error as Error)?.message ?? String(error)}).`, { cause: error });
  }
}

/** A RangeReader over an in-memory file (tests, or a file already fetched whole). */
export function bufferRangeReader(bytes: Uint8Array): RangeReader {
  return {
    size: bytes.byteLength,
    read: async (offset, length) => bytes.subarray(offset, Math.min(offset + length, bytes.byteLength)),
  };
}

/**
 * A RangeReader over HTTP(S) with `Range` requests. `size` comes from a HEAD request's
 * Content-Length. A server that ignores ranges (answers 200 with the whole file) still works: the
 * body is kept and every later read is served from it. Browser- and Node-safe (global fetch).
 * Failures (network, HTTP errors, no Content-Length) are DYNAMO_IO.
 */
export async function fetchRangeReader(url: string, init: { fetch?: typeof fetch } = {}): Promise<RangeReader> {
  const doFetch = init.fetch ?? globalThis.fetch;
  const ioError = (message: string, cause?: unknown): DynamoError =>
    new DynamoError(DynamoErrorCode.IO, message, { details: { file: url }, cause });
  let size: number;
  try {
    const head = await doFetch(url, { method: 'HEAD' });
    size = Number(head.headers.get('content-length'));
    if (!head.ok || !Number.isSafeInteger(size)) throw new Error(`HTTP ${head.status}, no Content-Length`);
  } catch (cause) {
    throw ioError(`Cannot read co-occurrence tables from ${url}.`, cause);
  }
  let whole: Uint8Array | undefined;
  return {
    size,
    read: async (offset, length) => {
      if (whole !== undefined) return whole.subarray(offset, offset + length);
      let response: Response;
      try {
        response = await doFetch(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      } catch (cause) {
        throw ioError(`Range request to ${url} failed.`, cause);
      }
      if (response.status === 200) {
        // Ranges not supported: keep the whole file.
        whole = new Uint8Array(await response.arrayBuffer());
        return whole.subarray(offset, offset + length);
      }
      if (response.status !== 206) throw ioError(`Range request to ${url} answered HTTP ${response.status}.`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}

/**
 * `load(url)`: tables from a URL, lazily — the header first (vocabulary and tokenizer checked
 * before anything else is downloaded), then only the sections needed (`maxOrder: 2` skips the
 * triplets), by range requests (whole-file GET when the server ignores ranges).
 */
export async function loadCoOccurrenceTablesUrl(
  url: string,
  options: CoOccurrenceLoadOptions & { fetch?: typeof fetch } = {},
): Promise<CoOccurrenceTables> {
  return loadCoOccurrenceTablesFrom(await fetchRangeReader(url, { fetch: options.fetch }), options);
}
