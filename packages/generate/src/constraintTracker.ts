import {
  type Constraint,
  type ConstraintState,
  type DraftConstraint,
  isMaskAllowed,
  maskCount,
  maskSingle,
  maskWords,
  now,
} from '@dynamojs/core';
import type { ConstraintStats } from './types.js';

/**
 * One generation's grammar position: advanced on every emitted (accepted) token, so it always
 * stands after the history; `push` / `pop` look ahead along drafted tokens and roll back (the
 * {@link DraftConstraint} samplers and drafters see as `view.constraint`). Caches the mask after the
 * history until the history moves, and counts what the constraint cost (`stats.constraint`).
 */
export class ConstraintTracker implements DraftConstraint {
  private readonly state: ConstraintState;
  private readonly vocabSize: number;
  /** The mask after the history, and the one after the pushed tokens. */
  private readonly base: Uint32Array;
  private readonly probe: Uint32Array;
  private baseValid = false;
  private probeValid = false;
  private pushed = 0;
  forcedTokens = 0;
  maskedPositions = 0;
  prunedNodes = 0;
  engineMs = 0;

  constructor(constraint: Constraint, vocabSize: number, stopTokens: ArrayLike<number>) {
    this.state = constraint.start({ stopTokens });
    this.vocabSize = vocabSize;
    this.base = new Uint32Array(maskWords(vocabSize));
    this.probe = new Uint32Array(maskWords(vocabSize));
  }

  get depth(): number {
    return this.pushed;
  }

  mask(): Uint32Array {
    if (this.pushed === 0) {
      if (!this.baseValid) this.fill(this.base);
      this.baseValid = true;
      return this.base;
    }
    if (!this.probeValid) this.fill(this.probe);
    this.probeValid = true;
    return this.probe;
  }

  isAllowed(token: number): boolean {
    return isMaskAllowed(this.mask(), token);
  }

  forcedToken(): number {
    return maskSingle(this.mask(), this.vocabSize);
  }

  /** No token is admitted after the history (a dead end, or a grammar complete without stop tokens). */
  deadEnd(): boolean {
    return maskCount(this.mask(), this.vocabSize) === 0;
  }

  push(token: number): boolean {
    const start = now();
    const ok = this.state.advance(token);
    this.engineMs += now() - start;
    if (ok) {
      this.pushed++;
      this.probeValid = false;
    }
    return ok;
  }

  pop(count = 1): void {
    const n = Math.min(Math.max(0, Math.trunc(count)), this.pushed);
    if (n === 0) return;
    const start = now();
    this.state.rollback(n);
    this.engineMs += now() - start;
    this.pushed -= n;
    this.probeValid = false;
  }

  /** Undoes every look-ahead (after a drafter or a sampler probed). */
  restore(): void {
    this.pop(this.pushed);
  }

  /** Advances the history's state by an emitted token: false when the grammar rejects it. */
  accept(token: number): boolean {
    this.restore();
    const start = now();
    const ok = this.state.advance(token);
    this.engineMs += now() - start;
    if (ok) this.baseValid = false;
    return ok;
  }

  report(): ConstraintStats {
    const tokens = this.state.length;
    return {
      forcedTokens: this.forcedTokens,
      maskedPositions: this.maskedPositions,
      prunedNodes: this.prunedNodes,
      engineMs: this.engineMs,
      engineUsPerToken: tokens > 0 ? (this.engineMs * 1000) / tokens : 0,
    };
  }

  dispose(): void {
    this.state.dispose();
  }

  private fill(mask: Uint32Array): void {
    const start = now();
    mask.fill(0);
    this.state.fillMask(mask);
    this.engineMs += now() - start;
    this.maskedPositions++;
  }
}
