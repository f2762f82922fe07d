import { checkLogits } from '../classic/checkLogits.js';
import { siftDown, siftUp } from '../util/binaryHeap.js';

/**
 * One head's top-k at a temperature: the first step of DynaMo (Algorithm 1: "apply temperature,
 * keep top-k, renormalise"). Buffers are allocated once per (k, vocabulary) and reused every step.
 *
 * - `ids[r]`, `probs[r]`: the kept tokens by rank (r = 0 most probable; ties → lower id first) and
 *   their probabilities (softmax of logit / T' over the kept tokens, double precision, sum 1; T' is
 *   the selection's `probTemperature`, by default its temperature T).
 * - `byId[i]`: the kept tokens in ascending id order (the canonical enumeration order of cells),
 *   `rankById[i]` their ranks.
 * - `rank[token]`: rank + 1 of a vocabulary token, 0 when not kept (a vocab-sized Uint16 membership
 *   array, cleared sparsely, never O(V) per step).
 */
export class HeadTopK {
  readonly capacity: number;
  count = 0;
  readonly ids: Int32Array;
  readonly probs: Float64Array;
  /** The logits of the kept tokens divided by the temperature T, by rank (float32-rounded, as a Float32Array row would hold them). */
  readonly scaled: Float64Array;
  readonly byId: Int32Array;
  readonly rankById: Int32Array;
  rank: Uint16Array;
  /** @internal scan state of the selection. */
  readonly scan = new ScanState();

  constructor(k: number, vocabSize = 0) {
    this.capacity = k;
    this.ids = new Int32Array(k);
    this.probs = new Float64Array(k);
    this.scaled = new Float64Array(k);
    this.byId = new Int32Array(k);
    this.rankById = new Int32Array(k);
    this.rank = new Uint16Array(vocabSize);
  }

  /** Probability of the token with rank r. */
  prob(r: number): number {
    return this.probs[r] as number;
  }
}

/** Heap state of a scan (fields, not locals: doubles passed across calls would be boxed). */
export class ScanState {
  size = 0;
  limit = 0;
  root = Number.NEGATIVE_INFINITY;
  bad = 0;
}

/** Offers entries [from, to) to the top-k heap. */
function consider(logits: Float32Array, from: number, to: number, heap: Int32Array, state: ScanState): void {
  for (let j = from; j < to; j++) {
    const v = logits[j] as number;
    if (v <= state.root) continue;
    if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
      state.bad = 1;
      continue;
    }
    if (state.size < state.limit) {
      heap[state.size] = j;
      siftUp(logits, heap, state.size);
      state.size++;
      if (state.size === state.limit) state.root = logits[heap[0] as number] as number;
    } else {
      // j is larger than every kept id, so it only wins with a strictly larger value.
      heap[0] = j;
      siftDown(logits, heap, state.size, 0);
      state.root = logits[heap[0] as number] as number;
    }
  }
}

/**
 * Selects the top-k of `logits` at `temperature` into `out`, validating the row in the same pass:
 * NaN or +Infinity → DYNAMO_INVALID_LOGITS (via checkLogits, naming head and index); -Infinity
 * entries are masked tokens and never kept. Keeps fewer than k when fewer are unmasked; every
 * entry masked → `out.count = 0` (the caller decides: an error for head 0).
 * `scaled` holds logit / `temperature` (what one-token sampling draws from, {@link sampleSelected});
 * `probs` the softmax at `probTemperature` (default `temperature`; the DynaMo joint may be built
 * at another temperature than one-token steps). The kept set does not depend on either.
 * O(V + k log k), no allocation.
 */
