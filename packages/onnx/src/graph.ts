import { DynamoError, DynamoErrorCode, type ModelManifest } from '@dynamojs/core';
import type { OrtSession, ValueMetadata } from './runtime.js';

/** What the adapter learned about a graph's inputs and outputs (checked against the manifest). */
export interface GraphSpec {
  readonly cacheLayers: number;
  /** Key/value heads (A) and head size (D) of the cache tensors [B, A, P, D]. */
  readonly kvHeads: number;
  readonly headDim: number;
  readonly kvType: 'float32' | 'float16';
  readonly hasPositionIds: boolean;
  readonly hasLogitsToKeep: boolean;
  /** The input name of the kept-logits count: `num_logits_to_keep` (Optimum) or `logits_to_keep` (newer exports). */
  readonly logitsToKeepName: string;
  /** Older merged decoders' `use_cache_branch` (bool [1]): fed true once the cache holds positions. */
  readonly hasUseCacheBranch: boolean;
  /** dtype of `logits` (float16 in fp16 exports; converted to float32 on read). */
  readonly logitsType: 'float32' | 'float16';
  readonly hasHeadLogitsToKeep: boolean;
  /** The graph has `head_logits_rows`: the extra heads' logits only at listed rows (docs/model-format.md). */
  readonly hasHeadLogitsRows: boolean;
  /** The graph has `tree_attention_mask`: forward runs any token tree (docs/model-format.md). */
  readonly hasTreeAttention: boolean;
  /**
   * The hidden size when the graph has a `hidden_states` output (the base's final hidden state at
   * the rows of `logits`, what a draft head reads); 0 without one.
   */
  readonly hiddenSize: number;
  /** Extra heads (E) with a `head_logits` output; 0 for a plain decoder. */
  readonly extraHeads: number;
  /** `past_key_values.{i}.key`, `.value` for i = 0..C-1, interleaved. */
  readonly pastNames: readonly string[];
  readonly presentNames: readonly string[];
}

const OPTIONAL_INPUTS = new Set([
  'position_ids',
  'num_logits_to_keep',
  'logits_to_keep',
  'use_cache_branch',
  'num_head_logits_to_keep',
  'head_logits_rows',
  'tree_attention_mask',
]);

