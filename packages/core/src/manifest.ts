import { DynamoError, DynamoErrorCode } from './errors.js';
import type { DecodingDefaults, SpecialTokenIds } from './model.js';

/** The manifest format this version of DynaMo.js reads (docs/model-format.md). */
export const MANIFEST_FORMAT = 'dynamo-model';
export const MANIFEST_FORMAT_VERSION = 1;

export type ManifestFileRole = 'model' | 'tokenizer' | 'ngrams' | 'base-model' | 'draft-head' | (string & {});

export interface ManifestFile {
  readonly role: ManifestFileRole;
  /** e.g. "fp32", "mixed", "q8" for model files. */
  readonly variant?: string;
  /**
   * This file is the one a loader picks for its role when no variant is asked for (at most one
   * file per role). Without a default, model loaders pick the "fp32" variant.
   */
  readonly default?: boolean;
  /** Relative to the manifest. */
  readonly path: string;
  readonly sha256?: string;
  readonly bytes?: number;
  /**
   * ONNX external-data files of a model file (weights stored outside the protobuf, e.g. models over
   * 2 GB), each relative to the manifest and in the same folder as the `.onnx` file (the graph's
   * tensors name them by file name).
   */
  readonly externalData?: readonly ManifestDataFile[];
}

/** One external-data file of a model file. */
export interface ManifestDataFile {
  readonly path: string;
  readonly sha256?: string;
  readonly bytes?: number;
}

export interface ManifestArchitecture {
  readonly type: string;
  readonly layers: number;
  readonly headLayers: number;
  readonly hiddenSize: number;
  readonly attentionHeads: number;
  readonly headDim: number;
  readonly intermediateSize?: number;
  readonly rotaryPct?: number;
  readonly rotaryBase?: number;
  readonly layerNormEps?: number;
}

export interface ManifestIo {
  /** Base layers + head layers: the number of past_key_values.{i} pairs. */
  readonly cacheLayers: number;
  /** The graph has the `num_logits_to_keep` input (head 1's logits for the last K new positions only). */
  readonly numLogitsToKeep?: boolean;
  /** The graph has the `num_head_logits_to_keep` input (the extra heads' logits for the last K2 only). */
  readonly numHeadLogitsToKeep?: boolean;
  /**
   * The graph has the `head_logits_rows` input: the extra heads' logits only at the listed rows
   * (`ForwardOptions.headPositions` as a list of node indices).
   */
  readonly headLogitsRows?: boolean;
  /**
   * The graph has the `tree_attention_mask` input: one pass can run a tree of new tokens
   * (`ForwardOptions.tree`). Without it a model runs chains only.
   */
  readonly treeAttention?: boolean;
}

/** `dynamo.json`, validated. */
export interface ModelManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: typeof MANIFEST_FORMAT_VERSION;
  readonly name: string;
  readonly heads: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly specialTokens: SpecialTokenIds;
  readonly architecture: ManifestArchitecture;
  readonly io: ManifestIo;
  readonly files: readonly ManifestFile[];
  readonly decoding?: DecodingDefaults;
  readonly provenance?: Record<string, unknown>;
  readonly quality?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

function fail(file: string, field: string, expected: string, actual: unknown): never {
  throw new DynamoError(
    DynamoErrorCode.MODEL_FORMAT,
    `${file}: field "${field}" must be ${expected}, got ${JSON.stringify(actual) ?? String(actual)}.`,
    { details: { file, field, expected, actual } },
  );
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(o: Obj, key: string, file: string, prefix: string, min: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    fail(file, prefix + key, `an integer ≥ ${min}`, v);
  }
  return v;
}

function optInt(o: Obj, key: string, file: string, prefix: string, min: number): number | undefined {
  return o[key] === undefined ? undefined : int(o, key, file, prefix, min);
}

function optBool(o: Obj, key: string, file: string, prefix: string): boolean | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'boolean') fail(file, prefix + key, 'true or false', v);
  return v as boolean | undefined;
}

function str(o: Obj, key: string, file: string, prefix: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) fail(file, prefix + key, 'a non-empty string', v);
  return v;
}

/**
 * Validates a parsed `dynamo.json` (or its text) and returns it typed. Every problem is a
 * DYNAMO_MODEL_FORMAT error naming the file and the field.
 */
