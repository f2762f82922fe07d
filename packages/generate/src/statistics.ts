import { TokenBuffer } from './buffers.js';
import type { GenerationMode, GenerationStats, VerificationStats } from './types.js';

/**
 * Counters of one generation: passes, tokens per pass, where the time went (prefill, forward
 * passes, choosing tokens) and, in `verified` mode, how drafts fared. Turned into the public
 * {@link GenerationStats} once at the end.
 */
export class Statistics {
  passes = 0;
  prefillTokens = 0;
  prefillMs = 0;
  decodeMs = 0;
  forwardMs = 0;
  /** Tokens emitted by each pass, in order (prefill first). */
  readonly steps = new TokenBuffer(64);
  /** Verified mode: per draft depth (1 = right after the exact token), positions checked / accepted. */
  readonly proposed: number[] = [];
  readonly accepted: number[] = [];
  /** Verified mode: passes that verified a draft, nodes drafted, drafts that were trees. */
  verifyPasses = 0;
  draftedNodes = 0;
  treePasses = 0;
  /** Chain mode ('dynamo' with a draft head): draft-head steps run, and their time plus the sampler's. */
  draftSteps = 0;
  draftMs = 0;
  /** Why drafted trees were verified as chains, if they were (e.g. the graph has no tree input). */
  treeFallback: string | undefined = undefined;

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

  /** Makes the per-depth counters at least `depth` long. */
  recordDepths(depth: number): void {
    while (this.proposed.length < depth) {
      this.proposed.push(0);
      this.accepted.push(0);
    }
  }

  /** Verified mode: one checked position at draft depth `depth` (≥ 1). */
  recordCheck(depth: number, accepted: boolean): void {
    this.recordDepths(depth);
    this.proposed[depth - 1] = (this.proposed[depth - 1] as number) + 1;
    if (accepted) this.accepted[depth - 1] = (this.accepted[depth - 1] as number) + 1;
  }

  toStats(mode: GenerationMode, device: string | undefined, promptTokens: number, emitted: number, totalMs: number) {
    const passes = this.passes;
    const decodeTokens = emitted - this.prefillTokens;
    const runMs = this.prefillMs + this.decodeMs;
    let verification: VerificationStats | undefined;
    if (mode === 'verified') {
      const acceptedTokens = this.accepted.reduce((a, b) => a + b, 0);
      verification = {
        proposed: [...this.proposed],
        accepted: [...this.accepted],
        rate: this.proposed.map((p, i) => (p > 0 ? (this.accepted[i] as number) / p : 0)),
        passes: this.verifyPasses,
        draftedNodes: this.draftedNodes,
        treePasses: this.treePasses,
        acceptedPerPass: this.verifyPasses > 0 ? acceptedTokens / this.verifyPasses : 0,
        ...(this.treeFallback !== undefined && { treeFallback: this.treeFallback }),
      };
    }
    const stats: GenerationStats = {
      mode,
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
      ...(verification && { acceptance: verification }),
      ...(this.draftSteps > 0 && { draftHead: { steps: this.draftSteps, ms: this.draftMs } }),
    };
    return stats;
  }
}
