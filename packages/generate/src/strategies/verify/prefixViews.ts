/**
 * Prefix views of a buffer that grows: `of(buffer, n)` is `buffer.subarray(0, n)`, made once per
 * length (again after the buffer was replaced), so a pass hands out views without allocating.
 */
export class PrefixViews {
  private readonly views: Int32Array[] = [];

  of(buffer: Int32Array, n: number): Int32Array {
    let v = this.views[n];
    if (v === undefined || v.buffer !== buffer.buffer) {
      v = buffer.subarray(0, n);
      this.views[n] = v;
    }
    return v;
  }
}
