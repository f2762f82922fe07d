import { checkInteger, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';

/**
 * Forbids repeating any n-gram of size `n`, as transformers.js' `NoRepeatNGramLogitsProcessor`:
 * every token that would complete an n-gram already present in the context (history, then
 * `context.pending`) is set to `-Infinity`. n = 1 forbids every token seen so far.
 *
 * A direct scan of the context (O(length · n) per call) instead of a map of n-grams: no
 * allocation. When the context is shorter than n − 1 tokens nothing is masked.
 * Note that a small vocabulary with a long context can end with every token masked; the
 * selection step then throws DYNAMO_SAMPLER rather than pick a forbidden token.
 */
export class NoRepeatNgramProcessor implements LogitsProcessor {
  readonly name = 'no-repeat-ngram';
  readonly size: number;

  constructor(size: number) {
    this.size = checkInteger('noRepeatNgramSize', size, { min: 1 });
  }

  process(logits: Float32Array, context: ProcessorContext): void {
    const n = this.size;
    const h = context.history;
    const p = context.pending;
    const hl = h.length;
    const len = hl + (p === undefined ? 0 : p.length);
    if (len + 1 < n) return;
    const vocab = logits.length;
    const prefix = len - (n - 1); // start of the last n − 1 tokens
    // Every earlier window j..j+n−1 whose first n − 1 tokens equal the last n − 1 bans token j+n−1.
    for (let j = 0; j + n - 1 < len; j++) {
      let match = true;
      for (let k = 0; k < n - 1; k++) {
        if (tokenAt(h, p, j + k) !== tokenAt(h, p, prefix + k)) {
          match = false;
          break;
        }
      }
      if (match) {
        const banned = tokenAt(h, p, j + n - 1);
        if (banned >= 0 && banned < vocab) logits[banned] = Number.NEGATIVE_INFINITY;
      }
    }
  }
}

/** A no-repeat-n-gram processor. Throws DYNAMO_INVALID_OPTION unless `size` is an integer ≥ 1. */
export function noRepeatNgram(size: number): NoRepeatNgramProcessor {
  return new NoRepeatNgramProcessor(size);
}

function tokenAt(history: Int32Array, pending: ArrayLike<number> | undefined, i: number): number {
  const hl = history.length;
  return i < hl ? (history[i] as number) : ((pending as ArrayLike<number>)[i - hl] as number);
}
