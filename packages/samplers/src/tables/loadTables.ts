/** Loading tables: from a whole file in memory, or lazily through a {@link RangeReader} (e.g. a URL). */
import { DynamoError } from '@dynamojs/core';
import type { CoOccurrenceTables } from './coOccurrenceTables.js';
import { fetchRangeReader } from './httpRangeReader.js';
import { type DirectoryEntry, type ParsedHeader, parseHeader, tablesFromSections } from './parseTables.js';
import type { RangeReader } from './rangeReader.js';
import {
  align8,
  type CoOccurrenceHeader,
  DIRECTORY_ENTRY_BYTES,
  formatError,
  HEADER_BYTES,
  MAX_HASH_BYTES,
} from './tablesFormat.js';
import type { CoOccurrenceLoadOptions } from './validateTables.js';

/**
 * A DynamoError passes through; any other failure (a RangeError from a view) is a format problem
 * too: never let it escape raw.
 */
function asFormatError(error: unknown): DynamoError {
  if (error instanceof DynamoError) return error;
  return formatError(`unreadable file (${(error as Error)?.message ?? String(error)}).`, { cause: error });
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
    return tablesFromSections(bytes.buffer as ArrayBuffer, bytes.byteOffset, parsed, options, (e) => e.offset);
  } catch (error) {
    throw asFormatError(error);
  }
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
    return tablesFromSections(buffer, 0, parsed, options, (e) => packed.get(e.id) as number);
  } catch (error) {
    throw asFormatError(error);
  }
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
