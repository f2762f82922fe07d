import { InvalidArgumentError } from '@ai-sdk/provider';
import { DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import type { FinishReason, GenerateResult } from '@dynamojs/generate';
import type { FinishReason as AiFinishReason, JsonObject, Usage } from './specTypes.js';

/**
 * DynaMo.js's finish reason as the AI SDK's: eos and a stop string are `stop`, reaching
 * `maxOutputTokens` or the model's context is `length`; `raw` keeps DynaMo.js's own
 * (`eos`, `stop`, `length`, `context`).
 */
export function finishReason(reason: FinishReason): AiFinishReason {
  switch (reason) {
    case 'eos':
    case 'stop':
      return { unified: 'stop', raw: reason };
    case 'length':
    case 'context':
      return { unified: 'length', raw: reason };
    default:
      return { unified: 'other', raw: reason };
  }
}

/** Prompt tokens in, emitted tokens out (eos excluded; before a stop string is trimmed: what was computed). */
export function usage(result: GenerateResult): Usage {
  const { promptTokens, tokens } = result.stats;
  return {
    inputTokens: { total: promptTokens, noCache: promptTokens, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: tokens, text: tokens, reasoning: undefined },
    raw: { promptTokens, tokens },
  };
}

const round = (x: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/**
 * `providerMetadata.dynamojs`: how the generation went, pass by pass — the mode, the device, the
 * heads of the graph that ran (1: the base-only graph of `ar`), tokens
 * per forward pass and forward passes, decode tokens/s, where the time went, the tokens each pass
 * emitted (`steps`) and, in `verified` mode, how many drafts each extra head had accepted.
 */
export function providerMetadata(
  result: GenerateResult,
  extra: { sampler: string; heads: number; preset?: string; epsilon?: number; minDraftProbability?: number },
): JsonObject {
  const s = result.stats;
  return {
    mode: s.mode,
    ...(s.device !== undefined && { device: s.device }),
    heads: extra.heads,
    sampler: extra.sampler,
    ...(extra.preset !== undefined && { preset: extra.preset }),
    ...(extra.epsilon !== undefined && { epsilon: extra.epsilon }),
    ...(extra.minDraftProbability !== undefined && { minDraftProbability: extra.minDraftProbability }),
    finishReason: result.finishReason,
    ...(result.stopString !== undefined && { stopString: result.stopString }),
    promptTokens: s.promptTokens,
    tokens: s.tokens,
    forwardPasses: s.forwardPasses,
    tokensPerPass: round(s.tokensPerPass),
    tokensPerSecond: round(s.tokensPerSecond, 1),
    overallTokensPerSecond: round(s.overallTokensPerSecond, 1),
    prefillMs: round(s.prefillMs),
    decodeMs: round(s.decodeMs),
    forwardMs: round(s.forwardMs),
    selectMs: round(s.selectMs),
    totalMs: round(s.totalMs),
    steps: [...result.steps],
    ...(s.acceptance && {
      acceptance: {
        proposed: [...s.acceptance.proposed],
        accepted: [...s.acceptance.accepted],
        rate: s.acceptance.rate.map((r) => round(r, 4)),
        acceptedPerPass: round(s.acceptance.acceptedPerPass, 4),
      },
    }),
  };
}

/** What an aborted call throws: the signal's reason when it is an error, else an AbortError. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason as unknown;
  if (reason instanceof Error) return reason;
  return new DOMException('The generation was aborted.', 'AbortError');
}

/**
 * DynaMo.js errors that mean "a setting or call option is wrong" become the AI SDK's
 * InvalidArgumentError (the DynamoError stays as `cause`); an abort becomes an AbortError; every
 * other error (loading, runtime, context overflow…) is the typed DynamoError itself.
 */
export function toCallError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (isDynamoError(error, DynamoErrorCode.ABORTED)) return abortError(signal);
  if (isDynamoError(error, DynamoErrorCode.INVALID_OPTION)) {
    const option = error.details?.option;
    return new InvalidArgumentError({
      argument: typeof option === 'string' ? option : 'options',
      message: error.message,
      cause: error,
    });
  }
  return error;
}
