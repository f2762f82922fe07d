import type { CoOccurrenceTables } from '../tables/coOccurrenceTables.js';
import type { HeadTopK } from './headTopK.js';
import { compactCells, type JointCells } from './jointCells.js';

/**
 * Co-occurrence weights w = [p^(x_1..x_n) / (p^(x_1)···p^(x_n))]^alpha of the n-grams stored in
 * the tables, precomputed per (tables, alpha): a look-up table per quantisation level for
 * log-PMI tables, inverse unigram probabilities for count tables. Unseen n-grams have no entry:
 * their weight is 0 (the mask).
 */
export class CoOccurrenceWeights {
  readonly tables: CoOccurrenceTables;
  readonly alpha: number;
  /** exp(alpha · logPMI) per quantisation level (log-PMI tables). */
  readonly bigramLut: Float64Array | undefined;
  readonly trigramLut: Float64Array | undefined;
  /** 1 / p^(token) (count tables). */
  readonly inverseUnigram: Float64Array | undefined;
  private matchY = new Int32Array(0);
  private matchR = new Int32Array(0);

  /** Scratch for one pair's trigram matches (at most k), reused every step. */
  scratchY(k: number): Int32Array {
    if (this.matchY.length < k) this.matchY = new Int32Array(k);
    return this.matchY;
  }

  scratchR(k: number): Int32Array {
    if (this.matchR.length < k) this.matchR = new Int32Array(k);
    return this.matchR;
  }

  constructor(tables: CoOccurrenceTables, alpha: number) {
    this.tables = tables;
    this.alpha = alpha;
    const h = tables.header;
    if (h.valueKind === 'count') {
      const V = tables.vocabSize;
      const inv = new Float64Array(V);
      const denominator = h.tokens + h.smoothing * V;
      for (let t = 0; t < V; t++) {
        const u = (tables.unigrams[t] as number) + h.smoothing;
        inv[t] = u > 0 ? denominator / u : 0;
      }
      this.inverseUnigram = inv;
    } else {
      const levels = h.valueKind === 'logpmi16' ? 65536 : 256;
      const bi = new Float64Array(levels);
      const tri = new Float64Array(levels);
      for (let q = 0; q < levels; q++) {
        bi[q] = Math.exp(alpha * (h.bigramOffset + h.bigramScale * q));
        tri[q] = Math.exp(alpha * (h.trigramOffset + h.trigramScale * q));
      }
      this.bigramLut = bi;
      this.trigramLut = tri;
    }
  }

  /** Weight of bigram entry e (first token a). */
  bigram(a: number, e: number): number {
    const t = this.tables;
    const v = t.bigramValues[e] as number;
    if (this.bigramLut !== undefined) return this.bigramLut[v] as number;
    const iu = this.inverseUnigram as Float64Array;
    const b = t.bigramIds[e] as number;
    const ratio = (v / t.header.bigramTotal) * (iu[a] as number) * (iu[b] as number);
    return this.alpha === 1 ? ratio : ratio ** this.alpha;
  }

  /** Weight of trigram entry x of bigram (a, b). */
  trigram(a: number, b: number, x: number): number {
    const t = this.tables;
    const v = (t.trigramValues as ArrayLike<number>)[x] as number;
    if (this.trigramLut !== undefined) return this.trigramLut[v] as number;
    const iu = this.inverseUnigram as Float64Array;
    const c = (t.trigramIds as ArrayLike<number>)[x] as number;
    const ratio = (v / t.header.trigramTotal) * (iu[a] as number) * (iu[b] as number) * (iu[c] as number);
    return this.alpha === 1 ? ratio : ratio ** this.alpha;
  }

  /** Weight of an n-gram by look-up (0 when unseen). Slow path for tests and drafts. */
  weightOf(ids: ArrayLike<number>): number {
    const lp = this.tables.logPmi(ids);
    return lp === Number.NEGATIVE_INFINITY ? 0 : Math.exp(this.alpha * lp);
  }
}

/** Rows longer than this many times the head's count are binary-searched instead of walked. */
const WALK_FACTOR = 8;

