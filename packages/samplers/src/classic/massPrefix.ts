/**
 * Internal: the shortest prefix of tokens, ordered by ascending `key` (ties by ascending id), whose
 * probability mass reaches a target — the core of top-p (key = max logit − logit) and typical-p
 * (key = |−log p − H|). O(V) with reused buffers, no sort of the vocabulary:
 *
 * 1. one pass buckets every candidate by key (B buckets over the keys' range), summing mass and
 *    counts per bucket;
 * 2. the bucket where the cumulative mass (and count, for minTokensToKeep) crosses the target is
 *    found; only its members stay candidates, re-bucketed over their own, narrower key range until
 *    few remain (or their keys are all equal);
 * 3. those few are sorted and walked to the exact crossing token.
 *
 * The bucket of a key is monotone in the key, so the order across buckets is the exact key order
 * and the result is the same as walking the fully sorted vocabulary.
 *
 * Every vocabulary-sized loop is its own small function ending in `return` (see argmax.ts).
 */

const BUCKETS = 1024;
const SMALL = 64;
const INF = Number.POSITIVE_INFINITY;

export class MassPrefix {
  private readonly mass = new Float64Array(BUCKETS);
  private readonly count = new Int32Array(BUCKETS);
  /** [lo, hi] of a key range. */
  private readonly range = new Float64Array(2);
  private members: Int32Array = new Int32Array(0);
  /** Key of the last kept token (the crossing token). */
  cutKey = 0;
  /** Id of the last kept token. */
  cutIndex = -1;
  /** Number of kept tokens (0 when there is no candidate). */
  kept = 0;

  /**
   * Finds the crossing token for `keys` (+Infinity = not a candidate) and `probs`. Kept = the
   * first r tokens in (key, id) order, r the smallest count with cumulative mass ≥ `target` and
   * r ≥ `minKeep` (every candidate when round-off keeps the mass below the target).
   */
  find(keys: Float64Array, probs: Float32Array, target: number, minKeep: number): void {
    const n = keys.length;
    if (this.members.length < n) this.members = new Int32Array(n);
    const { members, mass, count, range } = this;
    this.kept = 0;
    this.cutIndex = -1;

    const total = keyRangeAll(keys, range);
    if (total === 0) return;
    let lo = range[0] as number;
    let hi = range[1] as number;

    let massBefore = 0;
    let countBefore = 0;
    let size = -1; // -1: the candidates are every finite key of the vocabulary (not materialised)
    while (lo !== hi && (size < 0 ? total : size) > SMALL) {
      mass.fill(0);
      count.fill(0);
      const scale = BUCKETS / (hi - lo);
      if (size < 0) bucketAll(keys, probs, lo, scale, mass, count);
      else bucketMembers(keys, probs, members, size, lo, scale, mass, count);
      const crossing = findCrossing(mass, count, massBefore, countBefore, target, minKeep);
      massBefore += massBelow(mass, crossing);
      countBefore += countBelow(count, crossing);
      size =
        size < 0
          ? gatherAll(keys, lo, scale, crossing, members)
          : gatherMembers(keys, members, size, lo, scale, crossing);
      memberRange(keys, members, size, range);
      lo = range[0] as number;
      hi = range[1] as number;
    }
    if (size < 0) size = gatherFinite(keys, members);
    if (lo !== hi) insertionSortByKey(keys, members, size); // equal keys: already in id order
    const j = walk(probs, members, size, massBefore, countBefore, target, minKeep);
    const cut = members[j] as number;
    this.cutIndex = cut;
    this.cutKey = keys[cut] as number;
    this.kept = countBefore + j + 1;
  }
}

function bucketOf(key: number, lo: number, scale: number): number {
  return Math.min(BUCKETS - 1, Math.floor((key - lo) * scale));
}

// Results other than a single return value are stored from inside the loop, never after it: code
// after a long loop must need no type feedback (see argmax.ts).

/** range = [min finite key, max finite key]; returns the number of finite keys. */
function keyRangeAll(keys: Float64Array, range: Float64Array): number {
  let lo = INF;
  let hi = Number.NEGATIVE_INFINITY;
  let total = 0;
  range[0] = lo;
  range[1] = hi;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as number;
    if (k < INF) {
      if (k < lo) range[0] = lo = k;
      if (k > hi) range[1] = hi = k;
      total++;
    }
  }
  return total;
}

/** range = [min, max] key of members[0..size). */
function memberRange(keys: Float64Array, members: Int32Array, size: number, range: Float64Array): void {
  let lo = INF;
  let hi = Number.NEGATIVE_INFINITY;
  range[0] = lo;
  range[1] = hi;
  for (let j = 0; j < size; j++) {
    const k = keys[members[j] as number] as number;
    if (k < lo) range[0] = lo = k;
    if (k > hi) range[1] = hi = k;
  }
}

