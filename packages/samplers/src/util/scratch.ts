/**
 * Reusable scratch buffers: sized on first use (to the vocabulary) and kept, so the hot path
 * allocates nothing once the first step has run. Internal helper.
 */
export function ensureFloat32(buffer: Float32Array | undefined, length: number): Float32Array {
  return buffer !== undefined && buffer.length === length ? buffer : new Float32Array(length);
}

export function ensureFloat64(buffer: Float64Array | undefined, length: number): Float64Array {
  return buffer !== undefined && buffer.length === length ? buffer : new Float64Array(length);
}

export function ensureInt32(buffer: Int32Array | undefined, length: number): Int32Array {
  return buffer !== undefined && buffer.length >= length ? buffer : new Int32Array(length);
}

export const EMPTY_TOKENS: Int32Array = new Int32Array(0);
