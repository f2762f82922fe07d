/**
 * A one-node ONNX graph, `y = Gather(x, indices, axis = 2)` with x: [B, A, P, D] (float32 or
 * float16) and indices: int64 [n], so that a KV cache held on the GPU can be compacted to the kept
 * positions (`KVCache.compact`) on the GPU, without a read-back (the counterpart of trimModel.ts's
 * Slice graph). Written by onnx.helper (opset 13), 165 bytes each:
 *
 * ```py
 * x = helper.make_tensor_value_info('x', elem, ['b', 'a', 'p', 'd'])
 * indices = helper.make_tensor_value_info('indices', TensorProto.INT64, ['n'])
 * y = helper.make_tensor_value_info('y', elem, ['b', 'a', 'n', 'd'])
 * graph = helper.make_graph([helper.make_node('Gather', ['x', 'indices'], ['y'], axis=2)],
 *                           'dynamo_compact', [x, indices], [y])
 * model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='dynamojs')
 * model.ir_version = 7
 * ```
 */
const COMPACT_F32 =
  'CAcSCGR5bmFtb2pzOpABCiQKAXgKB2luZGljZXMSAXkiBkdhdGhlcioLCgRheGlzGAKgAQISDmR5bmFtb19jb21wYWN0Wh8KAXgSGgoYCAESFAoDEgFiCgMSAWEKAxIBcAoDEgFkWhYKB2luZGljZXMSCwoJCAcSBQoDEgFuYh8KAXkSGgoYCAESFAoDEgFiCgMSAWEKAxIBbgoDEgFkQgQKABAN';
const COMPACT_F16 =
  'CAcSCGR5bmFtb2pzOpABCiQKAXgKB2luZGljZXMSAXkiBkdhdGhlcioLCgRheGlzGAKgAQISDmR5bmFtb19jb21wYWN0Wh8KAXgSGgoYCAoSFAoDEgFiCgMSAWEKAxIBcAoDEgFkWhYKB2luZGljZXMSCwoJCAcSBQoDEgFuYh8KAXkSGgoYCAoSFAoDEgFiCgMSAWEKAxIBbgoDEgFkQgQKABAN';

export function compactModelBytes(type: 'float32' | 'float16'): Uint8Array {
  const text = atob(type === 'float16' ? COMPACT_F16 : COMPACT_F32);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
