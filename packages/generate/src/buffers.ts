/** A growing Int32Array (capacity doubling) with a cached view of its filled part. */
export class TokenBuffer {
  data: Int32Array;
  length = 0;
  private cachedView: Int32Array | undefined;

  constructor(capacity = 64) {
    this.data = new Int32Array(Math.max(1, capacity));
  }

  push(id: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = id;
    this.cachedView = undefined;
  }

  pushAll(ids: ArrayLike<number>): void {
    const n = ids.length;
    if (this.length + n > this.data.length) this.grow(this.length + n);
    for (let i = 0; i < n; i++) this.data[this.length + i] = ids[i] as number;
    this.length += n;
    this.cachedView = undefined;
  }

  truncate(length: number): void {
    if (length < this.length) {
      this.length = length;
      this.cachedView = undefined;
    }
  }

  /** The filled part, as a view (re-created only after the length changed). */
  view(): Int32Array {
    if (this.cachedView === undefined) this.cachedView = this.data.subarray(0, this.length);
    return this.cachedView;
  }

  toArray(from = 0): number[] {
    return Array.from(this.data.subarray(from, this.length));
  }

  private grow(min: number): void {
    let cap = this.data.length * 2;
    while (cap < min) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}
