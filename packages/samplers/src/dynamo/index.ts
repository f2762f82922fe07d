/**
 * The DynaMo sampler (Algorithm 1 of Tuli et al., NAACL 2024) and its stages, one function per
 * stage: per-head top-k, joint estimate, co-occurrence weighted masking, thresholds, back-off, draw.
 */
export type { AdaptiveThresholdOptions } from './adaptiveThreshold.js';
export { adaptiveThreshold } from './adaptiveThreshold.js';
export { backOffBounds, shouldBackOff, shouldBackOffAt } from './backOff.js';
export type { DynamoChainOptions } from './chainSampler.js';
export {
  DEFAULT_CHAIN_LENGTH,
  DEFAULT_MIN_DRAFT_PROBABILITY,
  DynamoChainSampler,
  dynamoChain,
} from './chainSampler.js';
export { ContextPenaltyScratch, contextPenaltyCells } from './contextPenalty.js';
export type { JointRenormalization } from './coOccurrenceMask.js';
export {
  applyCoOccurrenceWeights,
  CoOccurrenceWeights,
  coOccurrenceJoint,
  renormalizeJoint,
} from './coOccurrenceMask.js';
export { argmaxCell, drawCell } from './drawCell.js';
export type {
  DynamoAblation,
  DynamoDraw,
  DynamoOptions,
  DynamoPreset,
  DynamoSampler,
  DynamoStats,
  DynamoStepInfo,
  ResolvedDynamoOptions,
} from './dynamoSampler.js';
export {
  DYNAMO_ABLATIONS,
  DYNAMO_PRESETS,
  dynamo,
  dynamoAblation,
  recommendedDynamoOptions,
  resolveDynamoOptions,
} from './dynamoSampler.js';
export { blurCells, gaussianKernel } from './gaussianBlur.js';
export { HeadTopK, sampleSelected, selectHeadTopK } from './headTopK.js';
export { cellTokens, compactCells, JointCells } from './jointCells.js';
export { outerProductJoint } from './jointEstimate.js';
export { otsuThreshold } from './otsuThreshold.js';
export type { RepetitionMode } from './repetitionCells.js';
export { RepetitionScratch, repetitionPenaltyCells } from './repetitionCells.js';
export type { StaticThresholdMode } from './staticThreshold.js';
export { staticThreshold, staticThresholdAt, staticThresholdValue } from './staticThreshold.js';
