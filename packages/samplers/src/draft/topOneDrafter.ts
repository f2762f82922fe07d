import { checkInteger, type Draft, type LogitsProcessor, type StepView, type SyncDrafter } from '@dynamojs/core';
import { argmax } from '../classic/argmax.js';
import { checkLogits } from '../classic/checkLogits.js';
import { checkProcessor } from '../classic/classicProcessors.js';
import { applyProcessors, MutableProcessorContext } from '../classic/processorPipeline.js';
import { maxOf } from '../classic/softmax.js';
import { ensureFloat32 } from '../util/scratch.js';

export interface TopOneDrafterOptions {
  /**
   * Processors applied to each extra head's logits before its argmax (e.g. a repetition penalty or
   * a `perHead([...])`). They see `{ head: h, history: view.history, pending: [next, d_1, …, d_{h−1}] }`.
   */
  readonly processors?: LogitsProcessor;
  /** Draft at most this many tokens (default: every extra head; never more than view.maxTokens − 1). */
  readonly maxDraft?: number;
  /** Check each head's logits for NaN/Inf (DYNAMO_INVALID_LOGITS). Default true. */
  readonly check?: boolean;
}

/**
 * A core `Drafter` that drafts, after the base token `next`, the argmax of heads 1 … n−1
 * (head h predicts the token h positions after `next`'s position), optionally after processors.
 * The draft is deterministic (no `probability`/`distribution`): verify it with `greedyVerify`,
 * or with `speculativeVerify`, which then treats q as a point mass.
 *
 * When the processors mask every token of head h, the draft ends before it (defined fallback: a
 * shorter draft is always valid), instead of drafting an arbitrary token or throwing.
 *
 * The returned draft and its `tokens` are reused buffers (valid until the next `draft` call);
 * nothing is allocated per step once the head count is stable.
 */
export class TopOneDrafter implements SyncDrafter {
  readonly name = 'top-one';
  /** The `processors` option as a list (empty: none). */
  private readonly processors: readonly LogitsProcessor[];
  private readonly maxDraft: number;
  private readonly check: boolean;
  private readonly context = new MutableProcessorContext();
  private buffer = new Int32Array(0);
  private pendingViews: Int32Array[] = [];
  private tokenViews: Int32Array[] = [];
  private scratch: Float32Array | undefined;
  private readonly result: { tokens: Int32Array } = { tokens: new Int32Array(0) };

  constructor(options: TopOneDrafterOptions = {}) {
    this.processors = options.processors === undefined ? [] : [checkProcessor('processors', options.processors)];
    this.maxDraft =
      options.maxDraft === undefined
        ? Number.POSITIVE_INFINITY
        : checkInteger('maxDraft', options.maxDraft, { min: 0 });
    this.check = options.check ?? true;
  }

  draft(view: StepView, next: number): Draft {
    const m = Math.max(0, Math.min(view.heads - 1, view.maxTokens - 1, this.maxDraft));
    if (this.buffer.length < m + 1) {
      this.buffer = new Int32Array(m + 1);
      this.pendingViews = [];
      this.tokenViews = [];
    }
    const buf = this.buffer;
    buf[0] = next;
    for (let h = 1; h <= m; h++) {
      const raw = view.logits(h);
      if (this.check) checkLogits(raw, h, view.vocabSize);
      let row: Float32Array = raw;
      if (this.processors.length > 0) {
        this.scratch = ensureFloat32(this.scratch, raw.length);
        const context = this.context.set(h, view.history, this.cached(this.pendingViews, 0, h));
        row = applyProcessors(this.processors, raw, this.scratch, context);
      }
      if (maxOf(row) === Number.NEGATIVE_INFINITY) {
        // The processors masked every token of this head: end the draft here (a shorter draft is
        // always valid; verification then supplies the token).
        this.result.tokens = this.cached(this.tokenViews, 1, h - 1);
        return this.result;
      }
      buf[h] = argmax(row);
    }
    this.result.tokens = this.cached(this.tokenViews, 1, m);
    return this.result;
  }

  /** buffer[start..start + len) as a view created once and cached by length. */
  private cached(cache: Int32Array[], start: number, len: number): Int32Array {
    let v = cache[len];
    if (v === undefined) {
      v = this.buffer.subarray(start, start + len);
      cache[len] = v;
    }
    return v;
  }
}

/** Per-head argmax drafting; see {@link TopOneDrafter}. */
export function topOneDrafter(options?: TopOneDrafterOptions): TopOneDrafter {
  return new TopOneDrafter(options);
}
