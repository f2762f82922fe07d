import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import {
  bytesField,
  float32Field,
  messageField,
  type ProtoField,
  readFields,
  stringField,
  stringFieldOf,
  strings,
  varintField,
  varintValue,
  WIRE_BYTES,
  writeFields,
} from './protoWire.js';

// ONNX field numbers (onnx.proto3)
const MODEL_IR_VERSION = 1;
const MODEL_PRODUCER = 2;
const MODEL_GRAPH = 7;
const MODEL_OPSET = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const GRAPH_NODE = 1;
const GRAPH_NAME = 2;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTR_NAME = 1;
const ATTR_F = 2;
const ATTR_I = 3;
const ATTR_T = 5;
const ATTR_TYPE = 20;
const ATTR_TENSOR = 4;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;
const VALUE_NAME = 1;
const VALUE_TYPE = 2;
const ONNX_FLOAT = 1;
const ONNX_INT32 = 6;
const ONNX_INT64 = 7;
const ONNX_FLOAT16 = 10;

const MS = 'com.microsoft';
const PREFIX = 'dynamo_static_kv/';
const SEQLENS = `${PREFIX}seqlens_k`;
const TOTAL = `${PREFIX}total_sequence_length`;

/** What the rewrite did, for the model's metadata and error messages. */
export interface StaticKvRewrite {
  readonly bytes: Uint8Array;
  /** MultiHeadAttention nodes turned into GroupQueryAttention. */
  readonly rewritten: number;
  /** GroupQueryAttention nodes the graph already had (their cache is shared as it is). */
  readonly native: number;
}

interface NodeInfo {
  readonly fields: ProtoField[];
  readonly opType: string;
  readonly domain: string;
  readonly inputs: string[];
  readonly outputs: string[];
}

function unsupported(file: string, reason: string, details: Record<string, unknown> = {}): DynamoError {
  return new DynamoError(
    DynamoErrorCode.UNSUPPORTED,
    `${file}: kvCache 'static' needs every cache layer's attention to be a com.microsoft ` +
      `MultiHeadAttention or GroupQueryAttention node reading past_key_values.* (the in-place cache of ` +
      `onnxruntime's GroupQueryAttention), but ${reason}. Load it without kvCache: 'static' (the dynamic ` +
      'cache works for every graph; https://github.com/dynamojs/dynamojs/blob/main/docs/devices.md#the-static-kv-cache).',
    { details: { option: 'kvCache', file, ...details } },
  );
}

function parseNode(field: ProtoField): NodeInfo {
  const fields = readFields(field.raw);
  return {
    fields,
    opType: stringField(fields, NODE_OP_TYPE),
    domain: stringField(fields, NODE_DOMAIN),
    inputs: strings(fields, NODE_INPUT),
    outputs: strings(fields, NODE_OUTPUT),
  };
}

function attr(fields: readonly ProtoField[], name: string): ProtoField[] | undefined {
  for (const f of fields) {
    if (f.no !== NODE_ATTRIBUTE) continue;
    const a = readFields(f.raw);
    if (stringField(a, ATTR_NAME) === name) return a;
  }
  return undefined;
}

function intAttr(name: string, value: number): ProtoField {
  return messageField(NODE_ATTRIBUTE, [
    stringFieldOf(ATTR_NAME, name),
    varintField(ATTR_I, value),
    varintField(ATTR_TYPE, ATTR_INT),
  ]);
}

function floatAttr(name: string, value: number): ProtoField {
  return messageField(NODE_ATTRIBUTE, [
    stringFieldOf(ATTR_NAME, name),
    float32Field(ATTR_F, value),
    varintField(ATTR_TYPE, ATTR_FLOAT),
  ]);
}

function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attributes: readonly ProtoField[] = [],
  domain = '',
): ProtoField {
  return messageField(GRAPH_NODE, [
    ...inputs.map((i) => stringFieldOf(NODE_INPUT, i)),
    ...outputs.map((o) => stringFieldOf(NODE_OUTPUT, o)),
    stringFieldOf(NODE_NAME, name),
    stringFieldOf(NODE_OP_TYPE, opType),
    ...attributes,
    ...(domain ? [stringFieldOf(NODE_DOMAIN, domain)] : []),
  ]);
}

