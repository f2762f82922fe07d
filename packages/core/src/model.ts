import type { DraftHead } from './draftHead.js';
import type { KVCache } from './kvCache.js';
import type { TokenTree } from './tokenTree.js';

/** Ids of special tokens, when the model or tokenizer defines them. */
export interface SpecialTokenIds {
  readonly eos?: number;
  readonly bos?: number;
  readonly pad?: number;
}

/** Sampler defaults recommended by the model's author (the manifest's `decoding`). */
export interface DecodingDefaults {
  /** The DynaMo sampler preset the other DynaMo values belong to (e.g. 'calibrated', 'paper'). */
  readonly preset?: string;
  readonly topK?: number;
  readonly temperature?: number;
  readonly repetitionPenalty?: number;
  readonly epsilon?: number;
  readonly alpha?: number;
  readonly blur?: number;
  /** DynaMo: the extra heads' temperature in the joint (one, or one per extra head). */
  readonly headTemperature?: number | readonly number[];
  /** DynaMo: the context penalty on cells. */
  readonly contextPenalty?: number;
  /** DynaMo with a draft head (`dynamoChain`): the back-off threshold on the draft's top probability. */
  readonly minDraftProbability?: number;
  /** DynaMo with a draft head: the most tokens per pass. */
  readonly chainLength?: number;
  /** DynaMo with a draft head: the draft head's temperature relative to `temperature`. */
  readonly draftTemperatureRatio?: number;
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
  /**
   * Every token id that ends a generation, when the model names several (a hub export's
   * generation_config.json `eos_token_id` list, e.g. Llama 3's `[128001, 128008, 128009]`); generation
   * stops at any of them by default. Absent: `specialTokens.eos` alone.
   */
  readonly eosTokenIds?: readonly number[];
  /**
   * False when a row's logits depend on the other rows of its pass beyond float rounding (dynamic
   * activation quantization: a q8 `DynamicQuantizeLinear` graph scales by the whole pass's range),
   * so verifying several tokens in one pass is not exactly `ar`. Absent: assumed true.
   */
  readonly passInvariant?: boolean;
  /** Execution device actually in use (e.g. "cpu", "webgpu", "wasm", "cuda"), if known. */
  readonly device?: string;
  readonly decoding?: DecodingDefaults;
  /**
   * True when `forward` accepts any {@link TokenTree} (`ForwardOptions.tree`): the graph has tree
   * inputs, so one pass can score a tree of candidate tokens. Models without it accept only
   * chain-shaped trees and throw DYNAMO_UNSUPPORTED for any other tree.
   */
  readonly treeAttention?: boolean;
  /**
   * True when `forward` computes the extra heads' logits only at the rows a list in
   * `ForwardOptions.headPositions` names (the graph takes the rows as an input), so each row not
   * listed costs nothing. Without it a list still works: the model computes the smallest run of
   * trailing rows that covers it and returns the listed ones.
   */
  readonly headLogitsRows?: boolean;
  /**
   * The base model's hidden size when `ForwardResult.hidden` returns its final hidden states (the
   * graph has a `hidden_states` output); absent otherwise.
   */
  readonly hiddenSize?: number;
}

/**
 * Which new positions to return logits for:
 * - `'last'`: only the last new position (normal decoding);
 * - `'all'`: every new position (verification, perplexity);
 * - a number `k ≥ 1`: the last `k` new positions.
 *
 * With a {@link ForwardOptions.tree}, positions are the tree's nodes in node order: `'all'` is one
 * row per node (row i = node i), a number k the last k nodes, `'last'` the last node.
 */
export type PositionSelection = 'last' | 'all' | number;

/**
 * Which new positions to return the extra heads' logits for: a {@link PositionSelection},
 * `'none'`, or an explicit list of node indices (positions among the new tokens, 0-based; with a
 * tree, node indices), strictly increasing, each in `[0, newTokens.length)` (see
 * `checkHeadRows`). An empty list is the same as `'none'`.
 */
export type HeadPositionSelection = PositionSelection | 'none' | ArrayLike<number>;

