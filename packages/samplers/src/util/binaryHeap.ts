/**
 * A binary min-heap of indices into a values array under the total order "larger value first,
 * then lower index first" (the heap's root is the worst kept entry). Shared by the top-k
 * selections; no allocation.
 */

/** True when entry (va, ia) ranks below (vb, ib): smaller value, or equal value and higher index. */
export function worse(va: number, ia: number, vb: number, ib: number): boolean {
  return va < vb || (va === vb && ia > ib);
}

export function siftDown(values: ArrayLike<number>, heap: Int32Array, size: number, start: number): void {
  let i = start;
  const item = heap[i] as number;
  const iv = values[item] as number;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    let cItem = heap[l] as number;
    let cv = values[cItem] as number;
    const r = l + 1;
    if (r < size) {
      const rItem = heap[r] as number;
      const rv = values[rItem] as number;
      if (worse(rv, rItem, cv, cItem)) {
        c = r;
        cItem = rItem;
        cv = rv;
      }
    }
    if (!worse(cv, cItem, iv, item)) break;
    heap[i] = cItem;
    i = c;
  }
  heap[i] = item;
}

export function siftUp(values: ArrayLike<number>, heap: Int32Array, start: number): void {
  let i = start;
  const item = heap[i] as number;
  const iv = values[item] as number;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const pItem = heap[p] as number;
    if (!worse(iv, item, values[pItem] as number, pItem)) break;
    heap[i] = pItem;
    i = p;
  }
  heap[i] = item;
}
