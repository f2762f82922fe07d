/**
 * The DynaMo sampler (Algorithm 1 of Tuli et al., NAACL 2024), its steps as separate functions,
 * the DynaMo drafter for verified decoding, and co-occurrence (n-gram) tables: format, loader,
 * builder. Browser-safe; the Node file helpers live in the "./node" entry.
 */

export type { AdaptiveThresholdOptions } from './adaptiveThreshold.js';
export { adaptiveThreshold } from './adaptiveThreshold.js';
export { backOffBounds, shouldBackOff, shouldBackOffAt } from './backOff.js';
export type { JointRenormalization } from './coOccurrenceMask.js';
export {
  applyCoOccurrenceWeights,
  CoOccurrenceWeights,
  coOccurrenceJoint,
  renormalizeJoint,
} from './coOccurrenceMask.js';
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
export { argmaxCell, drawCell } from './drawCell.js';
export type { DynamoDrafterOptions } from './dynamoDrafter.js';
export { dynamoDrafter } from './dynamoDrafter.js';
export type {
  DynamoAblation,
  DynamoOptions,
  DynamoSampler,
  DynamoStats,
  ResolvedDynamoOptions,
} from './dynamoSampler.js';
export { DYNAMO_ABLATIONS, dynamo, dynamoAblation, resolveDynamoOptions } from './dynamoSampler.js';
export { blurCells, gaussianKernel } from './gaussianBlur.js';
export { HeadTopK, sampleSelected, selectHeadTopK } from './headTopK.js';
export { cellTokens, compactCells, JointCells } from './jointCells.js';
export { outerProductJoint } from './jointEstimate.js';
export type { NgramBuildProgress, NgramTableBuilderOptions, TokenDocuments } from './ngramTableBuilder.js';
export {
  buildCoOccurrenceTables,
  buildCoOccurrenceTablesSync,
  NgramTableBuilder,
} from './ngramTableBuilder.js';
export { otsuThreshold } from './otsuThreshold.js';
export type { RepetitionMode } from './repetitionCells.js';
export { RepetitionScratch, repetitionPenaltyCells } from './repetitionCells.js';
export type { StaticThresholdMode } from './staticThreshold.js';
export { staticThreshold, staticThresholdAt, staticThresholdValue } from './staticThreshold.js';
