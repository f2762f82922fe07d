/**
 * Reading a table file: the header and section directory (checked field by field), then typed-array
 * views over the sections (checksummed and validated) wrapped in a {@link CoOccurrenceTables}.
 */
import { CoOccurrenceTables } from './coOccurrenceTables.js';
import { tableChecksum } from './tableChecksum.js';
import {
  align8,
  COOCCURRENCE_FORMAT_VERSION,
  COOCCURRENCE_MAGIC,
  type CoOccurrenceHeader,
  CoOccurrenceSection,
  type CoOccurrenceValueKind,
  DIRECTORY_ENTRY_BYTES,
  formatError,
  HEADER_BYTES,
  type IdArray,
  MAX_HASH_BYTES,
  VALUE_BYTES,
  VALUE_KINDS,
  type ValueArray,
} from './tablesFormat.js';
import { type CoOccurrenceLoadOptions, checkExpectations, validateCsr } from './validateTables.js';

/** One row of the section directory. */
export interface DirectoryEntry {
  readonly id: number;
  readonly checksum: number;
  readonly offset: number;
  readonly length: number;
}

/** The checked header and directory of a file, and where the directory ends. */
export interface ParsedHeader {
  readonly header: CoOccurrenceHeader;
  readonly directory: Map<number, DirectoryEntry>;
  readonly headerEnd: number;
}

/** Reads and checks the header and directory from the first bytes of a file. */
export function parseHeader(bytes: Uint8Array, fileLength: number, options: CoOccurrenceLoadOptions): ParsedHeader {
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

function idView(buffer: ArrayBuffer, offset: number, count: number, idBytes: number): IdArray {
  return idBytes === 2 ? new Uint16Array(buffer, offset, count) : new Uint32Array(buffer, offset, count);
}

function valueView(buffer: ArrayBuffer, offset: number, count: number, kind: CoOccurrenceValueKind): ValueArray {
  if (kind === 'count') return new Uint32Array(buffer, offset, count);
  if (kind === 'logpmi16') return new Uint16Array(buffer, offset, count);
  return new Uint8Array(buffer, offset, count);
}

/**
 * Builds the tables from the sections of a parsed file held in `buffer` (from `base`); `offsetOf`
 * says where each directory entry's section lies in it. Verifies section checksums unless
 * `options.verifyChecksums` is false, validates the CSR levels, and stops at `options.maxOrder`.
 */
export function tablesFromSections(
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
