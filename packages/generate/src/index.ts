/**
 * @dynamojs/generate — generation over any MultiTokenModel: autoregressive (`'ar'`), DynaMo
 * multi-token (`'dynamo'`) and lossless draft-and-verify (`'verified'`), with streaming, stop
 * strings, abort and statistics. Browser-safe: no runtime is imported here.
 */

export type { GenerationStream } from './generate.js';
export { generate, stream, toReadableStream } from './generate.js';
export { DEFAULT_MAX_DRAFT_TOKENS, DEFAULT_MAX_NEW_TOKENS, DEFAULT_TREE_HEAD_ROWS, MODES } from './options.js';
export type {
  FinishReason,
  GenerateEvent,
  GenerateOptions,
  GenerateResult,
  GenerationMode,
  GenerationStats,
  VerificationStats,
} from './types.js';