function bucketAll(
  keys: Float64Array,
  probs: Float32Array,
  lo: number,
  scale: number,
  mass: Float64Array,
  count: Int32Array,
): void {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as number;
    if (k < INF) {
      const b = bucketOf(k, lo, scale);
      mass[b] = (mass[b] as number) + (probs[i] as number);
      count[b] = (count[b] as number) + 1;
    }
  }
}

function bucketMembers(
  keys: Float64Array,
  probs: Float32Array,
  members: Int32Array,
  size: number,
  lo: number,
  scale: number,
  mass: Float64Array,
  count: Int32Array,
): void {
  for (let j = 0; j < size; j++) {
    const i = members[j] as number;
    const b = bucketOf(keys[i] as number, lo, scale);
    mass[b] = (mass[b] as number) + (probs[i] as number);
    count[b] = (count[b] as number) + 1;
  }
}

/**
 * The first bucket at whose end the cumulative mass (starting from `massBefore`) reaches `target`
 * and the cumulative count (from `countBefore`) reaches `minKeep`; else the last non-empty bucket.
 */
function findCrossing(
  mass: Float64Array,
  count: Int32Array,
  massBefore: number,
  countBefore: number,
  target: number,
  minKeep: number,
): number {
  // Locals, not the parameters, accumulate (a reassigned parameter is boxed per iteration).
  let m = massBefore;
  let n = countBefore;
  let last = -1;
  for (let b = 0; b < BUCKETS; b++) {
    const c = count[b] as number;
    if (c > 0) {
      m += mass[b] as number;
      n += c;
      if (m >= target && n >= minKeep) return b;
      last = b;
    }
  }
  return last;
}

/** Sum of mass[0..end). */
function massBelow(mass: Float64Array, end: number): number {
  let sum = 0;
  for (let b = 0; b < end; b++) sum += mass[b] as number;
  return sum;
}

/** Sum of count[0..end). */
function countBelow(count: Int32Array, end: number): number {
  let sum = 0;
  for (let b = 0; b < end; b++) sum += count[b] as number;
  return sum;
}

function gatherAll(keys: Float64Array, lo: number, scale: number, bucket: number, members: Int32Array): number {
  let size = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as number;
    if (k < INF && bucketOf(k, lo, scale) === bucket) members[size++] = i;
  }
  return size;
}

function gatherMembers(
  keys: Float64Array,
  members: Int32Array,
  size: number,
  lo: number,
  scale: number,
  bucket: number,
): number {
  let next = 0;
  for (let j = 0; j < size; j++) {
    const i = members[j] as number;
    if (bucketOf(keys[i] as number, lo, scale) === bucket) members[next++] = i;
  }
  return next;
}

function gatherFinite(keys: Float64Array, members: Int32Array): number {
  let size = 0;
  for (let i = 0; i < keys.length; i++) if ((keys[i] as number) < INF) members[size++] = i;
  return size;
}

/** Stable insertion sort of members[0..size) by key (members come in id order). size ≤ SMALL. */
function insertionSortByKey(keys: Float64Array, members: Int32Array, size: number): void {
  for (let a = 1; a < size; a++) {
    const item = members[a] as number;
    const k = keys[item] as number;
    let b = a - 1;
    while (b >= 0 && (keys[members[b] as number] as number) > k) {
      members[b + 1] = members[b] as number;
      b--;
    }
    members[b + 1] = item;
  }
}

/** Position of the crossing token among the sorted members (the last one if never crossed). */
function walk(
  probs: Float32Array,
  members: Int32Array,
  size: number,
  massBefore: number,
  countBefore: number,
  target: number,
  minKeep: number,
): number {
  let cum = massBefore;
  for (let j = 0; j < size; j++) {
    cum += probs[members[j] as number] as number;
    if (cum >= target && countBefore + j + 1 >= minKeep) return j;
  }
  return size - 1;
}

/** Masks tokens after the cut in (key, id) order: key > cutKey, or key = cutKey and id > cutIndex. */
export function maskAfterKeyCut(logits: Float32Array, keys: Float64Array, cutKey: number, cutIndex: number): void {
  for (let i = 0; i < logits.length; i++) {
    const k = keys[i] as number;
    if (k > cutKey || (k === cutKey && i > cutIndex)) logits[i] = Number.NEGATIVE_INFINITY;
  }
}

/** Masks tokens whose key is above `cutKey` (ties at the cut are kept). */
export function maskAboveKey(logits: Float32Array, keys: Float64Array, cutKey: number): void {
  for (let i = 0; i < logits.length; i++) if ((keys[i] as number) > cutKey) logits[i] = Number.NEGATIVE_INFINITY;
}
