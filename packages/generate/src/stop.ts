/**
 * Finds stop strings in text that grows at its end, and tells how much of the text can be
 * released (the longest suffix that could still become a stop string is held back).
 */
export class StopMatcher {
  readonly stops: readonly string[];
  private readonly maxLength: number;

  constructor(stops: readonly string[]) {
    this.stops = stops;
    this.maxLength = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  get active(): boolean {
    return this.stops.length > 0;
  }

  /**
   * The earliest stop-string match in `text` that ends after `checkedLength` (text before that was
   * already searched), or undefined.
   */
  find(text: string, checkedLength: number): { index: number; stop: string } | undefined {
    const from = Math.max(0, checkedLength - this.maxLength + 1);
    let best: { index: number; stop: string } | undefined;
    for (const stop of this.stops) {
      const i = text.indexOf(stop, from);
      if (i >= 0 && (best === undefined || i < best.index)) best = { index: i, stop };
    }
    return best;
  }

  /** Length of the longest proper prefix of a stop string that `text` ends with. */
  heldBack(text: string): number {
    const max = Math.min(this.maxLength - 1, text.length);
    for (let k = max; k > 0; k--) {
      for (const stop of this.stops) {
        if (stop.length > k && text.endsWith(stop.slice(0, k))) return k;
      }
    }
    return 0;
  }
}