export function parseManifest(input: unknown, file = 'dynamo.json'): ModelManifest {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (cause) {
      throw new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${file}: not valid JSON (${(cause as Error).message}).`, {
        details: { file },
        cause,
      });
    }
  }
  if (!isObj(raw)) fail(file, '(root)', 'a JSON object', raw);
  if (raw.format !== MANIFEST_FORMAT) fail(file, 'format', JSON.stringify(MANIFEST_FORMAT), raw.format);
  if (raw.formatVersion !== MANIFEST_FORMAT_VERSION) {
    fail(
      file,
      'formatVersion',
      `${MANIFEST_FORMAT_VERSION} (this version of DynaMo.js reads only that)`,
      raw.formatVersion,
    );
  }
  const name = str(raw, 'name', file, '');
  const heads = int(raw, 'heads', file, '', 1);
  const vocabSize = int(raw, 'vocabSize', file, '', 1);
  const contextLength = int(raw, 'contextLength', file, '', 1);

  const st = raw.specialTokens ?? {};
  if (!isObj(st)) fail(file, 'specialTokens', 'an object', st);
  const specialTokens: SpecialTokenIds = {};
  for (const key of ['eos', 'bos', 'pad'] as const) {
    const id = optInt(st, key, file, 'specialTokens.', 0);
    if (id !== undefined) {
      if (id >= vocabSize) fail(file, `specialTokens.${key}`, `an id < vocabSize (${vocabSize})`, id);
      (specialTokens as Record<string, number>)[key] = id;
    }
  }

  const a = raw.architecture;
  if (!isObj(a)) fail(file, 'architecture', 'an object', a);
  const architecture: ManifestArchitecture = {
    type: str(a, 'type', file, 'architecture.'),
    layers: int(a, 'layers', file, 'architecture.', 1),
    headLayers: int(a, 'headLayers', file, 'architecture.', 0),
    hiddenSize: int(a, 'hiddenSize', file, 'architecture.', 1),
    attentionHeads: int(a, 'attentionHeads', file, 'architecture.', 1),
    headDim: int(a, 'headDim', file, 'architecture.', 1),
    ...(a.intermediateSize !== undefined && { intermediateSize: int(a, 'intermediateSize', file, 'architecture.', 1) }),
    ...(typeof a.rotaryPct === 'number' && { rotaryPct: a.rotaryPct }),
    ...(typeof a.rotaryBase === 'number' && { rotaryBase: a.rotaryBase }),
    ...(typeof a.layerNormEps === 'number' && { layerNormEps: a.layerNormEps }),
  };
  if (architecture.headLayers !== heads - 1) {
    fail(file, 'architecture.headLayers', `heads - 1 = ${heads - 1}`, architecture.headLayers);
  }

  const io = raw.io;
  if (!isObj(io)) fail(file, 'io', 'an object', io);
  const cacheLayers = int(io, 'cacheLayers', file, 'io.', 1);
  if (cacheLayers !== architecture.layers + architecture.headLayers) {
    fail(file, 'io.cacheLayers', `layers + headLayers = ${architecture.layers + architecture.headLayers}`, cacheLayers);
  }
  const numLogitsToKeep = optBool(io, 'numLogitsToKeep', file, 'io.');
  const numHeadLogitsToKeep = optBool(io, 'numHeadLogitsToKeep', file, 'io.');
  const headLogitsRows = optBool(io, 'headLogitsRows', file, 'io.');
  const treeAttention = optBool(io, 'treeAttention', file, 'io.');

  if (!Array.isArray(raw.files) || raw.files.length === 0) fail(file, 'files', 'a non-empty array', raw.files);
  const fileRef = (f: Obj, prefix: string): ManifestDataFile => {
    const path = str(f, 'path', file, prefix);
    if (path.startsWith('/') || path.split(/[\\/]/).includes('..') || /^[a-z]+:/i.test(path)) {
      fail(file, `${prefix}path`, 'a relative path inside the model folder', path);
    }
    const sha256 = f.sha256;
    if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256))) {
      fail(file, `${prefix}sha256`, 'a 64-digit hex string', sha256);
    }
    return {
      path,
      ...(sha256 !== undefined && { sha256: (sha256 as string).toLowerCase() }),
      ...(f.bytes !== undefined && { bytes: int(f, 'bytes', file, prefix, 0) }),
    };
  };
  const files: ManifestFile[] = raw.files.map((f: unknown, i: number) => {
    const prefix = `files[${i}].`;
    if (!isObj(f)) fail(file, `files[${i}]`, 'an object', f);
    const ref = fileRef(f, prefix);
    let externalData: ManifestDataFile[] | undefined;
    if (f.externalData !== undefined) {
      if (!Array.isArray(f.externalData)) fail(file, `${prefix}externalData`, 'an array of files', f.externalData);
      const dir = ref.path.includes('/') ? ref.path.slice(0, ref.path.lastIndexOf('/') + 1) : '';
      externalData = f.externalData.map((d: unknown, j: number) => {
        const p = `${prefix}externalData[${j}].`;
        if (!isObj(d)) fail(file, `${prefix}externalData[${j}]`, 'an object', d);
        const data = fileRef(d, p);
        const rest = data.path.slice(dir.length);
        if (!data.path.startsWith(dir) || rest.includes('/') || rest.includes('\\')) {
          fail(file, `${p}path`, `a file in the same folder as ${ref.path}`, data.path);
        }
        return data;
      });
    }
    const isDefault = optBool(f, 'default', file, prefix);
    return {
      role: str(f, 'role', file, prefix),
      path: ref.path,
      ...(typeof f.variant === 'string' && { variant: f.variant }),
      ...(isDefault !== undefined && { default: isDefault }),
      ...(ref.sha256 !== undefined && { sha256: ref.sha256 }),
      ...(ref.bytes !== undefined && { bytes: ref.bytes }),
      ...(externalData !== undefined && { externalData }),
    };
  });
  if (!files.some((f) => f.role === 'model'))
    fail(file, 'files', 'a list with at least one role "model" entry', raw.files);
  const defaults = new Map<string, number>();
  for (const [i, f] of files.entries()) {
    if (!f.default) continue;
    const other = defaults.get(f.role);
    if (other !== undefined) {
      fail(file, `files[${i}].default`, `false: files[${other}] is already the default "${f.role}" file`, true);
    }
    defaults.set(f.role, i);
  }

  const decoding = raw.decoding;
  if (decoding !== undefined && !isObj(decoding)) fail(file, 'decoding', 'an object', decoding);

  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    name,
    heads,
    vocabSize,
    contextLength,
    specialTokens,
    architecture,
    io: {
      cacheLayers,
      ...(numLogitsToKeep !== undefined && { numLogitsToKeep }),
      ...(numHeadLogitsToKeep !== undefined && { numHeadLogitsToKeep }),
      ...(headLogitsRows !== undefined && { headLogitsRows }),
      ...(treeAttention !== undefined && { treeAttention }),
    },
    files,
    ...(decoding !== undefined && { decoding: decoding as DecodingDefaults }),
    ...(isObj(raw.provenance) && { provenance: raw.provenance }),
    ...(isObj(raw.quality) && { quality: raw.quality }),
  };
}
