/** Context a logits processor may use. */
export interface ProcessorContext {
  /** Which head these logits belong to (0 = base). */
  readonly head: number;
  /** Every token so far (prompt + generated). */
  readonly history: Int32Array;
  /** Tokens already chosen in this step before this head's position (for heads ≥ 1). */
  readonly pending?: ArrayLike<number>;
}

/**
 * Transforms one head's logits in place (temperature, top-k, repetition penalty, ...).
 * The array passed is the sampler's own scratch copy, never the runtime's buffer.
 * Masked-out entries are set to -Infinity.
 */
export interface LogitsProcessor {
  readonly name: string;
  process(logits: Float32Array, context: ProcessorContext): void;
}
