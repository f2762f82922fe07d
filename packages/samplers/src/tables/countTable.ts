/**
 * An open-addressing hash table from n-gram keys (non-negative integers < 2^53) to counts, in
 * typed arrays: 12 bytes per slot, load ≤ 0.7, no per-entry objects — the builder's memory is
 * bounded by its entry cap, not by Map overhead. Internal to the n-gram table builder.
 */
const EMPTY = 0; // counts[slot] = 0 marks an empty slot (stored counts are ≥ 1)
const TWO_32 = 4294967296;

export class CountTable {
  keys: Float64Array;
  counts: Uint32Array;
  size = 0;
  private mask: number;

  constructor(capacity = 1 << 12) {
    let c = 16;
    while (c < capacity) c <<= 1;
    this.keys = new Float64Array(c);
    this.counts = new Uint32Array(c);
    this.mask = c - 1;
  }

  get capacity(): number {
    return this.counts.length;
  }

  private slotOf(key: number): number {
    const hi = Math.floor(key / TWO_32);
    const lo = key - hi * TWO_32;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }

  /** Adds one to `key`'s count (inserting it at 1). */
  increment(key: number): void {
    const keys = this.keys;
    const counts = this.counts;
    const mask = this.mask;
    let s = this.slotOf(key);
    for (;;) {
      const c = counts[s] as number;
      if (c === EMPTY) {
        keys[s] = key;
        counts[s] = 1;
        if (++this.size > this.counts.length * 0.7) this.resize(this.counts.length * 2);
        return;
      }
      if (keys[s] === key) {
        if (c < 0xffffffff) counts[s] = c + 1;
        return;
      }
      s = (s + 1) & mask;
    }
  }

  /** The count of `key` (0 when absent). */
  get(key: number): number {
    const keys = this.keys;
    const counts = this.counts;
    let s = this.slotOf(key);
    for (;;) {
      const c = counts[s] as number;
      if (c === EMPTY) return 0;
      if (keys[s] === key) return c;
      s = (s + 1) & this.mask;
    }
  }

  /** Drops every entry whose count is ≤ `floor` (rehashing the rest). */
  prune(floor: number): void {
    this.rebuild(this.counts.length, floor);
  }

  private resize(capacity: number): void {
    this.rebuild(capacity, 0);
  }

  private rebuild(capacity: number, floor: number): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    this.keys = new Float64Array(capacity);
    this.counts = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < oldCounts.length; i++) {
      const c = oldCounts[i] as number;
      if (c > floor) {
        const key = oldKeys[i] as number;
        let s = this.slotOf(key);
        while (this.counts[s] !== EMPTY) s = (s + 1) & this.mask;
        this.keys[s] = key;
        this.counts[s] = c;
        this.size++;
      }
    }
  }

  /** Keys with count ≥ minCount, sorted ascending, and their counts. */
  sortedEntries(minCount: number): { keys: Float64Array; counts: Float64Array } {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) if ((this.counts[i] as number) >= minCount) n++;
    const keys = new Float64Array(n);
    let j = 0;
    for (let i = 0; i < this.counts.length; i++)
      if ((this.counts[i] as number) >= minCount) keys[j++] = this.keys[i] as number;
    keys.sort();
    const counts = new Float64Array(n);
    for (let k = 0; k < n; k++) counts[k] = this.get(keys[k] as number);
    return { keys, counts };
  }
}
