import type { DraftHead, ForwardResult } from '@dynamojs/core';

/** A ForwardResult over one row of draft-head logits, so a StepView reads it as head 0 (no hidden state). */
class DraftHeadRow implements ForwardResult {
  readonly heads = 1;
  readonly positionCount = 1;
  readonly headPositionCount = 0;
  row: Float32Array = new Float32Array(0);
  logits(): Float32Array {
    return this.row;
  }
}

/**
 * The roll-out of a sequential draft head, one token at a time: from the base model's final hidden
 * state at a position ({@link start}), each {@link step} feeds the head the token drawn after it
 * and returns the next token's logits, and the head's next hidden state becomes the input of the
 * following step. The caller decides each step — draw the next token and step again, or stop:
 *
 * ```ts
 * rollout.start(hidden); // the base's, at the position before `token`
 * for (let depth = 1; depth < n; depth++) {
 *   const logits = await rollout.step(token, signal);
 *   token = draw(logits); // or stop here
 * }
 * ```
 *
 * Used by the `'dynamo'` chain (the sampler's `extend` reads {@link result} through a view) and by
 * `draftHeadDrafter` (its own processors and draw). Owns the hidden-state buffer (a copy: the head
 * may reuse its output buffers) and the one-row result; allocates no buffer per step.
 */
export class DraftHeadRollout {
  readonly head: DraftHead;
  /** The hidden state the next step reads (length `head.hiddenSize`). */
  readonly hidden: Float32Array;
  /** The last step's logits as a one-row ForwardResult (head 0, no hidden state), for `view.at(result)`. */
  readonly result: ForwardResult;
  /** Draft-head steps run, in all roll-outs. */
  steps = 0;
  private readonly row: DraftHeadRow;

  constructor(head: DraftHead) {
    this.head = head;
    this.hidden = new Float32Array(head.hiddenSize);
    this.row = new DraftHeadRow();
    this.result = this.row;
  }

  /** Starts a roll-out from the base model's final hidden state at a position (copied). */
  start(hidden: ArrayLike<number>): void {
    this.hidden.set(hidden);
  }

  /**
   * Feeds `token` (the token at the position after the current hidden state) to the head; returns
   * its logits of the next token (the head's buffer, also `result.logits()`, valid until the next
   * step) and advances the hidden state. Errors: the head's (DYNAMO_ABORTED, DYNAMO_RUNTIME, …).
   */
  async step(token: number, signal?: AbortSignal): Promise<Float32Array> {
    const step = await this.head.step(this.hidden, token, signal);
    this.steps++;
    this.row.row = step.logits;
    this.hidden.set(step.hidden);
    return step.logits;
  }
}
