/**
 * A model's key/value cache for one sequence: every decoder layer's keys and values, the extra
 * heads' layers included. Created by {@link MultiTokenModel.createCache}, owned by the caller.
 *
 * A cache belongs to the model that created it; two generations on one model use two caches.
 */
export interface KVCache {
  /** Number of tokens whose keys and values are held. */
  readonly length: number;
  /** True once disposed; a disposed cache cannot be used again. */
  readonly disposed: boolean;
  /**
   * Forgets every position at or after `length` (rollback after rejected drafts).
   * `length` must be an integer in [0, this.length]; otherwise DYNAMO_CACHE_STATE.
   */
  trim(length: number): void;
  /**
   * Keeps only the listed absolute positions, in that order, and drops the rest: afterwards
   * `length === keep.length` and kept entry i sits at position i. `keep` must be strictly
   * increasing integers in [0, length); otherwise DYNAMO_CACHE_STATE (naming the index). Also
   * DYNAMO_CACHE_STATE while a forward pass is running on the cache.
   *
   * Typical use after a tree pass (`ForwardOptions.tree`) over a cache of length P: keep
   * `[0, 1, …, P - 1, P + i1, P + i2, …]`, the accepted root-to-node path `i1, i2, …` (see
   * `treePath`). That is correct because a tree node's keys were computed at the position of its
   * depth, and an accepted path is a chain of depths 0, 1, 2, …
   *
   * A prefix (`keep[i] === i`) is exactly `trim(keep.length)`. Implementations may apply the
   * change lazily, fused with pending trims, at the next forward pass.
   */
  compact(keep: ArrayLike<number>): void;
  /** Releases the tensors (device memory on WebGPU/CUDA). Idempotent. */
  dispose(): void;
}
