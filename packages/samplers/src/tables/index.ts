/**
 * Co-occurrence (n-gram) tables: the versioned binary format, the loader and the bounded-memory
 * builder.
 */
export type {
  CoOccurrenceData,
  CoOccurrenceHeader,
  CoOccurrenceLoadOptions,
  CoOccurrenceValueKind,
  RangeReader,
} from './coOccurrenceTables.js';
export {
  binarySearch as coOccurrenceBinarySearch,
  bufferRangeReader,
  COOCCURRENCE_FORMAT_VERSION,
  COOCCURRENCE_MAGIC,
  CoOccurrenceSection,
  CoOccurrenceTables,
  countLogPmi,
  encodeCoOccurrenceTables,
  fetchRangeReader,
  loadCoOccurrenceTables,
  loadCoOccurrenceTablesFrom,
  loadCoOccurrenceTablesUrl,
  readCoOccurrenceHeader,
  tableChecksum,
} from './coOccurrenceTables.js';
export type { NgramBuildProgress, NgramTableBuilderOptions, TokenDocuments } from './ngramTableBuilder.js';
export {
  buildCoOccurrenceTables,
  buildCoOccurrenceTablesSync,
  NgramTableBuilder,
} from './ngramTableBuilder.js';