function formatError(file: string, tensor: string, expected: string, actual: string, message: string): DynamoError {
  return new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${file}: ${message}`, {
    details: { file, tensor, expected, actual },
  });
}

function shapeText(shape: readonly (number | string)[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : '(unknown)';
}

function metaOf(list: readonly ValueMetadata[] | undefined, name: string): ValueMetadata | undefined {
  return list?.find((m) => m.name === name);
}

function tensorMeta(m: ValueMetadata | undefined): { type: string; shape: readonly (number | string)[] } | undefined {
  return m?.isTensor ? { type: m.type, shape: m.shape } : undefined;
}

/**
 * Checks a session's inputs and outputs (names, and dtypes/shapes where the runtime exposes
 * metadata) against the manifest, before anything runs. Every problem is a DYNAMO_MODEL_FORMAT
 * error naming the file, the tensor and the expected shape.
 */
export function inspectGraph(
  session: Pick<OrtSession, 'inputNames' | 'outputNames'> & {
    inputMetadata?: readonly ValueMetadata[];
    outputMetadata?: readonly ValueMetadata[];
  },
  manifest: ModelManifest,
  file: string,
  /**
   * A plain export (no dynamo.json): KV heads and head size are read from the cache inputs' shapes
   * (config.json's head_dim is optional and num_key_value_heads differs between families).
   */
  fromConfig = false,
): GraphSpec {
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  const C = manifest.io.cacheLayers;
  const E = manifest.heads - 1;
  const V = manifest.vocabSize;
  let { attentionHeads: A, headDim: D } = manifest.architecture;
  if (fromConfig) {
    const s = tensorMeta(metaOf(session.inputMetadata, 'past_key_values.0.key'))?.shape;
    if (s && s.length === 4 && typeof s[1] === 'number' && s[1] > 0) A = s[1];
    if (s && s.length === 4 && typeof s[3] === 'number' && s[3] > 0) D = s[3];
  }
  const pastShape = `[batch, ${A}, past_sequence, ${D}]`;

  const need = (set: Set<string>, name: string, shape: string, kind: 'input' | 'output') => {
    if (!set.has(name)) {
      throw formatError(
        file,
        name,
        shape,
        'missing',
        `the graph has no ${kind} "${name}" (expected ${shape}; the manifest says ${manifest.heads} head(s), ` +
          `${C} cache layer(s)). Graph ${kind}s: ${[...set].join(', ')}.`,
      );
    }
  };

  need(inputs, 'input_ids', '[batch, sequence] int64', 'input');
  need(inputs, 'attention_mask', '[batch, past_sequence + sequence] int64', 'input');
  const pastNames: string[] = [];
  const presentNames: string[] = [];
  for (let i = 0; i < C; i++) {
    for (const kv of ['key', 'value']) {
      need(inputs, `past_key_values.${i}.${kv}`, pastShape, 'input');
      need(outputs, `present.${i}.${kv}`, `[batch, ${A}, past_sequence + sequence, ${D}]`, 'output');
      pastNames.push(`past_key_values.${i}.${kv}`);
      presentNames.push(`present.${i}.${kv}`);
    }
  }
  if (inputs.has(`past_key_values.${C}.key`)) {
    let n = C;
    while (inputs.has(`past_key_values.${n}.key`)) n++;
    throw formatError(
      file,
      `past_key_values.${C}.key`,
      `${C} cache layers`,
      `${n} cache layers`,
      `the graph has ${n} cache layers but the manifest says io.cacheLayers = ${C}.`,
    );
  }
  const known = new Set([...pastNames, 'input_ids', 'attention_mask', ...OPTIONAL_INPUTS]);
  for (const name of inputs) {
    if (!known.has(name)) {
      throw formatError(
        file,
        name,
        'no such input',
        'present',
        `unexpected graph input "${name}" (not an input of the DynaMo.js model format, https://github.com/dynamojs/dynamojs/blob/main/docs/model-format.md).`,
      );
    }
  }
  need(outputs, 'logits', `[batch, kept_positions, ${V}]`, 'output');
  if (E > 0) need(outputs, 'head_logits', `[batch, ${E}, kept_positions, ${V}]`, 'output');
  if (inputs.has('num_logits_to_keep') && inputs.has('logits_to_keep')) {
    throw formatError(
      file,
      'logits_to_keep',
      'num_logits_to_keep or logits_to_keep',
      'both',
      'the graph has both "num_logits_to_keep" and "logits_to_keep" inputs.',
    );
  }
  if (manifest.io.numLogitsToKeep) need(inputs, 'num_logits_to_keep', '[] int64 scalar', 'input');
  if (manifest.io.numHeadLogitsToKeep && E > 0) need(inputs, 'num_head_logits_to_keep', '[] int64 scalar', 'input');
  const rowsShape = '[rows] int64';
  if (manifest.io.headLogitsRows && E > 0) need(inputs, 'head_logits_rows', rowsShape, 'input');
  if (inputs.has('head_logits_rows') && inputs.has('num_head_logits_to_keep')) {
    throw formatError(
      file,
      'head_logits_rows',
      'head_logits_rows or num_head_logits_to_keep',
      'both',
      'the graph has both "head_logits_rows" and "num_head_logits_to_keep": a graph selects the extra heads\' ' +
        'rows with one of them (https://github.com/dynamojs/dynamojs/blob/main/docs/model-format.md).',
    );
  }
  const treeShape = '[batch, sequence, sequence] int64';
  if (manifest.io.treeAttention) need(inputs, 'tree_attention_mask', treeShape, 'input');
  if (inputs.has('tree_attention_mask') && !inputs.has('position_ids')) {
    throw formatError(
      file,
      'position_ids',
      '[batch, sequence] int64',
      'missing',
      'the graph has "tree_attention_mask" but no "position_ids" input: a token tree needs per-node positions.',
    );
  }

  // dtypes and shapes, where the runtime tells us
  const inMeta = session.inputMetadata;
  const outMeta = session.outputMetadata;
  let kvType: 'float32' | 'float16' = 'float32';
  const ids = tensorMeta(metaOf(inMeta, 'input_ids'));
  if (ids && ids.type !== 'int64') {
    throw formatError(file, 'input_ids', 'int64', ids.type, `input "input_ids" must be int64, got ${ids.type}.`);
  }
  for (let i = 0; i < pastNames.length; i++) {
    const name = pastNames[i] as string;
    const m = tensorMeta(metaOf(inMeta, name));
    if (!m) continue;
    if (m.type !== 'float32' && m.type !== 'float16') {
      throw formatError(file, name, 'float32', m.type, `input "${name}" must be float32 (or float16), got ${m.type}.`);
    }
    if (i === 0) kvType = m.type;
    else if (m.type !== kvType) {
      throw formatError(file, name, kvType, m.type, `cache inputs mix ${kvType} and ${m.type} ("${name}").`);
    }
    const s = m.shape;
    if (s.length !== 4 || (typeof s[1] === 'number' && s[1] !== A) || (typeof s[3] === 'number' && s[3] !== D)) {
      throw formatError(
        file,
        name,
        pastShape,
        shapeText(s),
        `input "${name}" has shape ${shapeText(s)}, expected ${pastShape} ` +
          `(architecture.attentionHeads = ${A}, architecture.headDim = ${D}).`,
      );
    }
  }
  const rows = tensorMeta(metaOf(inMeta, 'head_logits_rows'));
  if (rows && (rows.type !== 'int64' || rows.shape.length !== 1)) {
    throw formatError(
      file,
      'head_logits_rows',
      rowsShape,
      `${shapeText(rows.shape)} ${rows.type}`,
      `input "head_logits_rows" has shape ${shapeText(rows.shape)} ${rows.type}, expected ${rowsShape}.`,
    );
  }
  const tree = tensorMeta(metaOf(inMeta, 'tree_attention_mask'));
  if (tree && (tree.type !== 'int64' || tree.shape.length !== 3)) {
    throw formatError(
      file,
      'tree_attention_mask',
      treeShape,
      `${shapeText(tree.shape)} ${tree.type}`,
      `input "tree_attention_mask" has shape ${shapeText(tree.shape)} ${tree.type}, expected ${treeShape}.`,
    );
  }
  const logits = tensorMeta(metaOf(outMeta, 'logits'));
  let logitsType: 'float32' | 'float16' = 'float32';
  if (logits) {
    const s = logits.shape;
    const expected = `[batch, kept_positions, ${V}] float32`;
    if (logits.type === 'float16' && E === 0) logitsType = 'float16';
    if (
      (logits.type !== 'float32' && logitsType !== 'float16') ||
      s.length !== 3 ||
      (typeof s[2] === 'number' && s[2] !== V)
    ) {
      throw formatError(
        file,
        'logits',
        expected,
        `${shapeText(s)} ${logits.type}`,
        `output "logits" has shape ${shapeText(s)} ${logits.type}, expected ${expected} (vocabSize = ${V}).`,
      );
    }
  }
  const head = E > 0 ? tensorMeta(metaOf(outMeta, 'head_logits')) : undefined;
  if (head) {
    const s = head.shape;
    const expected = `[batch, ${E}, kept_positions, ${V}] float32`;
    if (
      head.type !== 'float32' ||
      s.length !== 4 ||
      (typeof s[1] === 'number' && s[1] !== E) ||
      (typeof s[3] === 'number' && s[3] !== V)
    ) {
      throw formatError(
        file,
        'head_logits',
        expected,
        `${shapeText(s)} ${head.type}`,
        `output "head_logits" has shape ${shapeText(s)} ${head.type}, expected ${expected} (heads - 1 = ${E}, vocabSize = ${V}).`,
      );
    }
  }
  let hiddenSize = 0;
  if (outputs.has('hidden_states')) {
    hiddenSize = manifest.architecture.hiddenSize;
    const hs = tensorMeta(metaOf(outMeta, 'hidden_states'));
    const expected = `[batch, kept_positions, ${hiddenSize}] float32`;
    if (
      hs &&
      (hs.type !== 'float32' ||
        hs.shape.length !== 3 ||
        (typeof hs.shape[2] === 'number' && hs.shape[2] !== hiddenSize))
    ) {
      throw formatError(
        file,
        'hidden_states',
        expected,
        `${shapeText(hs.shape)} ${hs.type}`,
        `output "hidden_states" has shape ${shapeText(hs.shape)} ${hs.type}, expected ${expected} (architecture.hiddenSize = ${hiddenSize}).`,
      );
    }
  }
  return {
    cacheLayers: C,
    hiddenSize,
    kvHeads: A,
    headDim: D,
    kvType,
    hasPositionIds: inputs.has('position_ids'),
    hasLogitsToKeep: inputs.has('num_logits_to_keep') || inputs.has('logits_to_keep'),
    logitsToKeepName: inputs.has('logits_to_keep') ? 'logits_to_keep' : 'num_logits_to_keep',
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    logitsType,
    hasHeadLogitsToKeep: inputs.has('num_head_logits_to_keep'),
    hasHeadLogitsRows: E > 0 && inputs.has('head_logits_rows'),
    hasTreeAttention: inputs.has('tree_attention_mask'),
    extraHeads: E,
    pastNames,
    presentNames,
  };
}
