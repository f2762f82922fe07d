/**
 * The AI SDK specification types this package reads and writes, for both versions it implements:
 * V4 (`ai` 7) and V3 (`ai` 6). For a text-only model the two agree on everything used here —
 * results are built once as V4 and handed to V3 callers as they are.
 */
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3Message,
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4Message,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV3Warning,
} from '@ai-sdk/provider';

export type CallOptions = LanguageModelV4CallOptions | LanguageModelV3CallOptions;
export type PromptMessage = LanguageModelV4Message | LanguageModelV3Message;
/** The warnings this provider emits: the kinds both versions have. */
export type CallWarning = SharedV3Warning;
export type GenerateResultV4 = LanguageModelV4GenerateResult;
export type StreamPartV4 = LanguageModelV4StreamPart;
export type FinishReasonV4 = LanguageModelV4FinishReason;
export type UsageV4 = LanguageModelV4Usage;
