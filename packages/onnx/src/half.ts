/**
 * A float16 tensor's data as float32 (fp16 exports' logits). onnxruntime-common hands float16 data
 * out as a Uint16Array of IEEE half-precision bits where the platform has no Float16Array (Node 20,
 * 22), and as a Float16Array where it has one (Node 24, current browsers): bits are decoded, values
 * are copied.
 */
export function float16ToFloat32(data: Uint16Array | ArrayLike<number>): Float32Array {
  if (!(data instanceof Uint16Array)) return Float32Array.from(data);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const h = data[i] as number;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? Number.NaN
            : sign * Number.POSITIVE_INFINITY
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

/**
 * A host-memory float16 tensor as onnxruntime-node can read it. Where the platform has a native
 * Float16Array (Node 24), onnxruntime-common stores float16 data as one, and onnxruntime-node's
 * binding (1.2x–1.30) cannot read a Float16Array (N-API has no float16 typed-array kind: it sees
 * 0 bytes, "not enough space: expected N, got 0"). The tensor's `data` is shadowed by a Uint16Array
 * over the same bytes (no copy) — what the binding reads on Node 20/22; onnxruntime-web copies the
 * bytes either way. Other tensors are returned as they are.
 */
export function float16Feedable<T extends { readonly type: string; readonly location: string; readonly data: unknown }>(
  tensor: T,
): T {
  if (tensor.type !== 'float16' || tensor.location !== 'cpu') return tensor;
  const data = tensor.data as ArrayBufferView & { length: number };
  if (data instanceof Uint16Array || !ArrayBuffer.isView(data)) return tensor;
  Object.defineProperty(tensor, 'data', {
    value: new Uint16Array(data.buffer, data.byteOffset, data.length),
    configurable: true,
  });
  return tensor;
}
