/**
 * Operators whose output scale is computed from the whole input at run time (onnxruntime's
 * dynamic quantization: `quantize_dynamic`'s DynamicQuantizeLinear → MatMulInteger, and the fused
 * com.microsoft DynamicQuantizeMatMul / MatMulIntegerToFloat its optimizer writes). In a decoder they
 * quantize all rows of a pass together, so a row's logits depend on the other rows of its pass.
 */
const DYNAMIC_OPS = ['DynamicQuantizeLinear', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat'] as const;

/** Byte-for-byte occurrence of an ASCII string in `bytes` (an operator's op_type is stored as plain text). */
function contains(bytes: Uint8Array, text: string): boolean {
  const first = text.charCodeAt(0);
  const n = text.length;
  const end = bytes.length - n;
  for (let i = bytes.indexOf(first); i !== -1 && i <= end; i = bytes.indexOf(first, i + 1)) {
    let j = 1;
    while (j < n && bytes[i + j] === text.charCodeAt(j)) j++;
    if (j === n) return true;
  }
  return false;
}

/**
 * True when an ONNX graph (its serialized bytes, without external data) quantizes activations
 * dynamically: then verifying several tokens in one pass is not exactly one-token decoding
 * (`ModelMetadata.passInvariant: false`). A scan of the bytes for the operators' names (~1 ms
 * per MB); weight tensors in external data are not scanned.
 */
export function usesDynamicQuantization(bytes: Uint8Array): boolean {
  return DYNAMIC_OPS.some((op) => contains(bytes, op));
}
