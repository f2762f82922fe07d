import { TokenBuffer } from './buffers.js';
import type { GenerationStats } from './types.js';

/**
 * The decode loop's counters of one generation: passes, tokens per pass and where the time went
 * (prefill, forward passes, choosing tokens). A method's own counters (drafts accepted, draft-head
 * steps) live in its strategy and come back through `DecodeStrategy.report()`. Turned into the
 * public {@link GenerationStats} once at the end.
 */
export class Statistics {
  passes = 0;
  prefillTokens = 0;
  prefillMs = 0;
  decodeMs = 0;
  forwardMs = 0;
  /** Tokens emitted by each pass, in order (prefill first). */
  readonly steps = new TokenBuffer(64);

  /** Records one pass: its timing and how many tokens it emitted. */
  recordPass(prefill: boolean, start: number, forwardDone: number, end: number, tokens: number): void {
    this.steps.push(tokens);
    if (prefill) {
      this.prefillMs = end - start;
      this.prefillTokens = tokens;
    } else {
      this.decodeMs += end - start;
      this.forwardMs += forwardDone - start;
    }
  }

  toStats(
    mode: string,
    method: string,
    device: string | undefined,
    promptTokens: number,
    emitted: number,
    totalMs: number,
    report: Readonly<Record<string, unknown>> | undefined,
  ): GenerationStats {
    const passes = this.passes;
    const decodeTokens = emitted - this.prefillTokens;
    const runMs = this.prefillMs + this.decodeMs;
    return {
      ...report,
      mode,
      method,
      device,
      promptTokens,
      tokens: emitted,
      forwardPasses: passes,
      tokensPerPass: passes > 0 ? emitted / passes : 0,
      prefillMs: this.prefillMs,
      decodeMs: this.decodeMs,
      forwardMs: this.forwardMs,
      selectMs: this.decodeMs - this.forwardMs,
      totalMs,
      tokensPerSecond: this.decodeMs > 0 ? (decodeTokens * 1000) / this.decodeMs : 0,
      overallTokensPerSecond: runMs > 0 ? (emitted * 1000) / runMs : 0,
    };
  }
}
