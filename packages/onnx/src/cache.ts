import { DynamoError, DynamoErrorCode, type KVCache } from '@dynamojs/core';
import type { OrtRuntime, OrtTensor } from './runtime.js';

/** What a cache needs from its model. */
export interface CacheOwner {
  readonly disposed: boolean;
  readonly ort: OrtRuntime;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly kvType: 'float32' | 'float16';
  /** Shared empty [1, A, 0, D] tensors (never disposed by a cache). */
  readonly emptyPast: readonly OrtTensor[];
  /** Slices a device-resident tensor to `length` positions on the device (WebGPU). */
  sliceOnDevice?(tensor: OrtTensor, length: number): Promise<OrtTensor>;
  /** Gathers positions `indices` (int64 [n]) of a device-resident tensor on the device (WebGPU). */
  gatherOnDevice?(tensor: OrtTensor, indices: OrtTensor): Promise<OrtTensor>;
  /**
   * The static cache's capacity in positions (`kvCache: 'static'`): the cache tensors are
   * [1, A, capacity, D] buffers updated in place by the graph; 0 or absent for the dynamic cache.
   */
  readonly capacity?: number;
  /**
   * Allocates a static cache's buffers, one zero-filled [1, A, capacity, D] tensor per cache input
   * (in host memory, or in GPU buffers on WebGPU); the cache owns and disposes them.
   */
  allocate?(): Promise<OrtTensor[]>;
  /**
   * Moves rows of a device-resident static cache tensor in place: row `src[i]` to row `dst[i]` of
   * every head (`indices`: int64 [1, A, n, 3] of (0, a, dst)), on the device (WebGPU).
   */
  moveOnDevice?(tensor: OrtTensor, src: OrtTensor, indices: OrtTensor): Promise<void>;
  /** Called by a cache's dispose(). */
  forget(cache: OnnxKVCache): void;
}

function disposedError(what: string): DynamoError {
  return new DynamoError(DynamoErrorCode.DISPOSED, `The ${what} has been disposed.`);
}

function cacheState(message: string, details: Record<string, unknown> = {}): DynamoError {
  return new DynamoError(DynamoErrorCode.CACHE_STATE, message, { details });
}

/** True when rows[i] === i for i < n. */
function isPrefix(rows: Int32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (rows[i] !== i) return false;
  return true;
}

/**
 * Keys and values of every cache layer (base layers, then the extra heads' layers) for one
 * sequence, as the runtime's own tensors: `present.*` of one pass are fed as `past_key_values.*`
 * of the next without copying (and stay on the GPU on WebGPU).
 *
 * `trim` and `compact` are lazy: they only record which positions remain (the tensor rows of
 * positions 0..length-1); the next forward applies every pending change at once, so a trim, a
 * compaction and another trim in a row cost one pass over the cache. On the CPU (and WASM) the kept
 * rows are moved down in place inside the last pass's output buffers (no allocation: one memory move
 * of the rows that shift, e.g. ~0.1 ms for model-tiny's 2 MB cache at 200 tokens). Tensors on the GPU are sliced (a
 * prefix) or gathered (a compaction) on the GPU by a one-node Slice or Gather graph (no read-back).
 */
export class OnnxKVCache implements KVCache {
  #length = 0;
  /** Sequence length of the tensors held (≥ #length after a trim, until the next forward). */
  #tensorLength = 0;
  #tensors: OrtTensor[] | null = null;
  /**
   * The tensor row of each position 0..#length-1 after a compaction that the next forward has not
   * applied yet (strictly increasing, not the prefix 0..#length-1); null when they are that prefix.
   */
  #rows: Int32Array | null = null;
  #disposed = false;
  /** True while a forward pass is using the cache. */
  busy = false;

  constructor(readonly owner: CacheOwner) {}

  get length(): number {
    return this.#length;
  }

  get disposed(): boolean {
    return this.#disposed || this.owner.disposed;
  }

  /** Bytes held by the cache tensors (CPU or device memory; a static cache holds its whole capacity). */
  get byteLength(): number {
    const { kvHeads, headDim, kvType, emptyPast } = this.owner;
    const rows = this.#static ? (this.owner.capacity as number) : this.#tensorLength;
    return this.#tensors ? emptyPast.length * kvHeads * rows * headDim * (kvType === 'float16' ? 2 : 4) : 0;
  }

