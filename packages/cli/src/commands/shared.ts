import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import type { GenerateResult, GenerationStats } from '@dynamojs/generate';
import type { OptionSpec } from '../args.js';
import type { Loader } from '../loader.js';

/** Where a command writes; injectable for tests. */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

export interface CliContext extends CliIo {
  readonly loader: Loader;
  /** Reads a text file (prompts, corpora). */
  readonly readText: (path: string) => Promise<string>;
  readonly writeFile: (path: string, data: Uint8Array) => Promise<void>;
}

/** Flags shared by commands that load a model. */
export const MODEL_FLAGS: OptionSpec = {
  model: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  dtype: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** Sampler flags shared by generate and bench. */
export const SAMPLER_FLAGS: OptionSpec = {
  greedy: { type: 'boolean' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  alpha: { type: 'string' },
  blur: { type: 'string' },
};

export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** The one statistics line of `dynamo generate` (`how`: e.g. the drafter and verification of `verified`). */
export function statsLine(stats: GenerationStats, finishReason: string, how?: string): string {
  const parts = [
    how === undefined ? `${stats.mode}` : `${stats.mode} (${how})`,
    `${stats.tokens} tokens in ${stats.forwardPasses} passes`,
    `${fmt(stats.tokensPerPass)} tokens/pass`,
    `${fmt(stats.tokensPerSecond, 1)} tokens/s`,
    `prefill ${fmt(stats.prefillMs, 1)} ms`,
    `device ${stats.device ?? '?'}`,
    `finish ${finishReason}`,
  ];
  if (stats.acceptance) {
    // per draft depth: depth k is checked only when depths 1..k-1 were accepted
    parts.push(`acceptance ${stats.acceptance.rate.map((r, i) => `d${i + 1} ${fmt(r)}`).join(' ')}`);
  }
  if (stats.constraint) {
    parts.push(
      `constraint ${stats.constraint.forcedTokens} forced tokens, engine ${fmt(stats.constraint.engineUsPerToken, 0)} µs/token`,
    );
  }
  return parts.join(' · ');
}

/** The last line of `dynamo generate --compare`: the mode against ar (same prompt and seed). */
export function compareLine(ar: GenerateResult, other: GenerateResult, lossyNote?: string): string {
  const speedup = ar.stats.tokensPerSecond > 0 ? other.stats.tokensPerSecond / ar.stats.tokensPerSecond : Number.NaN;
  const same = ar.tokens.length === other.tokens.length && ar.tokens.every((t, i) => t === other.tokens[i]);
  const quality =
    other.stats.mode === 'verified'
      ? same
        ? 'the same text as ar (lossless)'
        : "ar's distribution (lossless; a different draw)"
      : same
        ? 'the same text as ar'
        : (lossyNote ?? "lossy (how it compares with ar's quality: dynamo eval)");
  return `${other.stats.mode} vs ar: ${fmt(other.stats.tokensPerPass)} tokens/pass, ${fmt(speedup)}x the tokens/s · ${quality}`;
}

/** `--head-rows all|last|N` (verified: where the extra heads' logits are computed). */
export function headRowsFlag(values: Record<string, unknown>): 'all' | 'last' | number | undefined {
  const v = values['head-rows'];
  if (v === undefined) return undefined;
  if (v === 'all' || v === 'last') return v;
  if (typeof v === 'string' && /^\d+$/.test(v) && Number(v) >= 1) return Number(v);
  throw new DynamoError(
    DynamoErrorCode.INVALID_OPTION,
    `Option "--head-rows" must be "all", "last" or a whole number ≥ 1, got ${JSON.stringify(v)}.`,
    { details: { option: '--head-rows', actual: v } },
  );
}
