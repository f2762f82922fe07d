import type { LogitsProcessor, ProcessorContext } from '@dynamojs/core';
import { EMPTY_TOKENS, ensureFloat32 } from '../util/scratch.js';

/**
 * Several processors run in order as one. A pipeline is itself a `LogitsProcessor`, so pipelines
 * nest and per-head pipelines ({@link perHead}) compose from them.
 *
 * `apply(row, context)` copies a read-only row (e.g. `view.logits(h)`) into the pipeline's own
 * scratch buffer, runs the processors on the copy and returns it (valid until the next `apply`).
 */
export class ProcessorPipeline implements LogitsProcessor {
  readonly name: string;
  readonly processors: readonly LogitsProcessor[];
  private scratch: Float32Array | undefined;

  constructor(processors: readonly (LogitsProcessor | null | undefined | false)[]) {
    this.processors = processors.filter((p): p is LogitsProcessor => !!p);
    this.name = `pipeline(${this.processors.map((p) => p.name).join(', ')})`;
  }

  get length(): number {
    return this.processors.length;
  }

  process(logits: Float32Array, context: ProcessorContext): void {
    const ps = this.processors;
    for (let i = 0; i < ps.length; i++) (ps[i] as LogitsProcessor).process(logits, context);
  }

  /**
   * Copies `row` into `out` (default: the pipeline's own scratch), processes the copy and returns
   * it ({@link applyProcessors}). No allocation after the first call.
   */
  apply(row: ArrayLike<number>, context: ProcessorContext, out?: Float32Array): Float32Array {
    return applyProcessors(
      this.processors,
      row,
      out ?? (this.scratch = ensureFloat32(this.scratch, row.length)),
      context,
    );
  }
}

/**
 * Processed logits from a read-only row: copies `row` into `out` (same length) and runs
 * `processors` on the copy, in order, with `context`; returns `out`. The one copy-then-process
 * kernel of the samplers, drafters, the DynaMo sampler and generation's step view. No allocation.
 */
export function applyProcessors(
  processors: readonly LogitsProcessor[],
  row: ArrayLike<number>,
  out: Float32Array,
  context: ProcessorContext,
): Float32Array {
  out.set(row);
  for (let i = 0; i < processors.length; i++) (processors[i] as LogitsProcessor).process(out, context);
  return out;
}

/**
 * A pipeline of processors, run in the order given. Falsy entries are skipped, so optional stages
 * read naturally: `pipeline(penalty !== 1 && repetitionPenalty(penalty), temperature(0.7), topK(50))`.
 */
export function pipeline(...processors: (LogitsProcessor | null | undefined | false)[]): ProcessorPipeline {
  return new ProcessorPipeline(processors);
}

/**
 * Different processing per head, as one processor that dispatches on `context.head`: head h runs
 * `byHead[h]`; heads past the end of the list run the last entry. A `null` entry leaves that
 * head's logits untouched. E.g. `perHead([pipeline(repetitionPenalty(1.1)), pipeline(temperature(0.7), topK(50))])`
 * penalises the base head and samples the extra heads at temperature 0.7 / top-50.
 */
export class PerHeadProcessor implements LogitsProcessor {
  readonly name: string;
  readonly byHead: readonly (LogitsProcessor | null)[];

  constructor(byHead: readonly (LogitsProcessor | null | undefined)[]) {
    this.byHead = byHead.map((p) => p ?? null);
    this.name = `perHead(${this.byHead.map((p) => (p === null ? 'none' : p.name)).join('; ')})`;
  }

  /** The processor head `head` runs (null: none). */
  forHead(head: number): LogitsProcessor | null {
    const list = this.byHead;
    if (list.length === 0) return null;
    return list[Math.min(head, list.length - 1)] ?? null;
  }

  process(logits: Float32Array, context: ProcessorContext): void {
    this.forHead(context.head)?.process(logits, context);
  }
}

/** Per-head processing; see {@link PerHeadProcessor}. */
export function perHead(byHead: readonly (LogitsProcessor | null | undefined)[]): PerHeadProcessor {
  return new PerHeadProcessor(byHead);
}

/**
 * A mutable {@link ProcessorContext} that samplers reuse step after step instead of allocating a
 * context object per head per step.
 */
export class MutableProcessorContext implements ProcessorContext {
  head = 0;
  history: Int32Array = EMPTY_TOKENS;
  pending: ArrayLike<number> | undefined = undefined;

  set(head: number, history: Int32Array, pending?: ArrayLike<number>): this {
    this.head = head;
    this.history = history;
    this.pending = pending;
    return this;
  }
}
