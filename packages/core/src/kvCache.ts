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
  /** Releases the tensors (device memory on WebGPU/CUDA). Idempotent. */
  dispose(): void;
}