export interface ForwardOptions {
  /** Positions to return head 0 (base) logits for. Default `'last'`. */
  readonly positions?: PositionSelection;
  /**
   * Positions to return the extra heads' logits for. Default: the same as `positions`.
   * `'none'` (or an empty list) skips them (cheaper when only the base head is needed). A list of
   * node indices (strictly increasing, each in `[0, newTokens.length)`) returns exactly those rows,
   * in that order: e.g. the nodes of a tree pass that a verifier may accept, so the extra heads'
   * unembedding runs for them only (`metadata.headLogitsRows`; on models without it the smallest
   * run of trailing rows that covers the list is computed and the listed rows are returned, so the
   * result is the same). Errors: DYNAMO_INVALID_OPTION naming the first bad entry (not an
   * integer, out of range, a duplicate, or out of order).
   */
  readonly headPositions?: HeadPositionSelection;
  /**
   * The new tokens as a tree of candidates instead of a chain (`parents.length` must equal the
   * number of new tokens). Node i is run at position `cache.length + depth(i)` and sees the cache,
   * its ancestors and itself only, so its logits equal those of a chain pass over its root-to-node
   * path. Every node's keys and values are appended to the cache in node order; afterwards
   * {@link KVCache.compact} keeps the accepted path. Any tree needs `metadata.treeAttention`;
   * chain-shaped trees work on every model. Errors: DYNAMO_INVALID_OPTION for a malformed tree
   * (naming the index), DYNAMO_UNSUPPORTED for a non-chain tree on a model without tree inputs.
   */
  readonly tree?: TokenTree;
  /** Abort before the pass starts (a running pass is not interrupted). */
  readonly signal?: AbortSignal;
}

/**
 * The logits of one forward pass. Rows are views into the runtime's output buffers: valid until
 * the next `forward` on the same cache or until the model is disposed. Copy (`.slice()`) a row
 * to keep it longer. Do not write to the rows.
 */
export interface ForwardResult {
  /** Number of heads with logits in this result (1 when `headPositions` was `'none'` or an empty list). */
  readonly heads: number;
  /** Number of positions returned for head 0. */
  readonly positionCount: number;
  /** Number of positions returned for heads ≥ 1 (0 when skipped). */
  readonly headPositionCount: number;
  /**
   * The node index (position among the new tokens, 0-based) of each returned extra-head row:
   * `headRows[i]` is the node whose logits `logits(h, i)` returns for every head h ≥ 1. Length
   * `headPositionCount`, increasing. For `'last'` it is `[S - 1]`, for a count k
   * `[S - k, …, S - 1]`, for `'all'` `[0, …, S - 1]`, for a list the list itself (S = number of new
   * tokens). Valid as long as the logits rows are. Implementations that leave it out return the
   * last `headPositionCount` rows (`headRowIndex` handles both).
   */
  readonly headRows?: ArrayLike<number>;
  /**
   * The logits row of `head` at returned position `index`, which counts the rows returned for that
   * head (default: the last one):
   * - head 0: row `index` of the last `positionCount` new positions (`'all'`: index = node index;
   *   `'last'`: index 0 = the last node; a count k: index 0 = node S - k);
   * - heads ≥ 1: row `index` of `headRows` — for `'all'` index = node index, for `'last'` index 0
   *   = the last node, for a count k index 0 = node S - k, for a list `[n0, n1, …]` index i =
   *   node n_i (use `headRowIndex(result, node, S)` to find the index of a node).
   *
   * Length = vocabSize. Errors: DYNAMO_INVALID_OPTION for a head or index out of range.
   */
  logits(head: number, index?: number): Float32Array;
  /**
   * The base model's final hidden state (after the final norm, what its unembedding reads) at
   * returned head-0 position `index` (same rows as `logits(0, index)`; default the last), length
   * `metadata.hiddenSize`. Present only when the model has hidden-state outputs
   * (`metadata.hiddenSize`); the input of a {@link DraftHead}. Same lifetime as the logits rows.
   */
  hidden?(index?: number): Float32Array;
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
   * Runs `newTokens` (one chunk of length ≥ 1, or the nodes of `options.tree`) after the cache's
   * contents, appends their keys and values to the cache, and returns logits for the positions
   * asked. Errors: DYNAMO_INVALID_OPTION, DYNAMO_UNSUPPORTED (a tree the model cannot run),
   * DYNAMO_TOKEN_OUT_OF_RANGE, DYNAMO_CONTEXT_OVERFLOW, DYNAMO_CACHE_STATE, DYNAMO_DISPOSED,
   * DYNAMO_ABORTED, DYNAMO_RUNTIME.
   */
  forward(newTokens: ArrayLike<number>, cache: KVCache, options?: ForwardOptions): Promise<ForwardResult>;
  /**
   * The model's sequential draft head, when it has one (loaded with it): continues the base from
   * `ForwardResult.hidden` one drawn token at a time. Disposed with the model.
   */
  readonly draftHead?: DraftHead;
  /** Releases the runtime session(s). Caches created by this model become unusable. */
  dispose(): Promise<void>;
}
