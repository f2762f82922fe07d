import type { KVCache } from '@dynamojs/core';

/**
 * Cuts the cache after a verification pass to its prefix and the accepted path: a trim when the
 * path is a prefix of the chunk (a chain, or a tree's first nodes), else a compaction that keeps
 * the path's positions. Owns the positions list it hands to `compact`.
 */
export class CacheCompaction {
  private keep = new Int32Array(0);

  /**
   * `cacheBefore`: the cache length before the pass; `path`: the accepted chunk nodes, node 0
   * first (the first `pathLength`).
   */
  keepPath(cache: KVCache, cacheBefore: number, path: ArrayLike<number>, pathLength: number): void {
    let prefix = true;
    for (let i = 0; i < pathLength; i++) if (path[i] !== i) prefix = false;
    if (prefix) {
      cache.trim(cacheBefore + pathLength);
      return;
    }
    const total = cacheBefore + pathLength;
    if (this.keep.length < total) this.keep = new Int32Array(Math.max(total, this.keep.length * 2));
    const keep = this.keep;
    for (let i = 0; i < cacheBefore; i++) keep[i] = i;
    for (let i = 0; i < pathLength; i++) keep[cacheBefore + i] = cacheBefore + (path[i] as number);
    cache.compact(keep.subarray(0, total));
  }
}