/**
 * Co-occurrence weighted masking fused with the joint estimate (the fast path): instead of
 * materialising k^n cells, walks the n-gram entries that exist. For each x_1 in head 0's top-k it
 * visits bigram row x_1 (linear walk when short, binary search of head 1's top-k when long),
 * keeps entries whose x_2 is in head 1's top-k (vocab-sized rank array), and for n = 3 walks that
 * bigram entry's trigram row the same way. Listed cells get p_1·…·p_n·w; unseen n-grams are never
 * listed (masked to 0). Cells come out in ascending token-id order, as {@link outerProductJoint}'s.
 * Requires tables of order ≥ n. No allocation: one flat function, no doubles passed across calls
 * (V8 would box them). With n = 3 and `pairs`, the n = 2 joint is listed there in the same walk
 * (what a back-off to two tokens needs, without walking the bigrams again).
 */
export function coOccurrenceJoint(
  heads: readonly HeadTopK[],
  n: 2 | 3,
  weights: CoOccurrenceWeights,
  cells: JointCells,
  pairs?: JointCells,
): void {
  const h0 = heads[0] as HeadTopK;
  const h1 = heads[1] as HeadTopK;
  const h2 = heads[n === 3 ? 2 : 1] as HeadTopK;
  const k = h0.capacity;
  cells.reset(n, k);
  const t = weights.tables;
  const bOff = t.bigramOffsets;
  const bIds = t.bigramIds;
  const bVal = t.bigramValues;
  const tOff = t.trigramOffsets ?? bOff;
  const tIds = t.trigramIds ?? bIds;
  const tVal = t.trigramValues ?? bVal;
  const biLut = weights.bigramLut;
  const triLut = weights.trigramLut;
  const iu = weights.inverseUnigram;
  const alpha = weights.alpha;
  const invN2 = 1 / t.header.bigramTotal;
  const invN3 = 1 / t.header.trigramTotal;
  const rank1 = h1.rank;
  const rank2 = h2.rank;
  const p1s = h1.probs;
  const p2s = h2.probs;
  const outIndex = cells.index;
  const outValue = cells.value;
  const c1 = h1.count;
  const c2 = h2.count;
  const matchY = weights.scratchY(k);
  const matchR = weights.scratchR(k);
  let size = 0;
  let rawMass = 0;
  const listPairs = n === 3 && pairs !== undefined;
  if (listPairs) pairs.reset(2, k);
  const pairIndex = listPairs ? pairs.index : outIndex;
  const pairValue = listPairs ? pairs.value : outValue;
  let pairSize = 0;
  let pairMass = 0;
  for (let i = 0; i < h0.count; i++) {
    const a = h0.byId[i] as number;
    const r0 = h0.rankById[i] as number;
    const p0 = h0.probs[r0] as number;
    const s = bOff[a] as number;
    const e = bOff[a + 1] as number;
    if (e === s) continue;
    const linear = e - s <= WALK_FACTOR * c1;
    let lo = s;
    // Iterate matches (x = bigram entry, r1 = rank of its x_2) in ascending x_2 order.
    for (let j = linear ? s : 0; linear ? j < e : j < c1 && lo < e; j++) {
      let x: number;
      let r1: number;
      if (linear) {
        x = j;
        r1 = (rank1[bIds[x] as number] as number) - 1;
        if (r1 < 0) continue;
      } else {
        const b = h1.byId[j] as number;
        // Galloping search from lo: matches are dense, so the gap to the next one is usually small.
        let step = 1;
        while (lo + step < e && (bIds[lo + step] as number) < b) {
          lo += step;
          step <<= 1;
        }
        let hi = lo + step < e ? lo + step + 1 : e;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((bIds[mid] as number) < b) lo = mid + 1;
          else hi = mid;
        }
        if (lo >= e || bIds[lo] !== b) continue;
        x = lo++;
        r1 = h1.rankById[j] as number;
      }
      const p01 = p0 * (p1s[r1] as number);
      if (n === 2 || listPairs) {
        let w: number;
        if (biLut !== undefined) w = biLut[bVal[x] as number] as number;
        else {
          const u = iu as Float64Array;
          w = (bVal[x] as number) * invN2 * (u[a] as number) * (u[bIds[x] as number] as number);
          if (alpha !== 1) w **= alpha;
        }
        if (n === 2) {
          outIndex[size] = r0 * k + r1;
          outValue[size++] = p01 * w;
          rawMass += p01;
          continue;
        }
        pairIndex[pairSize] = r0 * k + r1;
        pairValue[pairSize++] = p01 * w;
        pairMass += p01;
      }
      const ts = tOff[x] as number;
      const te = tOff[x + 1] as number;
      if (te === ts) continue;
      const b = bIds[x] as number;
      const base = (r0 * k + r1) * k;
      // Matches (y = trigram entry, r2 = rank of its x_3) of this pair's row with head 3's top-k,
      // collected first by whichever walk is cheaper (two plain loops), then weighted.
      let found = 0;
      if (te - ts <= WALK_FACTOR * c2) {
        for (let y = ts; y < te; y++) {
          const r2 = (rank2[tIds[y] as number] as number) - 1;
          if (r2 < 0) continue;
          matchY[found] = y;
          matchR[found++] = r2;
        }
      } else {
        let lo2 = ts;
        for (let m = 0; m < c2 && lo2 < te; m++) {
          const c = h2.byId[m] as number;
          // Galloping search from lo2, as for the pairs.
          let step = 1;
          while (lo2 + step < te && (tIds[lo2 + step] as number) < c) {
            lo2 += step;
            step <<= 1;
          }
          let hi = lo2 + step < te ? lo2 + step + 1 : te;
          while (lo2 < hi) {
            const mid = (lo2 + hi) >>> 1;
            if ((tIds[mid] as number) < c) lo2 = mid + 1;
            else hi = mid;
          }
          if (lo2 >= te || tIds[lo2] !== c) continue;
          matchY[found] = lo2++;
          matchR[found++] = h2.rankById[m] as number;
        }
      }
      for (let f = 0; f < found; f++) {
        const y = matchY[f] as number;
        const r2 = matchR[f] as number;
        let w: number;
        if (triLut !== undefined) w = triLut[tVal[y] as number] as number;
        else {
          const u = iu as Float64Array;
          w = (tVal[y] as number) * invN3 * (u[a] as number) * (u[b] as number) * (u[tIds[y] as number] as number);
          if (alpha !== 1) w **= alpha;
        }
        const p = p01 * (p2s[r2] as number);
        outIndex[size] = base + r2;
        outValue[size++] = p * w;
        rawMass += p;
      }
    }
  }
  cells.size = size;
  cells.rawMass = rawMass;
  if (listPairs) {
    pairs.size = pairSize;
    pairs.rawMass = pairMass;
  }
}

