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
  /** Called by a cache's dispose(). */
  forget(cache: OnnxKVCache): void;
}

function disposedError(what: string): DynamoError {
  return new DynamoError(DynamoErrorCode.DISPOSED, `The ${what} has been disposed.`);
}

/**
 * Keys and values of every cache layer (base layers, then the extra heads' layers) for one
 * sequence, as the runtime's own tensors: `present.*` of one pass are fed as `past_key_values.*`
 * of the next without copying (and stay on the GPU on WebGPU). `trim` is lazy: it only records the
 * new length; the next forward slices the tensors along the sequence axis (one copy of the kept
 * prefix, about the cost of one decoding step), so several trims in a row cost one slice. Tensors
 * on the GPU are sliced on the GPU by a one-node Slice graph (no read-back).
 */
export class OnnxKVCache implements KVCache {
  #length = 0;
  /** Sequence length of the tensors held (≥ #length after a trim, until the next forward). */
  #tensorLength = 0;
  #tensors: OrtTensor[] | null = null;
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

  /** Bytes held by the cache tensors (CPU or device memory). */
  get byteLength(): number {
    const { kvHeads, headDim, kvType, emptyPast } = this.owner;
    return this.#tensors
      ? emptyPast.length * kvHeads * this.#tensorLength * headDim * (kvType === 'float16' ? 2 : 4)
      : 0;
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
    if (this.busy) {
      throw new DynamoError(DynamoErrorCode.CACHE_STATE, 'Cannot trim a KV cache while a forward pass is using it.');
    }
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > this.#length) {
      throw new DynamoError(
        DynamoErrorCode.CACHE_STATE,
        `trim(${String(length)}): the length must be an integer in [0, ${this.#length}] (the cache's length).`,
        { details: { expected: `[0, ${this.#length}]`, actual: length } },
      );
    }
    this.#length = length;
    if (length === 0) this.#release();
  }

  /** The past tensors for the next pass when no trim is pending (no await on the hot path), else null. */
  currentTensors(): readonly OrtTensor[] | null {
    if (!this.#tensors) return this.owner.emptyPast;
    return this.#tensorLength === this.#length ? this.#tensors : null;
  }

  /** The past tensors for the next pass, sliced to `length` first if a trim is pending. */
  async pastTensors(): Promise<readonly OrtTensor[]> {
    if (!this.#tensors) return this.owner.emptyPast;
    if (this.#tensorLength !== this.#length) await this.#slice();
    return this.#tensors as OrtTensor[];
  }

  /** Takes ownership of a pass's `present.*` tensors and disposes the ones they replace. */
  commit(present: OrtTensor[], length: number): void {
    const old = this.#tensors;
    this.#tensors = present;
    this.#tensorLength = length;
    this.#length = length;
    if (old) for (const t of old) t.dispose();
  }

  async #slice(): Promise<void> {
    const tensors = this.#tensors as OrtTensor[];
    const { ort, kvHeads: A, headDim: D, kvType } = this.owner;
    const P = this.#tensorLength;
    const n = this.#length;
    const sliced: OrtTensor[] = [];
    for (const t of tensors) {
      if (t.location !== 'cpu' && this.owner.sliceOnDevice) {
        sliced.push(await this.owner.sliceOnDevice(t, n));
        continue;
      }
      const data = (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array | Uint16Array;
      const out = kvType === 'float16' ? new Uint16Array(A * n * D) : new Float32Array(A * n * D);
      for (let a = 0; a < A; a++) out.set(data.subarray(a * P * D, a * P * D + n * D), a * n * D);
      sliced.push(new ort.Tensor(kvType, out, [1, A, n, D]));
    }
    for (const t of tensors) t.dispose();
    this.#tensors = sliced;
    this.#tensorLength = n;
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
