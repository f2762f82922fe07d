import { checkInteger, checkNumber, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';
import { ensureFloat32, ensureFloat64 } from '../util/scratch.js';
import { MassPrefix, maskAboveKey } from './massPrefix.js';
import { logSumExp } from './softmax.js';

export interface TypicalPOptions {
  /** Never keep fewer tokens than this (default 1). */
  readonly minTokensToKeep?: number;
}

/**
 * Locally typical sampling (Meister et al. 2022, as transformers' `TypicalLogitsWarper`): ranks
 * tokens by |−log p(t) − H(p)| (closest to the entropy first), keeps the smallest such prefix
 * whose probability mass reaches `mass`, and masks the rest (ties at the cut-off are kept, as in
 * transformers). O(V) bucketed selection instead of a sort (see massPrefix.ts); scratch sized to
 * the vocabulary is allocated on the first call only. transformers.js v4 has no typical-p; tests compare against a
 * reference implementation.
 */
export class TypicalPProcessor implements LogitsProcessor {
  readonly name = 'typical-p';
  readonly mass: number;
  readonly minTokensToKeep: number;
  private probs: Float32Array | undefined;
  private keys: Float64Array | undefined;
  private readonly prefix = new MassPrefix();

  constructor(mass: number, options: TypicalPOptions = {}) {
    this.mass = checkNumber('typicalP', mass, { min: 0, max: 1, minExclusive: true });
    this.minTokensToKeep = checkInteger('minTokensToKeep', options.minTokensToKeep ?? 1, { min: 1 });
  }

  process(logits: Float32Array, _context?: ProcessorContext): void {
    if (this.mass >= 1) return;
    const n = logits.length;
    const lse = logSumExp(logits);
    if (lse === Number.NEGATIVE_INFINITY) return; // all masked: selection reports it
    const probs = (this.probs = ensureFloat32(this.probs, n));
    const keys = (this.keys = ensureFloat64(this.keys, n));
    const h = probsAndEntropy(logits, lse, probs);
    fillTypicalKeys(logits, lse, h, keys);
    const prefix = this.prefix;
    prefix.find(keys, probs, this.mass, this.minTokensToKeep);
    if (prefix.kept > 0) maskAboveKey(logits, keys, prefix.cutKey);
  }
}

// Leaf loops (see argmax.ts for why).

/** probs[i] = exp(logit − lse); returns the entropy H in nats. */
function probsAndEntropy(logits: Float32Array, lse: number, probs: Float32Array): number {
  let h = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    if (l === Number.NEGATIVE_INFINITY) {
      probs[i] = 0;
    } else {
      const lp = l - lse;
      const p = Math.exp(lp);
      probs[i] = p;
      h -= p * lp;
    }
  }
  return h;
}

/** key = |−log p − H|: the smaller, the more typical. Masked tokens are no candidates. */
function fillTypicalKeys(logits: Float32Array, lse: number, h: number, keys: Float64Array): void {
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    keys[i] = l === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.abs(lse - l - h);
  }
}

/** A typical-p processor. Throws DYNAMO_INVALID_OPTION unless 0 < mass ≤ 1 (1 = off). */
export function typicalP(mass: number, options?: TypicalPOptions): TypicalPProcessor {
  return new TypicalPProcessor(mass, options);
}