/**
 * Co-occurrence weighting of an already listed joint (the reference path): multiplies every cell
 * by its n-gram's weight, zeroes (and drops) unseen n-grams. Same result as
 * {@link coOccurrenceJoint} on a full {@link outerProductJoint}, by look-up instead of walking.
 */
export function applyCoOccurrenceWeights(
  cells: JointCells,
  heads: readonly HeadTopK[],
  weights: CoOccurrenceWeights,
): void {
  const ids = [0, 0, 0].slice(0, cells.n);
  let rawMass = 0;
  for (let c = 0; c < cells.size; c++) {
    for (let h = 0; h < cells.n; h++) ids[h] = (heads[h] as HeadTopK).ids[cells.rankOf(c, h)] as number;
    const w = weights.weightOf(ids);
    if (w > 0) rawMass += cells.value[c] as number;
    cells.value[c] = (cells.value[c] as number) * w;
  }
  compactCells(cells);
  cells.rawMass = rawMass;
}

/**
 * What to do with J after masking (the paper does not say):
 * - 'full': rescale the surviving cells to sum 1 (default) — the heads' marginals still say the
 *   grid holds all the mass, and masked cells are the combinations the text says are impossible;
 * - 'mass': rescale so the weighted cells keep the independent joint's mass on the surviving
 *   cells (weighting redistributes, masking removes mass) — conservative: a joint whose likely cells
 *   were all masked backs off instead of being inflated;
 * - 'none': raw p·w values (w = PMI^alpha can be ≫ 1, so thresholds lose their probability scale).
 */
export type JointRenormalization = 'full' | 'mass' | 'none';

export function renormalizeJoint(cells: JointCells, mode: JointRenormalization): void {
  if (mode === 'none' || cells.size === 0) return;
  const sum = cells.sum();
  if (!(sum > 0) || !Number.isFinite(sum)) return;
  const scale = (mode === 'full' ? 1 : cells.rawMass) / sum;
  const v = cells.value;
  for (let c = 0; c < cells.size; c++) v[c] = (v[c] as number) * scale;
}