  /** True for a fixed-capacity cache updated in place (`kvCache: 'static'`). */
  get #static(): boolean {
    return (this.owner.capacity ?? 0) > 0;
  }

  /** The static cache's capacity in positions; 0 for the dynamic cache. */
  get capacity(): number {
    return this.owner.capacity ?? 0;
  }

  /** Where the tensors live: 'cpu', 'gpu-buffer', … ('none' when empty). */
  get location(): string {
    return this.#tensors?.[0]?.location ?? 'none';
  }

  assertUsable(): void {
    if (this.#disposed) throw disposedError('KV cache');
    if (this.owner.disposed) throw disposedError('model that created this KV cache');
  }

  trim(length: number): void {
    this.assertUsable();
    if (this.busy) throw cacheState('Cannot trim a KV cache while a forward pass is using it.');
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > this.#length) {
      throw cacheState(
        `trim(${String(length)}): the length must be an integer in [0, ${this.#length}] (the cache's length).`,
        { expected: `[0, ${this.#length}]`, actual: length },
      );
    }
    this.#length = length;
    if (this.#rows && isPrefix(this.#rows, length)) this.#rows = null;
    if (length === 0) {
      if (this.#static)
        this.#rows = null; // the buffers are kept and overwritten from position 0
      else this.#release();
    }
  }

  compact(keep: ArrayLike<number>): void {
    this.assertUsable();
    if (this.busy) throw cacheState('Cannot compact a KV cache while a forward pass is using it.');
    const n = (keep as ArrayLike<number> | null | undefined)?.length;
    if (keep === null || typeof keep !== 'object' || typeof n !== 'number') {
      throw cacheState('compact(keep): keep must be an array of positions.', {
        expected: 'an array of positions',
        actual: keep,
      });
    }
    const L = this.#length;
    let prefix = true;
    for (let i = 0; i < n; i++) {
      const k = keep[i] as number;
      const lo = i === 0 ? 0 : (keep[i - 1] as number) + 1;
      if (typeof k !== 'number' || !Number.isInteger(k) || k < lo || k >= L) {
        throw cacheState(
          `compact(keep): keep[${i}] = ${String(k)} must be an integer in [${lo}, ${L}) ` +
            `(strictly increasing positions below the cache's length ${L}).`,
          { index: i, expected: `[${lo}, ${L})`, actual: k },
        );
      }
      if (k !== i) prefix = false;
    }
    if (prefix) {
      this.trim(n);
      return;
    }
    const old = this.#rows;
    const rows = new Int32Array(n);
    for (let i = 0; i < n; i++) rows[i] = old ? (old[keep[i] as number] as number) : (keep[i] as number);
    this.#rows = isPrefix(rows, n) ? null : rows;
    this.#length = n;
  }

  /** The past tensors for the next pass when no trim or compaction is pending (no await), else null. */
  currentTensors(): readonly OrtTensor[] | null {
    if (!this.#tensors) return this.#static ? null : this.owner.emptyPast;
    if (this.#static) return this.#rows === null ? this.#tensors : null; // a trim costs nothing
    return this.#rows === null && this.#tensorLength === this.#length ? this.#tensors : null;
  }

  /** The past tensors for the next pass, after applying a pending trim or compaction. */
  async pastTensors(): Promise<readonly OrtTensor[]> {
    const now = this.currentTensors();
    if (now) return now;
    if (this.#static) {
      if (!this.#tensors) {
        try {
          this.#tensors = await (this.owner.allocate as () => Promise<OrtTensor[]>)();
        } catch (cause) {
          throw new DynamoError(
            DynamoErrorCode.RUNTIME,
            `Allocating the static KV cache (${this.owner.capacity} positions) failed: ${
              (cause as Error)?.message ?? String(cause)
            }`,
            { cause },
          );
        }
        this.#tensorLength = this.owner.capacity as number;
      }
      if (this.#rows !== null) await this.#applyStatic();
    } else {
      await this.#apply();
    }
    return this.#tensors as OrtTensor[];
  }

  /**
   * A static cache's own buffers, to bind as the pass's `present.*` outputs (the graph writes the
   * new rows into them in place); null for the dynamic cache and before `pastTensors()` allocated them.
   */
  boundTensors(): readonly OrtTensor[] | null {
    return this.#static ? this.#tensors : null;
  }

  /**
   * Takes ownership of a pass's `present.*` tensors and disposes the ones they replace. A static
   * cache that bound its buffers keeps them (the pass wrote into them; `present` are views of them).
   */
  commit(present: OrtTensor[], length: number): void {
    if (this.#static && this.#tensors) {
      this.#length = length;
      this.#rows = null;
      return;
    }
    const old = this.#tensors;
    this.#tensors = present;
    this.#tensorLength = length;
    this.#length = length;
    this.#rows = null;
    if (old) for (const t of old) t.dispose();
  }

  /** Keeps tensor rows `#rows` (or the prefix 0..#length-1) of every tensor. */
  async #apply(): Promise<void> {
    const tensors = this.#tensors as OrtTensor[];
    const rows = this.#rows;
    const n = this.#length;
    const { ort } = this.owner;
    let indices: OrtTensor | undefined;
    const kept: OrtTensor[] = [];
    let movedOnHost = false;
    try {
      for (const t of tensors) {
        if (t.location !== 'cpu' && rows === null && this.owner.sliceOnDevice) {
          kept.push(await this.owner.sliceOnDevice(t, n));
        } else if (t.location !== 'cpu' && rows !== null && this.owner.gatherOnDevice) {
          indices ??= new ort.Tensor('int64', BigInt64Array.from(rows, BigInt), [n]);
          kept.push(await this.owner.gatherOnDevice(t, indices));
        } else {
          kept.push(await this.#keepOnHost(t, rows, n));
          movedOnHost = true;
        }
      }
    } catch (error) {
      for (const t of kept) t.dispose();
      // rows moved in place cannot be put back: start the sequence over rather than run on a mix
      if (movedOnHost) {
        this.#release();
        this.#length = 0;
        this.#rows = null;
      }
      throw new DynamoError(
        DynamoErrorCode.RUNTIME,
        `Applying a trim/compaction to the KV cache failed${movedOnHost ? ' (the cache was emptied)' : ''}: ${
          (error as Error)?.message ?? String(error)
        }`,
        { cause: error },
      );
    } finally {
      indices?.dispose();
    }
    for (const t of tensors) t.dispose();
    this.#tensors = kept;
    this.#tensorLength = n;
    this.#rows = null;
  }

  /**
   * Applies a pending compaction to a static cache in place: kept position i moves from row
   * `rows[i]` to row i, for the i where they differ (the accepted path of a tree: a few rows). On
   * the host, rows are moved down inside each buffer (rows[i] ≥ i and increasing, so a forward sweep
   * never overwrites a row still to be read); on the device, by the move graph with its output
   * bound to the buffer itself. Nothing is allocated but the row lists.
   */
  async #applyStatic(): Promise<void> {
    const tensors = this.#tensors as OrtTensor[];
    const rows = this.#rows as Int32Array;
    const n = this.#length;
    const { ort, kvHeads: A, headDim: D } = this.owner;
    const C = this.owner.capacity as number;
    let first = 0;
    while (first < n && rows[first] === first) first++;
    const m = n - first;
    let src: OrtTensor | undefined;
    let indices: OrtTensor | undefined;
    try {
      for (const t of tensors) {
        if (t.location === 'cpu') {
          const data = t.data as Float32Array | Uint16Array;
          for (let a = 0; a < A; a++) {
            let i = first;
            while (i < n) {
              const from = rows[i] as number;
              let run = 1;
              while (i + run < n && rows[i + run] === from + run) run++;
              data.copyWithin((a * C + i) * D, (a * C + from) * D, (a * C + from + run) * D);
              i += run;
            }
          }
        } else if (this.owner.moveOnDevice) {
          if (!src || !indices) {
            src = new ort.Tensor('int64', BigInt64Array.from(rows.subarray(first, n), BigInt), [m]);
            const idx = new BigInt64Array(A * m * 3);
            for (let a = 0; a < A; a++)
              for (let k = 0; k < m; k++) {
                idx[(a * m + k) * 3 + 1] = BigInt(a);
                idx[(a * m + k) * 3 + 2] = BigInt(first + k);
              }
            indices = new ort.Tensor('int64', idx, [1, A, m, 3]);
          }
          await this.owner.moveOnDevice(t, src, indices);
        } else {
          throw new Error(`no way to move rows of a static cache tensor held in "${t.location}"`);
        }
      }
    } catch (error) {
      // some rows moved, some not: start the sequence over rather than run on a mix
      this.#length = 0;
      this.#rows = null;
      throw new DynamoError(
        DynamoErrorCode.RUNTIME,
        `Applying a compaction to the static KV cache failed (the cache was emptied): ${
          (error as Error)?.message ?? String(error)
        }`,
        { cause: error },
      );
    } finally {
      src?.dispose();
      indices?.dispose();
    }
    this.#rows = null;
  }

  /**
   * Keeps `rows` (or the prefix 0..n-1) of a [1, A, P, D] tensor held in host memory: the kept
   * rows are moved down inside its own buffer (every destination lies at or before its source, so
   * a forward sweep never overwrites a row still to be read), copying runs of consecutive rows at
   * once, and the first A·n·D elements are wrapped as the new [1, A, n, D] tensor.
   */
  async #keepOnHost(t: OrtTensor, rows: Int32Array | null, n: number): Promise<OrtTensor> {
    const { ort, kvHeads: A, headDim: D, kvType } = this.owner;
    const P = this.#tensorLength;
    const data = (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array | Uint16Array;
    for (let a = 0; a < A; a++) {
      if (rows === null) {
        if (a > 0) data.copyWithin(a * n * D, a * P * D, (a * P + n) * D);
        continue;
      }
      let i = 0;
      while (i < n) {
        const src = rows[i] as number;
        let run = 1;
        while (i + run < n && rows[i + run] === src + run) run++;
        const from = (a * P + src) * D;
        const to = (a * n + i) * D;
        if (from !== to) data.copyWithin(to, from, from + run * D);
        i += run;
      }
    }
    return new ort.Tensor(kvType, data.subarray(0, A * n * D), [1, A, n, D]);
  }

  #release(): void {
    if (this.#tensors) for (const t of this.#tensors) t.dispose();
    this.#tensors = null;
    this.#tensorLength = 0;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#release();
    this.#length = 0;
    this.#disposed = true;
    this.owner.forget(this);
  }
}
