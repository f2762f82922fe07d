import { checkInteger, checkNumber, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';
import { ensureInt32 } from '../util/scratch.js';
import { maxOf } from './softmax.js';
import { maskBelowEntry } from './topK.js';
import { topKIndices } from './topKIndices.js';

export interface MinPOptions {
  /** Never keep fewer tokens than this (default 1). */
  readonly minTokensToKeep?: number;
}

/**
 * Min-p filtering (Nguyen et al. 2024, as transformers' `MinPLogitsWarper`): masks every token
 * whose probability is below `minP` times the probability of the most likely token.
 * Computed in logit space (`logit < max + ln(minP)`): one pass, no exponentials, no allocation.
 * transformers.js v4 has no min-p; tests compare against a reference implementation.
 */
export class MinPProcessor implements LogitsProcessor {
  readonly name = 'min-p';
  readonly minP: number;
  readonly minTokensToKeep: number;
  private order: Int32Array | undefined;

  constructor(minP: number, options: MinPOptions = {}) {
    this.minP = checkNumber('minP', minP, { min: 0, max: 1 });
    this.minTokensToKeep = checkInteger('minTokensToKeep', options.minTokensToKeep ?? 1, { min: 1 });
  }

  process(logits: Float32Array, _context?: ProcessorContext): void {
    if (this.minP === 0) return;
    const max = maxOf(logits);
    if (max === Number.NEGATIVE_INFINITY) return;
    const cut = max + Math.log(this.minP);
    if (countAtLeast(logits, cut) >= this.minTokensToKeep) {
      maskBelow(logits, cut);
      return;
    }
    // Keep the best minTokensToKeep instead.
    const k = Math.min(this.minTokensToKeep, logits.length);
    const order = (this.order = ensureInt32(this.order, k));
    if (topKIndices(logits, k, order, false) === k) maskBelowEntry(logits, order[0] as number);
  }
}

// Leaf loops (see argmax.ts for why).
function countAtLeast(logits: Float32Array, cut: number): number {
  let kept = 0;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) >= cut) kept++;
  return kept;
}

function maskBelow(logits: Float32Array, cut: number): void {
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) < cut) logits[i] = Number.NEGATIVE_INFINITY;
}

/** A min-p processor. Throws DYNAMO_INVALID_OPTION unless 0 ≤ minP ≤ 1 (0 = off). */
export function minP(minP: number, options?: MinPOptions): MinPProcessor {
  return new MinPProcessor(minP, options);
}
