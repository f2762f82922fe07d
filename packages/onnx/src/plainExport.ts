import { DynamoError, DynamoErrorCode, type ModelManifest, parseManifest } from '@dynamojs/core';
import type { LoadOptions } from './loadOptions.js';
import { parseJsonFile } from './modelFiles.js';
import type { ResolvedModel } from './resolveModel.js';
import type { ModelSource } from './source.js';

/** transformers.js dtype → file suffix in onnx/ (model{suffix}.onnx), as in its utils/dtypes.js (4.3). */
const AR_VARIANTS: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
  q2: '_q2',
  q2f16: '_q2f16',
  q1: '_q1',
  q1f16: '_q1f16',
};

/** Model types whose position_ids transformers.js counts from 1 (modeling_utils.js decoder_forward). */
const ONE_BASED_POSITIONS = new Set(['paligemma', 'gemma3_text', 'gemma3']);

/** transformers.js's most external-data chunks of one file (utils/hub.js MAX_EXTERNAL_DATA_CHUNKS). */
const MAX_CHUNKS = 100;

/** config.json's `transformers.js_config`, the fields that choose files. */
interface TransformersJsConfig {
  readonly dtype?: unknown;
  readonly use_external_data_format?: unknown;
  readonly device_config?: Record<string, TransformersJsConfig>;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * `transformers.js_config`, with `device_config[device]` laid over it as transformers.js does
 * (session.js getSession) when the device is named ('auto' picks the device later: no overlay).
 */
function transformersJsConfig(config: Record<string, unknown>, device: string | undefined): TransformersJsConfig {
  const custom = (record(config['transformers.js_config']) ?? {}) as TransformersJsConfig;
  const overlay = device && device !== 'auto' ? record(record(custom.device_config)?.[device]) : undefined;
  return overlay ? { ...custom, ...overlay } : custom;
}

/** A dtype setting (a string, or a per-file object keyed "model" for a decoder's single graph). */
function dtypeFor(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const r = record(v);
  return typeof r?.model === 'string' ? r.model : undefined;
}

/** transformers.js's resolveExternalDataFormat: how many `{file}_data[_i]` chunks a file has. */
function externalChunks(v: unknown, fullName: string): number {
  if (!v) return 0;
  const r = record(v);
  const n = r ? Number(r[fullName] ?? r.model ?? 0) : Number(v);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function num(o: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
  return undefined;
}

/** `eos_token_id` as a list (a number or a list of numbers in config.json / generation_config.json). */
function eosList(v: unknown): number[] | undefined {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

/** A 1-head manifest for a plain transformers.js / Optimum export, from its config.json. */
function manifestFromConfig(config: unknown, modelPath: string, file: string): ModelManifest {
  if (typeof config !== 'object' || config === null) {
    throw new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${file}: not a JSON object.`, { details: { file } });
  }
  const c = config as Record<string, unknown>;
  if (typeof c.model_type !== 'string' || c.model_type === '') {
    throw new DynamoError(
      DynamoErrorCode.MODEL_FORMAT,
      `${file}: no "model_type" (a transformers.js export's config.json names its architecture, e.g. "llama").`,
      { details: { file, field: 'model_type' } },
    );
  }
  const layers = num(c, 'num_hidden_layers', 'n_layer', 'num_layers');
  const heads = num(c, 'num_key_value_heads', 'num_attention_heads', 'n_head');
  const attn = num(c, 'num_attention_heads', 'n_head');
  const hidden = num(c, 'hidden_size', 'n_embd', 'd_model');
  const headDim = num(c, 'head_dim') ?? (hidden !== undefined && attn ? hidden / attn : undefined);
  const eos = eosList(c.eos_token_id)?.[0];
  const bos = num(c, 'bos_token_id');
  const pad = num(c, 'pad_token_id');
  return parseManifest(
    {
      format: 'dynamo-model',
      formatVersion: 1,
      name: typeof c._name_or_path === 'string' && c._name_or_path ? c._name_or_path : String(c.model_type ?? 'model'),
      heads: 1,
      vocabSize: num(c, 'vocab_size'),
      contextLength: num(c, 'max_position_embeddings', 'n_positions', 'max_seq_len', 'n_ctx') ?? 2048,
      specialTokens: {
        ...(eos !== undefined && { eos }),
        ...(bos !== undefined && { bos }),
        ...(pad !== undefined && { pad }),
      },
      architecture: {
        type: String(c.model_type ?? 'unknown'),
        layers,
        headLayers: 0,
        hiddenSize: hidden,
        attentionHeads: heads,
        headDim,
      },
      io: { cacheLayers: layers },
      files: [{ role: 'model', path: modelPath }],
    },
    file,
  );
}

/**
 * A plain transformers.js / Optimum export (config.json + onnx/model{suffix}.onnx, no dynamo.json)
 * as a 1-head model. The file is chosen as transformers.js chooses it: the `dtype` (or `variant`)
 * option, else config.json's `transformers.js_config.dtype` (with `device_config[device]` laid over
 * it), else q8 on wasm (fp32 when the folder has no model_quantized.onnx), fp32 elsewhere; its
 * external data as `transformers.js_config.use_external_data_format` lists it, else as found.
 */
export async function resolvePlainExport(
  source: ModelSource,
  options: LoadOptions,
  configBytes: Uint8Array,
): Promise<ResolvedModel> {
  const file = source.locate('config.json');
  const config = parseJsonFile(configBytes, file, DynamoErrorCode.MODEL_FORMAT);
  const custom = transformersJsConfig(record(config) ?? {}, options.device);
  const option = options.dtype !== undefined ? 'dtype' : 'variant';
  const asked = options.dtype ?? options.variant;
  if (asked !== undefined && asked !== 'auto' && AR_VARIANTS[asked] === undefined) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "${option}" must be one of "auto", ${Object.keys(AR_VARIANTS)
        .map((v) => JSON.stringify(v))
        .join(', ')} for a transformers.js export, got ${JSON.stringify(asked)}.`,
      { details: { option, actual: asked } },
    );
  }
  // as transformers.js's selectDtype: the option, else config.json's transformers.js_config dtype
  // (device_config overlaid), else the device's default: q8 on wasm, fp32 elsewhere
  const configured = dtypeFor(custom.dtype);
  let variant = asked !== undefined && asked !== 'auto' ? asked : configured;
  if (variant === 'auto' || (variant !== undefined && AR_VARIANTS[variant] === undefined)) variant = undefined;
  let modelBytes: Uint8Array | undefined;
  if (variant === undefined) {
    variant = 'fp32';
    if (options.device === 'wasm') {
      // transformers.js fails without model_quantized.onnx; fp32 is used then (the bytes read are kept)
      modelBytes = await source.read('onnx/model_quantized.onnx');
      if (modelBytes) variant = 'q8';
    }
  }
  const suffix = AR_VARIANTS[variant] as string;
  const path = `onnx/model${suffix}.onnx`;
  let manifest = manifestFromConfig(config, path, file);
  let eosTokenIds = eosList((config as Record<string, unknown>).eos_token_id);
  const genBytes = await source.read('generation_config.json');
  if (genBytes) {
    const gen = parseJsonFile(genBytes, source.locate('generation_config.json'), DynamoErrorCode.MODEL_FORMAT);
    const list =
      typeof gen === 'object' && gen !== null ? eosList((gen as Record<string, unknown>).eos_token_id) : undefined;
    if (list) {
      eosTokenIds = list;
      manifest = { ...manifest, specialTokens: { ...manifest.specialTokens, eos: list[0] as number } };
    }
  }
  // external data: the chunks transformers.js_config lists (model.onnx_data, model.onnx_data_1, …),
  // required; else whichever of those (or model.onnx.data) the folder has
  const chunks = Math.min(externalChunks(custom.use_external_data_format, `model${suffix}.onnx`), MAX_CHUNKS);
  const externalData = Array.from({ length: chunks }, (_, i) => ({ path: `${path}_data${i === 0 ? '' : `_${i}`}` }));
  const modelType = (config as Record<string, unknown>).model_type as string;
  return {
    manifest,
    plainExport: true,
    ...(eosTokenIds && { eosTokenIds }),
    entry: { role: 'model', variant, path, ...(chunks > 0 && { externalData }) },
    ...(modelBytes && { modelBytes }),
    tokenizerEntry: { role: 'tokenizer', path: 'tokenizer.json' },
    baseOnly: false,
    ...(ONE_BASED_POSITIONS.has(modelType) && { positionOffset: 1 }),
    ...(chunks === 0 && { probeExternalData: [`${path}_data`, `${path}.data`] }),
  };
}
