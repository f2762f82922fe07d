import { DynamoError, DynamoErrorCode, type ModelManifest, parseManifest } from '@dynamojs/core';
import type { LoadOptions } from './loadOptions.js';
import { parseJsonFile } from './modelFiles.js';
import type { ResolvedModel } from './resolveModel.js';
import type { ModelSource } from './source.js';

/** transformers.js dtype → file suffix in onnx/ (model{suffix}.onnx). */
const AR_VARIANTS: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

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
 * as a 1-head model: the `variant` option picks the file by transformers.js dtype.
 */
export async function resolvePlainExport(
  source: ModelSource,
  options: LoadOptions,
  configBytes: Uint8Array,
): Promise<ResolvedModel> {
  // transformers.js's default: q8 on wasm (when the folder has it), else fp32
  const variant =
    options.dtype ??
    options.variant ??
    (options.device === 'wasm' && (await source.read('onnx/model_quantized.onnx')) ? 'q8' : 'fp32');
  const suffix = AR_VARIANTS[variant];
  if (suffix === undefined) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "${options.dtype !== undefined ? 'dtype' : 'variant'}" must be one of ${Object.keys(AR_VARIANTS)
        .map((v) => JSON.stringify(v))
        .join(', ')} for a transformers.js export, got ${JSON.stringify(variant)}.`,
      { details: { option: options.dtype !== undefined ? 'dtype' : 'variant', actual: variant } },
    );
  }
  const file = source.locate('config.json');
  const config = parseJsonFile(configBytes, file, DynamoErrorCode.MODEL_FORMAT);
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
  return {
    manifest,
    plainExport: true,
    ...(eosTokenIds && { eosTokenIds }),
    entry: { role: 'model', variant, path },
    tokenizerEntry: { role: 'tokenizer', path: 'tokenizer.json' },
    baseOnly: false,
    // Optimum / transformers.js name a large model's weights file `model.onnx_data`
    probeExternalData: [`${path}_data`, `${path}.data`],
  };
}
