import { checkNumber, DynamoError, DynamoErrorCode, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';

/**
 * CTRL-style repetition penalty (Keskar et al. 2019), exactly as transformers.js'
 * `RepetitionPenaltyLogitsProcessor`: for every distinct token in the context (history, then
 * `context.pending` — the tokens already chosen this step before this head's position),
 * `logit < 0 ? logit * penalty : logit / penalty`, applied once per token. 1 = off; > 1 discourages
 * repetition; between 0 and 1 encourages it.
 *
 * Deduplication uses a stamp array sized to the vocabulary (allocated on first use), so a step
 * allocates nothing. A history id outside the vocabulary → DYNAMO_TOKEN_OUT_OF_RANGE.
 */
export class RepetitionPenaltyProcessor implements LogitsProcessor {
  readonly name = 'repetition-penalty';
  readonly penalty: number;
  private stamps: Uint32Array | undefined;
  private stamp = 0;

  constructor(penalty: number) {
    this.penalty = checkNumber('repetitionPenalty', penalty, { min: 0, minExclusive: true });
  }

  process(logits: Float32Array, context: ProcessorContext): void {
    if (this.penalty === 1) return;
    const n = logits.length;
    if (this.stamps === undefined || this.stamps.length !== n) {
      this.stamps = new Uint32Array(n);
      this.stamp = 0;
    }
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
    this.apply(logits, context.history);
    if (context.pending !== undefined) this.apply(logits, context.pending);
  }

  private apply(logits: Float32Array, tokens: ArrayLike<number>): void {
    const stamps = this.stamps as Uint32Array;
    const stamp = this.stamp;
    const penalty = this.penalty;
    const n = logits.length;
    for (let j = 0; j < tokens.length; j++) {
      const t = tokens[j] as number;
      if (!(t >= 0 && t < n) || !Number.isInteger(t)) {
        throw new DynamoError(
          DynamoErrorCode.TOKEN_OUT_OF_RANGE,
          `repetitionPenalty: context token ${String(t)} at index ${j} is outside the vocabulary [0, ${n}).`,
          { details: { index: j, actual: t, expected: `[0, ${n})` } },
        );
      }
      if (stamps[t] === stamp) continue;
      stamps[t] = stamp;
      const v = logits[t] as number;
      logits[t] = v < 0 ? v * penalty : v / penalty;
    }
  }
}

/** A repetition-penalty processor. Throws DYNAMO_INVALID_OPTION unless `penalty` > 0. */
export function repetitionPenalty(penalty: number): RepetitionPenaltyProcessor {
  return new RepetitionPenaltyProcessor(penalty);
}
