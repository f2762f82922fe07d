import { checkInteger, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';
import { topKIndices } from './topKIndices.js';

/**
 * Keeps the `k` largest logits and sets every other to `-Infinity`. Exactly `k` tokens survive
 * (fewer when fewer are unmasked); ties at the cut-off go to the lowest token ids, the same kept
 * set as transformers.js' top-k (onnxruntime TopK). Partial selection in O(V log k) with a
 * scratch heap of k entries allocated once: no allocation per step, no sort of the vocabulary.
 */
export class TopKProcessor implements LogitsProcessor {
  readonly name = 'top-k';
  readonly k: number;
  private readonly heap: Int32Array;

  constructor(k: number) {
    this.k = checkInteger('topK', k, { min: 1 });
    this.heap = new Int32Array(this.k);
  }

  process(logits: Float32Array, _context?: ProcessorContext): void {
    if (this.k >= logits.length) return;
    const count = topKIndices(logits, this.k, this.heap, false);
    if (count < this.k) return; // fewer than k unmasked tokens: nothing more to mask
    maskBelowEntry(logits, this.heap[0] as number);
  }
}

/**
 * Masks every entry ranking below entry `cut` in the order (value desc, index asc), i.e. keeps
 * exactly the entries at or above it. A leaf loop (see argmax.ts for why).
 */
export function maskBelowEntry(logits: Float32Array, cut: number): void {
  const cutValue = logits[cut] as number;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (v < cutValue || (v === cutValue && i > cut)) logits[i] = Number.NEGATIVE_INFINITY;
  }
}

/** A top-k processor. Throws DYNAMO_INVALID_OPTION unless `k` is an integer ≥ 1. */
export function topK(k: number): TopKProcessor {
  return new TopKProcessor(k);
}