export function selectHeadTopK(
  logits: Float32Array,
  k: number,
  temperature: number,
  out: HeadTopK,
  head = 0,
  probTemperature = temperature,
): void {
  const V = logits.length;
  if (out.rank.length !== V) out.rank = new Uint16Array(V);
  const rank = out.rank;
  // Clear the previous step's memberships (sparse).
  for (let r = 0; r < out.count; r++) rank[out.ids[r] as number] = 0;
  out.count = 0;
  const heap = out.ids; // heap lives in ids, sorted in place afterwards
  const state = out.scan;
  state.size = 0;
  state.limit = Math.min(k, out.capacity);
  state.root = Number.NEGATIVE_INFINITY;
  state.bad = 0;
  // Blocks of 8: one chain of comparisons rejects the (vast) majority of entries at once; NaN
  // fails every comparison, so it always reaches `consider`, which flags it.
  let i = 0;
  const end8 = V - (V & 7);
  for (; i < end8; i += 8) {
    const r = state.root;
    if (
      (logits[i] as number) <= r &&
      (logits[i + 1] as number) <= r &&
      (logits[i + 2] as number) <= r &&
      (logits[i + 3] as number) <= r &&
      (logits[i + 4] as number) <= r &&
      (logits[i + 5] as number) <= r &&
      (logits[i + 6] as number) <= r &&
      (logits[i + 7] as number) <= r
    ) {
      continue;
    }
    consider(logits, i, i + 8, heap, state);
  }
  consider(logits, i, V, heap, state);
  const size = state.size;
  // NaN or +Infinity seen: checkLogits finds and reports it (DYNAMO_INVALID_LOGITS).
  if (state.bad !== 0) checkLogits(logits, head);
  // Heap sort: worst to the end.
  for (let end = size - 1; end > 0; end--) {
    const worst = heap[0] as number;
    heap[0] = heap[end] as number;
    heap[end] = worst;
    siftDown(logits, heap, end, 0);
  }
  out.count = size;
  if (size === 0) return;
  const scaled = out.scaled;
  const probs = out.probs;
  // Temperature division exactly as a Float32Array row (TemperatureProcessor) would hold it.
  for (let r = 0; r < size; r++) scaled[r] = Math.fround((logits[heap[r] as number] as number) / temperature);
  let sum = 0;
  if (probTemperature === temperature) {
    const max = scaled[0] as number;
    for (let r = 0; r < size; r++) {
      const e = Math.exp((scaled[r] as number) - max);
      probs[r] = e;
      sum += e;
    }
  } else {
    const top = logits[heap[0] as number] as number;
    const inv = 1 / probTemperature;
    for (let r = 0; r < size; r++) {
      const e = Math.exp(((logits[heap[r] as number] as number) - top) * inv);
      probs[r] = e;
      sum += e;
    }
  }
  const inv = 1 / sum;
  for (let r = 0; r < size; r++) {
    probs[r] = (probs[r] as number) * inv;
    rank[heap[r] as number] = r + 1;
  }
  // Ids ascending (insertion sort: k is small) with their ranks.
  const byId = out.byId;
  const rankById = out.rankById;
  for (let r = 0; r < size; r++) {
    const id = heap[r] as number;
    let j = r - 1;
    while (j >= 0 && (byId[j] as number) > id) {
      byId[j + 1] = byId[j] as number;
      rankById[j + 1] = rankById[j] as number;
      j--;
    }
    byId[j + 1] = id;
    rankById[j + 1] = r;
  }
}

/**
 * Plain top-k sampling from a selected head with one uniform draw `u` ∈ [0, 1): the n = 1 path of
 * DynaMo. The arithmetic replays the classic pipeline — temperature (float32 row), top-k, softmax
 * (float32 probabilities, double sums), multinomial over the vocabulary in id order — so for the
 * same `u` it returns the same token as `multinomialFromLogits(topK(temperature(logits)))`.
 * No allocation.
 */
export function sampleSelected(head: HeadTopK, u: number): number {
  const n = head.count;
  const byId = head.byId;
  const rankById = head.rankById;
  const scaled = head.scaled;
  const max = scaled[0] as number;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((scaled[rankById[i] as number] as number) - max);
  const inv = 1 / sum;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += Math.fround(Math.fround(Math.exp((scaled[rankById[i] as number] as number) - max)) * inv);
  }
  let x = u * total;
  let last = byId[0] as number;
  for (let i = 0; i < n; i++) {
    const w = Math.fround(Math.fround(Math.exp((scaled[rankById[i] as number] as number) - max)) * inv);
    if (w > 0) {
      x -= w;
      last = byId[i] as number;
      if (x < 0) return last;
    }
  }
  return last;
}
