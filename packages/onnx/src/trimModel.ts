/**
 * A one-node ONNX graph, `y = Slice(x, starts=[0], ends=length, axes=[2])` with x: [B, A, P, D]
 * (float32 or float16) and length: int64 [1], so that a KV cache held on the GPU can be trimmed on
 * the GPU (onnxruntime-node's WebGPU EP aborts the process on `getData()` of a GPU tensor, and a
 * read-back would be slow anyway). Written by onnx.helper (opset 13), 189 bytes each.
 */
const TRIM_F32 =
  'CAcSCGR5bmFtb2pzOqYBCiEKAXgKBHplcm8KBmxlbmd0aAoEYXhpcxIBeSIFU2xpY2USC2R5bmFtb190cmltKg0IARAHOgEAQgR6ZXJvKg0IARAHOgECQgRheGlzWh8KAXgSGgoYCAESFAoDEgFiCgMSAWEKAxIBcAoDEgFkWhQKBmxlbmd0aBIKCggIBxIECgIIAWIfCgF5EhoKGAgBEhQKAxIBYgoDEgFhCgMSAW4KAxIBZEIECgAQDQ==';
const TRIM_F16 =
  'CAcSCGR5bmFtb2pzOqYBCiEKAXgKBHplcm8KBmxlbmd0aAoEYXhpcxIBeSIFU2xpY2USC2R5bmFtb190cmltKg0IARAHOgEAQgR6ZXJvKg0IARAHOgECQgRheGlzWh8KAXgSGgoYCAoSFAoDEgFiCgMSAWEKAxIBcAoDEgFkWhQKBmxlbmd0aBIKCggIBxIECgIIAWIfCgF5EhoKGAgKEhQKAxIBYgoDEgFhCgMSAW4KAxIBZEIECgAQDQ==';

export function trimModelBytes(type: 'float32' | 'float16'): Uint8Array {
  const text = atob(type === 'float16' ? TRIM_F16 : TRIM_F32);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
