import {
  applyTokenMask,
  type DraftConstraint,
  DynamoError,
  DynamoErrorCode,
  type ForwardResult,
  type LogitsProcessor,
  type Rng,
  type StepView,
} from '@dynamojs/core';
import { applyProcessors } from '@dynamojs/samplers';
import type { TokenBuffer } from './buffers.js';
import type { ConstraintTracker } from './constraintTracker.js';

/**
 * The StepView handed to samplers, drafters and verifiers: one object per role and generation,
 * pointed at a row of the current forward result every step (no allocation per step).
 * `logits(h)` reads row `index` (undefined = the last row) of head h; with processors, a processed
 * copy in a per-head scratch buffer, recomputed only after the row or the history changed.
 * The processors run on every head the reader asks for, with the history as it is now — so a
 * verifier walking a draft sees them applied with each position's own history.
 *
 * With a constraint, the sampler's view (`masked`) first masks head 0 by the grammar after the
 * history (disallowed tokens at -Infinity), then runs the processors: every mode samples from the
 * same constrained distribution. `constraint` is the look-ahead probe samplers and drafters see.
 */
export class View implements StepView {
  readonly vocabSize: number;
  heads = 1;
  maxTokens = 1;
  readonly promptLength: number;
  step = 0;
  readonly rng: Rng;
  readonly signal: AbortSignal | undefined;
  private result: ForwardResult | undefined = undefined;
  private index: number | undefined = undefined;
  private headIndex: number | undefined = undefined;
  private readonly historyBuffer: TokenBuffer;
  private readonly processors: readonly LogitsProcessor[];
  private readonly scratch: (Float32Array | undefined)[] = [];
  /** Bit h set: scratch[h] holds processed logits for the current (result, index, history). */
  private processedMask = 0;
  private readonly context: { head: number; history: Int32Array };
  private readonly tracker: ConstraintTracker | undefined;
  private readonly masked: boolean;

  constructor(
    vocabSize: number,
    promptLength: number,
    rng: Rng,
    signal: AbortSignal | undefined,
    history: TokenBuffer,
    processors: readonly LogitsProcessor[],
    tracker?: ConstraintTracker,
    masked = false,
  ) {
    this.vocabSize = vocabSize;
    this.promptLength = promptLength;
    this.rng = rng;
    this.signal = signal;
    this.historyBuffer = history;
    this.processors = processors;
    this.context = { head: 0, history: history.view() };
    this.tracker = tracker;
    this.masked = masked && tracker !== undefined;
  }

  get constraint(): DraftConstraint | undefined {
    return this.tracker;
  }

  get history(): Int32Array {
    return this.historyBuffer.view();
  }

  /**
   * Points the view at row `index` of `result` (undefined: the last row) for head 0, and at row
   * `headIndex` for the extra heads (default: the same index; the extra heads may be returned at
   * other rows than head 0 — `ForwardResult.headRows`).
   */
  at(result: ForwardResult, index: number | undefined, headIndex: number | undefined = index): void {
    this.result = result;
    this.index = index;
    this.headIndex = headIndex;
    this.processedMask = 0;
  }

  /** Call after the history changed, so processed logits are recomputed. */
  invalidate(): void {
    this.processedMask = 0;
  }

  hidden(): Float32Array | undefined {
    return this.result?.hidden?.(this.index);
  }

  logits(head: number): Float32Array {
    const result = this.result;
    if (result === undefined || !Number.isInteger(head) || head < 0 || head >= this.heads) {
      throw new DynamoError(
        DynamoErrorCode.SAMPLER,
        `The sampler asked for the logits of head ${String(head)}; this step has heads 0..${this.heads - 1}.`,
        { details: { actual: head, expected: `0..${this.heads - 1}` } },
      );
    }
    const raw = result.logits(head, head === 0 ? this.index : this.headIndex);
    const mask = head === 0 && this.masked;
    if (this.processors.length === 0 && !mask) return raw;
    const bit = 1 << head;
    let buf = this.scratch[head];
    if (buf === undefined || buf.length !== raw.length) {
      buf = new Float32Array(raw.length);
      this.scratch[head] = buf;
    } else if ((this.processedMask & bit) !== 0) {
      return buf;
    }
    this.context.head = head;
    this.context.history = this.historyBuffer.view();
    if (mask) {
      buf.set(raw);
      applyTokenMask(buf, (this.tracker as ConstraintTracker).mask());
      applyProcessors(this.processors, buf, buf, this.context);
    } else {
      applyProcessors(this.processors, raw, buf, this.context);
    }
    this.processedMask |= bit;
    return buf;
  }
}
