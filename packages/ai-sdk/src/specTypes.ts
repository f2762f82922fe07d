/**
 * The AI SDK specification types this package reads and writes, for both versions it implements:
 * V4 (`ai` 7, `@ai-sdk/provider` 4) and V3 (`ai` 6, `@ai-sdk/provider` 3).
 *
 * What the models return is declared here, narrowly — text content only, the warning kinds both
 * versions have, mutable JSON (`@ai-sdk/provider` 4 made its JSON types readonly, which version 3's
 * are not) — so that one declaration is assignable to both versions' result types.
 */
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3Message,
  LanguageModelV4CallOptions,
  LanguageModelV4Message,
} from '@ai-sdk/provider';

export type CallOptions = LanguageModelV4CallOptions | LanguageModelV3CallOptions;
export type PromptMessage = LanguageModelV4Message | LanguageModelV3Message;

/** JSON as `@ai-sdk/provider` 3 writes it (assignable to version 4's readonly JSON). */
export type JsonValue = null | string | number | boolean | JsonObject | JsonValue[];
export type JsonObject = { [key: string]: JsonValue | undefined };

/** The warnings this provider emits: the kinds both versions have. */
export type CallWarning =
  | { type: 'unsupported'; feature: string; details?: string }
  | { type: 'compatibility'; feature: string; details?: string }
  | { type: 'other'; message: string };

export interface FinishReason {
  unified: 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';
  raw: string | undefined;
}

export interface Usage {
  inputTokens: {
    total: number | undefined;
    noCache: number | undefined;
    cacheRead: number | undefined;
    cacheWrite: number | undefined;
  };
  outputTokens: { total: number | undefined; text: number | undefined; reasoning: number | undefined };
  raw?: JsonObject;
}

export type ProviderMetadata = Record<string, JsonObject>;

/** What `doGenerate` resolves with. */
export interface DynamojsGenerateResult {
  content: Array<{ type: 'text'; text: string }>;
  finishReason: FinishReason;
  usage: Usage;
  providerMetadata?: ProviderMetadata;
  request?: { body?: unknown };
  response?: { id?: string; timestamp?: Date; modelId?: string };
  warnings: CallWarning[];
}

/** The parts of `doStream`'s stream. */
export type DynamojsStreamPart =
  | { type: 'stream-start'; warnings: CallWarning[] }
  | { type: 'response-metadata'; id?: string; timestamp?: Date; modelId?: string }
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'raw'; rawValue: unknown }
  | { type: 'error'; error: unknown }
  | { type: 'finish'; usage: Usage; finishReason: FinishReason; providerMetadata?: ProviderMetadata };

/** What `doStream` resolves with. */
export interface DynamojsStreamResult {
  stream: ReadableStream<DynamojsStreamPart>;
  request?: { body?: unknown };
}
