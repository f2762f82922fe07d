/**
 * @dynamojs/generate — generation over any MultiTokenModel: autoregressive (`'ar'`), DynaMo
 * multi-token (`'dynamo'`) and lossless draft-and-verify (`'verified'`), with streaming, stop
 * strings, abort and statistics. Decoding methods are a registry (`registerDecodingMethod`): each
 * is one file behind the `DecodingMethod` / `DecodeStrategy` contracts. Browser-safe: no runtime is
 * imported here.
 */

export { ConstraintTracker } from './constraintTracker.js';
export { DEFAULT_MAX_DRAFT_TOKENS, DEFAULT_MAX_NEW_TOKENS, DEFAULT_TREE_HEAD_ROWS } from './defaults.js';
export type { GenerationStream } from './generate.js';
export { generate, stream, toReadableStream } from './generate.js';
export { arMethod } from './methods/ar.js';
export { BUILTIN_METHODS } from './methods/builtins.js';
export type { DecodingMethod, RegisterOptions } from './methods/decodingMethod.js';
export { dynamoChainMethod } from './methods/dynamoChain.js';
export { dynamoHeadsMethod } from './methods/dynamoHeads.js';
export {
  decodingMethod,
  decodingMethods,
  decodingModes,
  impliedMode,
  methodFor,
  registerDecodingMethod,
} from './methods/registry.js';
export { verifiedMethod } from './methods/verified.js';
export { MODES } from './options.js';
export type { Output } from './output.js';
export * from './plan/index.js';
export type { ResolvedOptions } from './resolvedOptions.js';
export type { Statistics } from './statistics.js';
export type { View } from './stepView.js';
export { ChainStrategy } from './strategies/chainStrategy.js';
export { SamplingStrategy } from './strategies/samplingStrategy.js';
export type { DecodeStrategy, Pass, StrategyContext } from './strategies/strategy.js';
export { prepareView } from './strategies/strategy.js';
export { VerifyStrategy } from './strategies/verify/verifyStrategy.js';
export type {
  ConstraintStats,
  FinishReason,
  GenerateEvent,
  GenerateOptions,
  GenerateResult,
  GenerationMode,
  GenerationStats,
  VerificationStats,
} from './types.js';
