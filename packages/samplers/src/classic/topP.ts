import { checkInteger, checkNumber, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';
import { ensureFloat32, ensureFloat64 } from '../util/scratch.js';
import { MassPrefix, maskAfterKeyCut } from './massPrefix.js';
import { maxOf, softmax } from './softmax.js';

export interface TopPOptions {
  /** Never keep fewer tokens than this (default 1). */
  readonly minTokensToKeep?: number;
}

/**
 * Nucleus (top-p) filtering: keeps the smallest set of most probable tokens whose probabilities
 * sum to at least `p` (the token that crosses `p` is kept) and masks the rest with `-Infinity`.
 * Same rule as transformers' `TopPLogitsWarper` (which transformers.js v4 declares but does not
 * implement: its generate() never applies top-p; this one does).
 *
 * No sort of the vocabulary: tokens are bucketed by logit and only the bucket where the mass
 * crosses `p` is resolved exactly (O(V); see massPrefix.ts). Scratch buffers sized to the
 * vocabulary are allocated on the first call only. Ties at the cut-off go to the lowest ids.
 */
export class TopPProcessor implements LogitsProcessor {
  readonly name = 'top-p';
  readonly p: number;
  readonly minTokensToKeep: number;
  private probs: Float32Array | undefined;
  private keys: Float64Array | undefined;
  private readonly prefix = new MassPrefix();

  constructor(p: number, options: TopPOptions = {}) {
    this.p = checkNumber('topP', p, { min: 0, max: 1, minExclusive: true });
    this.minTokensToKeep = checkInteger('minTokensToKeep', options.minTokensToKeep ?? 1, { min: 1 });
  }

  process(logits: Float32Array, _context?: ProcessorContext): void {
    if (this.p >= 1) return;
    const n = logits.length;
    const max = maxOf(logits);
    if (max === Number.NEGATIVE_INFINITY) return; // all masked: selection reports it
    const probs = (this.probs = ensureFloat32(this.probs, n));
    const keys = (this.keys = ensureFloat64(this.keys, n));
    softmax(logits, probs);
    fillTopPKeys(logits, max, keys);
    const prefix = this.prefix;
    prefix.find(keys, probs, this.p, this.minTokensToKeep);
    if (prefix.kept > 0) maskAfterKeyCut(logits, keys, prefix.cutKey, prefix.cutIndex);
  }
}

/** key = max − logit: ascending key = descending probability; masked tokens are no candidates. */
function fillTopPKeys(logits: Float32Array, max: number, keys: Float64Array): void {
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    keys[i] = l === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : max - l;
  }
}

/** A top-p processor. Throws DYNAMO_INVALID_OPTION unless 0 < p ≤ 1 (1 = off). */
export function topP(p: number, options?: TopPOptions): TopPProcessor {
  return new TopPProcessor(p, options);
}
