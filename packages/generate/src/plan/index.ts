export type { DecodingMode, DecodingSettings, ResolvedDecodingSettings } from './decodingSettings.js';
export { DECODING_FALLBACKS, resolveDecodingSettings } from './decodingSettings.js';
export type { DrafterChoiceContext, DrafterKind } from './drafterKind.js';
export { chooseDrafter, DRAFTERS } from './drafterKind.js';
export type {
  DecodingComponents,
  DecodingContext,
  DecodingPlan,
  DecodingRuntime,
} from './resolveDecoding.js';
export { resolveDecoding } from './resolveDecoding.js';
