/**
 * Co-occurrence (n-gram) tables: the versioned binary format, the loader and the bounded-memory
 * builder.
 */
export { binarySearch as coOccurrenceBinarySearch, CoOccurrenceTables, countLogPmi } from './coOccurrenceTables.js';
export type { CoOccurrenceData } from './encodeTables.js';
export { encodeCoOccurrenceTables } from './encodeTables.js';
export { fetchRangeReader } from './httpRangeReader.js';
export {
  loadCoOccurrenceTables,
  loadCoOccurrenceTablesFrom,
  loadCoOccurrenceTablesUrl,
  readCoOccurrenceHeader,
} from './loadTables.js';
export { ngramContinuations } from './ngramContinuations.js';
export type { NgramBuildProgress, NgramTableBuilderOptions, TokenDocuments } from './ngramTableBuilder.js';
export {
  buildCoOccurrenceTables,
  buildCoOccurrenceTablesSync,
  NgramTableBuilder,
} from './ngramTableBuilder.js';
export type { RangeReader } from './rangeReader.js';
export { bufferRangeReader } from './rangeReader.js';
export { tableChecksum } from './tableChecksum.js';
export type { CoOccurrenceHeader, CoOccurrenceValueKind } from './tablesFormat.js';
export { COOCCURRENCE_FORMAT_VERSION, COOCCURRENCE_MAGIC, CoOccurrenceSection } from './tablesFormat.js';
export type { CoOccurrenceLoadOptions } from './validateTables.js';
