/**
 * @dynamojs/core — the contracts every DynaMo.js package speaks: models, caches, samplers,
 * processors, drafters, tokenizers, the model manifest, typed errors and a seedable RNG.
 * No runtime dependencies; runs in Node and browsers.
 */

export type {
  Constraint,
  ConstraintStartOptions,
  ConstraintState,
  DraftConstraint,
} from './constraint.js';
export { applyTokenMask, isConstraint, isMaskAllowed, maskCount, maskSingle, maskWords } from './constraint.js';
export type { Draft, Drafter, DraftFeedback, SyncDrafter } from './drafter.js';
export type { DraftHead, DraftHeadStep } from './draftHead.js';
export type { DynamoErrorDetails, DynamoErrorOptions } from './errors.js';
export { DynamoError, DynamoErrorCode, isDynamoError, throwIfAborted } from './errors.js';
export { checkHeadRows, headRowIndex } from './headRows.js';
export type { KVCache } from './kvCache.js';
export type { LogitsProcessor, ProcessorContext } from './logitsProcessor.js';
export type {
  ManifestArchitecture,
  ManifestDataFile,
  ManifestFile,
  ManifestFileRole,
  ManifestIo,
  ModelManifest,
} from './manifest.js';
export { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, parseManifest } from './manifest.js';
export type {
  DecodingDefaults,
  ForwardOptions,
  ForwardResult,
  HeadPositionSelection,
  ModelMetadata,
  MultiTokenModel,
  PositionSelection,
  SpecialTokenIds,
} from './model.js';
export type { NumberRange } from './options.js';
export { checkBoolean, checkEnum, checkInteger, checkNumber, checkTokenIds, invalidOption, now } from './options.js';
export type { Rng, SeededRng } from './rng.js';
export { createRng } from './rng.js';
export type { ChainSampler, DistributionSampler, Sampler } from './sampler.js';
export { isChainSampler, isDistributionSampler } from './sampler.js';
export type { StepView } from './stepView.js';
export type {
  ChatMessage,
  ChatTemplateOptions,
  DecodeOptions,
  EncodeOptions,
  IncrementalDecoder,
  TextTokenizer,
} from './tokenizer.js';
export type { TokenTree } from './tokenTree.js';
export { checkTokenTree, isChainTree, treePath } from './tokenTree.js';
export type { DraftCandidates, Verifier } from './verifier.js';
