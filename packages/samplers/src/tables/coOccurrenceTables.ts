import type { CoOccurrenceHeader, IdArray, ValueArray } from './tablesFormat.js';

/**
 * Loaded co-occurrence tables: typed-array views over the file's buffer (no copy) plus the
 * look-ups the sampler needs. Build with {@link loadCoOccurrenceTables}.
 */
export class CoOccurrenceTables {
  readonly header: CoOccurrenceHeader;
  readonly vocabSize: number;
  /** The highest order available (an order-3 file loaded with maxOrder 2 reports 2). */
  readonly order: 2 | 3;
  readonly unigrams: Uint32Array;
  readonly bigramOffsets: Uint32Array;
  readonly bigramIds: IdArray;
  readonly bigramValues: ValueArray;
  readonly trigramOffsets: Uint32Array | undefined;
  readonly trigramIds: IdArray | undefined;
  readonly trigramValues: ValueArray | undefined;

  /** @internal use {@link loadCoOccurrenceTables}. */
  constructor(
    header: CoOccurrenceHeader,
    order: 2 | 3,
    arrays: {
      unigrams: Uint32Array;
      bigramOffsets: Uint32Array;
      bigramIds: IdArray;
      bigramValues: ValueArray;
      trigramOffsets?: Uint32Array;
      trigramIds?: IdArray;
      trigramValues?: ValueArray;
    },
  ) {
    this.header = header;
    this.vocabSize = header.vocabSize;
    this.order = order;
    this.unigrams = arrays.unigrams;
    this.bigramOffsets = arrays.bigramOffsets;
    this.bigramIds = arrays.bigramIds;
    this.bigramValues = arrays.bigramValues;
    this.trigramOffsets = arrays.trigramOffsets;
    this.trigramIds = arrays.trigramIds;
    this.trigramValues = arrays.trigramValues;
  }

  /** Index of bigram entry (a, b), or -1 when the pair was never seen (binary search in row a). */
  findBigram(a: number, b: number): number {
    if (!(a >= 0 && a < this.vocabSize)) return -1;
    return binarySearch(this.bigramIds, this.bigramOffsets[a] as number, this.bigramOffsets[a + 1] as number, b);
  }

  /** Index of trigram entry (a, b, c) given bigram entry e = (a, b), or -1 when never seen. */
  findTrigramOfEntry(e: number, c: number): number {
    const offsets = this.trigramOffsets;
    if (offsets === undefined || !this.trigramIds || e < 0 || e >= this.bigramIds.length) return -1;
    return binarySearch(this.trigramIds, offsets[e] as number, offsets[e + 1] as number, c);
  }

  /** Index of trigram entry (a, b, c), or -1. */
  findTrigram(a: number, b: number, c: number): number {
    const e = this.findBigram(a, b);
    return e < 0 ? -1 : this.findTrigramOfEntry(e, c);
  }

  /**
   * log PMI of bigram entry e: log[ p^(a,b) / (p^(a) p^(b)) ], from counts or the quantised value.
   * `a` is needed for count tables (the entry stores only b).
   */
  bigramLogPmi(a: number, e: number): number {
    const h = this.header;
    const v = this.bigramValues[e] as number;
    if (h.valueKind !== 'count') return h.bigramOffset + h.bigramScale * v;
    const b = this.bigramIds[e] as number;
    return countLogPmi(v, h.bigramTotal, h.tokens, h.smoothing, this.unigrams, a, b, -1);
  }

  /** log PMI of trigram entry t (of bigram entry (a, b)): log[ p^(a,b,c) / (p^(a) p^(b) p^(c)) ]. */
  trigramLogPmi(a: number, b: number, t: number): number {
    const h = this.header;
    const v = (this.trigramValues as ValueArray)[t] as number;
    if (h.valueKind !== 'count') return h.trigramOffset + h.trigramScale * v;
    const c = (this.trigramIds as IdArray)[t] as number;
    return countLogPmi(v, h.trigramTotal, h.tokens, h.smoothing, this.unigrams, a, b, c);
  }

  /** log PMI of an n-gram (2 or 3 ids), or -Infinity when it was never seen (masked). */
  logPmi(ids: ArrayLike<number>): number {
    const a = ids[0] as number;
    const b = ids[1] as number;
    const e = this.findBigram(a, b);
    if (e < 0) return Number.NEGATIVE_INFINITY;
    if (ids.length === 2) return this.bigramLogPmi(a, e);
    const t = this.findTrigramOfEntry(e, ids[2] as number);
    return t < 0 ? Number.NEGATIVE_INFINITY : this.trigramLogPmi(a, b, t);
  }

  /** Bytes of the sections currently loaded. */
  get byteLength(): number {
    let n = this.unigrams.byteLength + this.bigramOffsets.byteLength + this.bigramIds.byteLength;
    n += this.bigramValues.byteLength;
    n += (this.trigramOffsets?.byteLength ?? 0) + (this.trigramIds?.byteLength ?? 0);
    return n + (this.trigramValues?.byteLength ?? 0);
  }
}

/** log PMI from counts: log( (c / N_n) / prod((c_i + s) / (N1 + sV)) ). */
export function countLogPmi(
  count: number,
  total: number,
  tokens: number,
  smoothing: number,
  unigrams: Uint32Array,
  a: number,
  b: number,
  c: number,
): number {
  const denominator = tokens + smoothing * unigrams.length;
  if (count <= 0 || total <= 0 || denominator <= 0) return Number.NEGATIVE_INFINITY;
  let lp = Math.log(count / total);
  const ua = ((unigrams[a] as number) + smoothing) / denominator;
  const ub = ((unigrams[b] as number) + smoothing) / denominator;
  lp -= Math.log(ua) + Math.log(ub);
  if (c >= 0) lp -= Math.log(((unigrams[c] as number) + smoothing) / denominator);
  // A zero unigram count (inconsistent file) would give +Infinity: treat as unseen.
  return Number.isFinite(lp) ? lp : Number.NEGATIVE_INFINITY;
}

/** First index in [lo, hi) whose id equals `key`, or -1 (ids sorted ascending in the range). */
export function binarySearch(ids: IdArray, lo: number, hi: number, key: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = ids[mid] as number;
    if (v < key) lo = mid + 1;
    else if (v > key) hi = mid;
    else return mid;
  }
  return -1;
}