function initializer(name: string, type: number, dims: readonly number[], data: ArrayBufferView): ProtoField {
  return messageField(GRAPH_INITIALIZER, [
    ...dims.map((d) => varintField(TENSOR_DIMS, d)),
    varintField(TENSOR_DATA_TYPE, type),
    stringFieldOf(TENSOR_NAME, name),
    bytesField(TENSOR_RAW_DATA, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
  ]);
}

function valueInfo(name: string, elem: number, dims: readonly (string | number)[]): ProtoField[] {
  const shape = dims.map((d) =>
    messageField(SHAPE_DIM, [typeof d === 'number' ? varintField(DIM_VALUE, d) : stringFieldOf(DIM_PARAM, d)]),
  );
  const tensorType = messageField(TYPE_TENSOR, [
    varintField(TENSOR_TYPE_ELEM, elem),
    messageField(TENSOR_TYPE_SHAPE, shape),
  ]);
  return [stringFieldOf(VALUE_NAME, name), messageField(VALUE_TYPE, [tensorType])];
}

/**
 * Rewrites a decoder graph so that its KV cache can be a fixed-capacity buffer updated in place
 * (`kvCache: 'static'`): every com.microsoft MultiHeadAttention node with past/present becomes a
 * GroupQueryAttention node (kv_num_heads = num_heads, the same scale and attention bias), and
 * `seqlens_k` / `total_sequence_length` are computed once from `attention_mask` (batch 1, all ones:
 * what the adapter feeds). GroupQueryAttention accepts a past of any capacity ≥ the total length,
 * attends to `total_sequence_length` positions only, and writes the new rows at
 * `[total - S, total)` of `present` — in place when `present` is bound to `past`'s own buffer, which
 * onnxruntime detects (`past_present_share_buffer`: the data pointers are equal) on the CPU, WASM and
 * WebGPU. GroupQueryAttention nodes already in the graph are kept as they are.
 *
 * Every `past_key_values.*` input must be read by such a node only (a graph that computes attention
 * from plain operators, `Concat(past, new)` then MatMul/Softmax, cannot be updated in place):
 * DYNAMO_UNSUPPORTED naming the first one that is not.
 */
export function staticKvGraph(bytes: Uint8Array, cacheLayers: number, file: string): StaticKvRewrite {
  let model: ProtoField[];
  let graph: ProtoField[];
  try {
    model = readFields(bytes);
    const g = model.find((f) => f.no === MODEL_GRAPH && f.wire === WIRE_BYTES);
    if (!g) throw new RangeError('no graph');
    graph = readFields(g.raw);
  } catch (cause) {
    throw new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${file}: not an ONNX model (${(cause as Error).message}).`, {
      details: { file },
      cause,
    });
  }
  const nodes: (NodeInfo | null)[] = graph.map((f) => (f.no === GRAPH_NODE ? parseNode(f) : null));
  const consumers = new Map<string, { node: NodeInfo; index: number; slot: number }[]>();
  nodes.forEach((n, index) => {
    if (!n) return;
    n.inputs.forEach((name, slot) => {
      if (!name) return;
      let list = consumers.get(name);
      if (!list) consumers.set(name, (list = []));
      list.push({ node: n, index, slot });
    });
  });
  const graphInputs = new Set(graph.filter((f) => f.no === GRAPH_INPUT).map((f) => stringField(readFields(f.raw), 1)));
  if (!graphInputs.has('attention_mask')) throw unsupported(file, 'the graph has no "attention_mask" input');

  const replace = new Map<number, ProtoField>();
  let native = 0;
  for (let layer = 0; layer < cacheLayers; layer++) {
    for (const kv of ['key', 'value'] as const) {
      const past = `past_key_values.${layer}.${kv}`;
      const users = consumers.get(past) ?? [];
      if (users.length !== 1) {
        throw unsupported(
          file,
          users.length === 0
            ? `no node reads "${past}"`
            : `"${past}" is read by ${users.length} nodes (${users.map((u) => u.node.opType).join(', ')})`,
          { tensor: past },
        );
      }
      const { node: n, index, slot } = users[0] as { node: NodeInfo; index: number; slot: number };
      const isMha = n.opType === 'MultiHeadAttention' && n.domain === MS;
      const isGqa = n.opType === 'GroupQueryAttention' && n.domain === MS;
      const expectedSlot = isMha ? (kv === 'key' ? 6 : 7) : kv === 'key' ? 3 : 4;
      const present = n.outputs[kv === 'key' ? 1 : 2];
      if (!(isMha || isGqa) || slot !== expectedSlot || present !== `present.${layer}.${kv}`) {
        throw unsupported(
          file,
          `"${past}" is read by ${n.domain ? `${n.domain} ` : ''}${n.opType}` +
            (isMha || isGqa ? ` (input ${slot}, writing ${String(present)})` : ' (attention from plain operators)'),
          { tensor: past, actual: n.opType },
        );
      }
      if (isGqa) {
        if (kv === 'key') native++;
        continue;
      }
      if (kv === 'value' || replace.has(index)) continue;
      if ((n.inputs[3] ?? '') !== '' || (n.inputs[4] ?? '') !== '') {
        throw unsupported(file, `the MultiHeadAttention node reading "${past}" has a bias or key padding mask input`, {
          tensor: past,
        });
      }
      const heads = attr(n.fields, 'num_heads');
      if (!heads) throw unsupported(file, `the MultiHeadAttention node reading "${past}" has no num_heads`);
      const numHeads = varintValue(heads.find((f) => f.no === ATTR_I) as ProtoField);
      const scale = attr(n.fields, 'scale')?.find((f) => f.no === ATTR_F);
      const bias = n.inputs[5] ?? '';
      const inputs = [
        n.inputs[0] as string,
        n.inputs[1] ?? '',
        n.inputs[2] ?? '',
        past,
        `past_key_values.${layer}.value`,
        SEQLENS,
        TOTAL,
        ...(bias ? ['', '', '', bias] : []),
      ];
      const attributes = [
        intAttr('num_heads', numHeads),
        intAttr('kv_num_heads', numHeads),
        ...(scale
          ? [floatAttr('scale', new DataView(scale.raw.buffer, scale.raw.byteOffset, 4).getFloat32(0, true))]
          : []),
      ];
      const name = stringField(n.fields, NODE_NAME) || `layer${layer}/attention`;
      replace.set(index, node('GroupQueryAttention', inputs, n.outputs, `${name}/gqa`, attributes, MS));
    }
  }
  for (let layer = 0; layer < cacheLayers; layer++) {
    for (const kv of ['key', 'value']) {
      if (!graph.some((f) => f.no === GRAPH_OUTPUT && stringField(readFields(f.raw), 1) === `present.${layer}.${kv}`))
        throw unsupported(file, `the graph has no output "present.${layer}.${kv}"`);
    }
  }
  if (native > 0 && replace.size > 0) {
    throw unsupported(file, 'it mixes MultiHeadAttention and GroupQueryAttention cache layers');
  }
  if (native > 0) {
    // a GroupQueryAttention graph (onnxruntime-genai's builder, onnx-community exports) shares its
    // buffers as it is: it computes seqlens_k / total_sequence_length from attention_mask itself
    return { bytes, rewritten: 0, native };
  }

  // seqlens_k = [total - 1] (int32 [1]), total_sequence_length = attention_mask's length (int32 [])
  const prologue: ProtoField[] = [
    initializer(`${PREFIX}one_i64`, ONNX_INT64, [], BigInt64Array.of(1n)),
    initializer(`${PREFIX}one_i32`, ONNX_INT32, [], Int32Array.of(1)),
    initializer(`${PREFIX}shape_1`, ONNX_INT64, [1], BigInt64Array.of(1n)),
    node('Shape', ['attention_mask'], [`${PREFIX}mask_shape`], `${PREFIX}mask_shape`),
    node('Gather', [`${PREFIX}mask_shape`, `${PREFIX}one_i64`], [`${PREFIX}total_i64`], `${PREFIX}total_i64`, [
      intAttr('axis', 0),
    ]),
    node('Cast', [`${PREFIX}total_i64`], [TOTAL], `${PREFIX}total`, [intAttr('to', ONNX_INT32)]),
    node('Sub', [TOTAL, `${PREFIX}one_i32`], [`${PREFIX}last`], `${PREFIX}last`),
    node('Reshape', [`${PREFIX}last`, `${PREFIX}shape_1`], [SEQLENS], `${PREFIX}seqlens_k`),
  ];
  const out: ProtoField[] = [];
  let inserted = false;
  graph.forEach((f, i) => {
    if (f.no === GRAPH_NODE && !inserted) {
      out.push(...prologue);
      inserted = true;
    }
    out.push(replace.get(i) ?? f);
  });
  const newModel = model.map((f) => (f.no === MODEL_GRAPH ? messageField(MODEL_GRAPH, out) : f));
  if (!newModel.some((f) => f.no === MODEL_OPSET && stringField(readFields(f.raw), OPSET_DOMAIN) === MS)) {
    const at = newModel.findIndex((f) => f.no === MODEL_OPSET);
    newModel.splice(
      at < 0 ? newModel.length : at,
      0,
      messageField(MODEL_OPSET, [stringFieldOf(OPSET_DOMAIN, MS), varintField(OPSET_VERSION, 1)]),
    );
  }
  return { bytes: writeFields(newModel), rewritten: replace.size, native: 0 };
}

/**
 * A two-node graph that moves cache rows inside a fixed-capacity cache tensor on the device, for
 * `compact()` of a static cache on WebGPU: `y = ScatterND(x, indices, Gather(x, src, axis = 2))`
 * with x: [B, A, capacity, D], src: int64 [n] (the rows to read), indices: int64 [1, A, n, 3]
 * ((0, a, dst) of each written row). Run with `y` bound to `x`'s own buffer, onnxruntime's WebGPU
 * ScatterND writes in place (it copies x into y only when their buffers differ), so a compaction
 * moves n·A rows and allocates only the gathered rows.
 */
export function moveRowsModelBytes(type: 'float32' | 'float16'): Uint8Array {
  const elem = type === 'float16' ? ONNX_FLOAT16 : ONNX_FLOAT;
  const graph: ProtoField[] = [
    node('Gather', ['x', 'src'], ['rows'], 'rows', [intAttr('axis', 2)]),
    node('ScatterND', ['x', 'indices', 'rows'], ['y'], 'move'),
    stringFieldOf(GRAPH_NAME, 'dynamo_move_rows'),
    messageField(GRAPH_INPUT, valueInfo('x', elem, ['b', 'a', 'p', 'd'])),
    messageField(GRAPH_INPUT, valueInfo('src', ONNX_INT64, ['n'])),
    messageField(GRAPH_INPUT, valueInfo('indices', ONNX_INT64, ['b', 'a', 'n', 3])),
    messageField(GRAPH_OUTPUT, valueInfo('y', elem, ['b', 'a', 'p', 'd'])),
  ];
  return writeFields([
    varintField(MODEL_IR_VERSION, 7),
    stringFieldOf(MODEL_PRODUCER, 'dynamojs'),
    messageField(MODEL_GRAPH, graph),
    messageField(MODEL_OPSET, [stringFieldOf(OPSET_DOMAIN, ''), varintField(OPSET_VERSION, 13)]),
  ]);
}

/**
 * A one-node graph `y = ConstantOfShape(shape)` (zeros; float32 or float16), run with its output
 * in a GPU buffer: how a static cache's [1, A, capacity, D] buffers are allocated on WebGPU in
 * Node, where JavaScript cannot create a GPU buffer itself.
 */
export function zerosModelBytes(type: 'float32' | 'float16'): Uint8Array {
  const elem = type === 'float16' ? ONNX_FLOAT16 : ONNX_FLOAT;
  const zero = messageField(ATTR_T, [
    varintField(TENSOR_DIMS, 1),
    varintField(TENSOR_DATA_TYPE, elem),
    stringFieldOf(TENSOR_NAME, 'zero'),
    bytesField(TENSOR_RAW_DATA, new Uint8Array(type === 'float16' ? 2 : 4)),
  ]);
  const value = messageField(NODE_ATTRIBUTE, [
    stringFieldOf(ATTR_NAME, 'value'),
    zero,
    varintField(ATTR_TYPE, ATTR_TENSOR),
  ]);
  const graph: ProtoField[] = [
    node('ConstantOfShape', ['shape'], ['y'], 'zeros', [value]),
    stringFieldOf(GRAPH_NAME, 'dynamo_zeros'),
    messageField(GRAPH_INPUT, valueInfo('shape', ONNX_INT64, [4])),
    messageField(GRAPH_OUTPUT, valueInfo('y', elem, ['b', 'a', 'p', 'd'])),
  ];
  return writeFields([
    varintField(MODEL_IR_VERSION, 7),
    stringFieldOf(MODEL_PRODUCER, 'dynamojs'),
    messageField(MODEL_GRAPH, graph),
    messageField(MODEL_OPSET, [stringFieldOf(OPSET_DOMAIN, ''), varintField(OPSET_VERSION, 13)]),
  ]);
}
