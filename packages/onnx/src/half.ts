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
