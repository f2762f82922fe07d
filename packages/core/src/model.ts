import type { KVCache } from './kvCache.js';

/** Ids of special tokens, when the model or tokenizer defines them. */
export interface SpecialTokenIds {
  readonly eos?: number;
  readonly bos?: number;
  readonly pad?: number;
}

/** Sampler defaults recommended by the model's author (the manifest's `decoding`). */
export interface DecodingDefaults {
  readonly topK?: number;
  readonly temperature?: number;
  readonly repetitionPenalty?: number;
  readonly epsilon?: number;
  readonly alpha?: number;
  readonly blur?: number;
}

/** What a caller needs to know about a model before running it. */
export interface ModelMetadata {
  /** Human-readable model name. */
  readonly name: string;
  /**
   * Token heads: 1 for a plain autoregressive model, 3 for DynaMo-T3. Head 0 predicts the next
   * token (it is the base model); head h predicts the token h positions after it.
   */
  readonly heads: number;
  readonly vocabSize: number;
  /** Maximum number of positions (prompt + generated) the model can attend over. */
  readonly contextLength: number;
  readonly specialTokens: SpecialTokenIds;
  /** Execution device actually in use (e.g. "cpu", "webgpu", "wasm", "cuda"), if known. */
  readonly device?: string;
  readonly decoding?: DecodingDefaults;
}

/**
 * Which new positions to return logits for:
 * - `'last'`: only the last new position (normal decoding);
 * - `'all'`: every new position (verification, perplexity);
 * - a number `k ≥ 1`: the last `k` new positions.
 */
export type PositionSelection = 'last' | 'all' | number;

export interface ForwardOptions {
  /** Positions to return head 0 (base) logits for. Default `'last'`. */
  readonly positions?: PositionSelection;
  /**
   * Positions to return the extra heads' logits for. Default: the same as `positions`.
   * `'none'` skips them (cheaper when only the base head is needed).
   */
  readonly headPositions?: PositionSelection | 'none';
  /** Abort before the pass starts (a running pass is not interrupted). */
  readonly signal?: AbortSignal;
}

/**
 * The logits of one forward pass. Rows are views into the runtime's output buffers: valid until
 * the next `forward` on the same cache or until the model is disposed. Copy (`.slice()`) a row
 * to keep it longer. Do not write to the rows.
 */
export interface ForwardResult {
  /** Number of heads with logits in this result (1 when `headPositions` was `'none'`). */
  readonly heads: number;
  /** Number of positions returned for head 0. */
  readonly positionCount: number;
  /** Number of positions returned for heads ≥ 1 (0 when skipped). */
  readonly headPositionCount: number;
  /**
   * The logits row of `head` at returned position `index` (0 = earliest returned position;
   * default: the last one). Length = vocabSize.
   */
  logits(head: number, index?: number): Float32Array;
}

/**
 * A decoder with one or more token heads, run one chunk of new tokens at a time over a KV cache.
 * Implemented by `@dynamojs/onnx`; any object with this shape works (tests use pure-JS models).
 */
export interface MultiTokenModel {
  readonly metadata: ModelMetadata;
  /** A new, empty cache for one sequence. */
  createCache(): KVCache;
  /**
   * Runs `newTokens` (one chunk of length ≥ 1) after the cache's contents, appends their keys and
   * values to the cache, and returns logits for the positions asked.
   * Errors: DYNAMO_TOKEN_OUT_OF_RANGE, DYNAMO_CONTEXT_OVERFLOW, DYNAMO_CACHE_STATE,
   * DYNAMO_DISPOSED, DYNAMO_ABORTED, DYNAMO_RUNTIME.
   */
  forward(newTokens: ArrayLike<number>, cache: KVCache, options?: ForwardOptions): Promise<ForwardResult>;
  /** Releases the runtime session(s). Caches created by this model become unusable. */
  dispose(): Promise<void>;
}
