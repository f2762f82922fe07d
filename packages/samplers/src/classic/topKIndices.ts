/**
 * Partial selection shared by the processors (and available to other samplers): the `k` best
 * entries of a row under the total order "larger value first, then lower index first", in
 * O(n log k) with a binary heap kept in the caller's `out` buffer. No allocation.
 */

import { siftDown, siftUp } from '../util/binaryHeap.js';

/**
 * Fills `out[0..count)` with the indices of the `k` best entries of `values` (entries equal to
 * `-Infinity` or NaN are never selected) and returns `count = min(k, selectable entries)`.
 *
 * With `sorted` (default true) the indices come best first; with `sorted = false` they are left
 * in heap order with the *worst* selected entry at `out[0]` (cheaper when only the cut-off
 * matters). `out.length` must be ≥ k.
 */
export function topKIndices(values: ArrayLike<number>, k: number, out: Int32Array, sorted = true): number {
  if (k > out.length) throw new RangeError(`topKIndices: out has length ${out.length} < k = ${k}.`);
  const size = heapSelect(values, k, out);
  if (sorted) heapSortInPlace(values, out, size);
  return size;
}

/** Builds the k-best min-heap in `out` (worst at out[0]); returns its size. */
function heapSelect(values: ArrayLike<number>, k: number, out: Int32Array): number {
  const n = values.length;
  let size = 0;
  let i = 0;
  for (; i < n && size < k; i++) {
    const v = values[i] as number;
    if (!(v > Number.NEGATIVE_INFINITY)) continue;
    out[size] = i;
    siftUp(values, out, size);
    size++;
  }
  if (size < k || k === 0) return size;
  // Full heap: (v, i) beats the worst kept only when v > root (i is larger than every kept index).
  // Blocks of 8 are compared against the root in one chain: most blocks hold no candidate.
  let root = values[out[0] as number] as number;
  for (; i + 8 <= n; i += 8) {
    if (
      !(
        (values[i] as number) > root ||
        (values[i + 1] as number) > root ||
        (values[i + 2] as number) > root ||
        (values[i + 3] as number) > root ||
        (values[i + 4] as number) > root ||
        (values[i + 5] as number) > root ||
        (values[i + 6] as number) > root ||
        (values[i + 7] as number) > root
      )
    ) {
      continue;
    }
    for (let j = i; j < i + 8; j++) {
      if ((values[j] as number) > root) {
        out[0] = j;
        siftDown(values, out, size, 0);
        root = values[out[0] as number] as number;
      }
    }
  }
  for (; i < n; i++) {
    if ((values[i] as number) > root) {
      out[0] = i;
      siftDown(values, out, size, 0);
      root = values[out[0] as number] as number;
    }
  }
  return size;
}

/** Heap sort in place: repeatedly moves the worst to the end of the shrinking heap (best first). */
function heapSortInPlace(values: ArrayLike<number>, out: Int32Array, size: number): void {
  for (let end = size - 1; end > 0; end--) {
    const worst = out[0] as number;
    out[0] = out[end] as number;
    out[end] = worst;
    siftDown(values, out, end, 0);
  }
}
