import {
  DynamoError,
  DynamoErrorCode,
  isDynamoError,
  type ManifestFile,
  type ModelManifest,
  parseManifest,
  throwIfAborted,
} from '@dynamojs/core';
import { compactModelBytes } from './compactModel.js';
import {
  DEVICE_NAMES,
  type DeviceName,
  type DevicePlatform,
  type DeviceProbe,
  type DeviceRequest,
  errorMessage,
  selectDevice,
} from './devices.js';
import { inspectDraftHeadGraph, OnnxDraftHead } from './draftHead.js';
import { inspectGraph } from './graph.js';
import { OnnxModel } from './model.js';
import type { OrtRuntime, OrtSession, SessionOptions } from './runtime.js';
import { type ModelSource, sha256Hex } from './source.js';
import { trimModelBytes } from './trimModel.js';

/** Settings for onnxruntime-web's WebAssembly backend (`ort.env.wasm`). */
export interface WasmSettings {
  /** Worker threads (1 = no workers; needs cross-origin isolation in browsers for > 1). */
  readonly numThreads?: number;
  /** Where the .wasm / .mjs files are served from (a CDN URL prefix or per-file map), for bundlers. */
  readonly wasmPaths?: string | Record<string, string>;
  /** Run the wasm backend in a web worker. */
  readonly proxy?: boolean;
}

export interface LoadOptions {
  /** `'auto'` (default) tries the best available device and falls back; see `model.deviceReport`. */
  readonly device?: DeviceRequest;
  /**
   * Which model file: a `variant` of a `role: "model"` file (`'fp32'`, `'mixed'`, `'q8'`, …).
   * Default: the file the manifest marks `"default": true`, else `'fp32'`.
   */
  readonly variant?: string;
  /** Load the base-only graph (`base/onnx/model.onnx`) as a 1-head model: the plain AR baseline. */
  readonly baseOnly?: boolean;
  /**
   * Also load the model's sequential draft head (the manifest's `draft-head` file) on the same
   * device: `model.draftHead`, which `dynamoChain()` samplers continue each pass with. Needs a graph
   * with hidden-state outputs (the base-only graph of model-tiny has them). DYNAMO_MODEL_LOAD when
   * the manifest lists no draft head, DYNAMO_MODEL_FORMAT when the graph has no `hidden_states`.
   * Default false.
   */
  readonly draftHead?: boolean;
  /** Check files' sha256 against the manifest (sizes are always checked when recorded). */
  readonly verifyChecksums?: boolean;
  /** A tokenizer (anything with `vocabSize`) whose vocabulary must match the model's. */
  readonly tokenizer?: { readonly vocabSize: number };
  /**
   * Read the model's tokenizer.json and check its vocabulary size against the model.
   * Default: true for folders and buffers, false for URLs (it would download it twice).
   */
  readonly checkTokenizerFile?: boolean;
  /** Accept a tokenizer smaller than the model's (padded) vocabulary, e.g. Pythia's 50277 vs 50304. */
  readonly allowVocabPadding?: boolean;
  /** ONNX Runtime session options, passed through (`executionProviders` is set from `device`). */
  readonly sessionOptions?: SessionOptions;
  /** Extra options for a device's execution provider, e.g. `{ cuda: { deviceId: 1 } }`. */
  readonly providerOptions?: Partial<Record<DeviceName, Record<string, unknown>>>;
  /** onnxruntime-web's wasm settings (browser / web entry). */
  readonly wasm?: WasmSettings;
  /** Keep the KV cache in device memory on WebGPU (`preferredOutputLocation: 'gpu-buffer'`). Default true. */
  readonly keepCacheOnDevice?: boolean;
  /** Replaces the availability check of each device (tests; ruling out a device). */
  readonly deviceProbe?: DeviceProbe;
  readonly signal?: AbortSignal;
}

/** What a platform entry (node / web) gives the shared loader. */
export interface LoaderContext {
  readonly ort: OrtRuntime;
  readonly platform: DevicePlatform;
  readonly source: ModelSource;
}

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

const decoder = new TextDecoder();

function loadError(message: string, file?: string, cause?: unknown): DynamoError {
  return new DynamoError(DynamoErrorCode.MODEL_LOAD, message, {
    ...(file !== undefined && { details: { file } }),
    ...(cause !== undefined && { cause }),
  });
}

async function readRequired(source: ModelSource, path: string, why: string): Promise<Uint8Array> {
  const bytes = await source.read(path);
  if (!bytes) throw loadError(`Missing file ${source.locate(path)} (${why}).`, source.locate(path));
  return bytes;
}

async function checkFile(source: ModelSource, entry: ManifestFile, bytes: Uint8Array, verify: boolean): Promise<void> {
  const file = source.locate(entry.path);
  if (entry.bytes !== undefined && entry.bytes > 0 && bytes.byteLength !== entry.bytes) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_FORMAT,
      `${file} is ${bytes.byteLength} bytes but dynamo.json says ${entry.bytes}` +
        (bytes.byteLength < entry.bytes ? ' (truncated download?).' : ' (wrong file?).'),
      { details: { file, expected: entry.bytes, actual: bytes.byteLength } },
    );
  }
  if (verify && entry.sha256 !== undefined) {
    const actual = await sha256Hex(bytes);
    if (actual !== entry.sha256) {
      throw new DynamoError(
        DynamoErrorCode.CHECKSUM_MISMATCH,
        `${file}: sha256 ${actual} differs from dynamo.json's ${entry.sha256}.`,
        { details: { file, expected: entry.sha256, actual } },
      );
    }
  }
}

/** Vocabulary size of a Hugging Face tokenizer.json: highest id + 1 over the model's vocab and added tokens. */
export function tokenizerVocabSize(json: unknown, file = 'tokenizer.json'): number {
  const bad = () =>
    new DynamoError(DynamoErrorCode.TOKENIZER_FORMAT, `${file}: no "model.vocab" found.`, { details: { file } });
  if (typeof json !== 'object' || json === null) throw bad();
  const t = json as { model?: { vocab?: unknown }; added_tokens?: { id?: unknown }[] };
  const vocab = t.model?.vocab;
  let max = -1;
  if (Array.isArray(vocab)) max = vocab.length - 1;
  else if (typeof vocab === 'object' && vocab !== null) {
    for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  } else throw bad();
  for (const a of t.added_tokens ?? []) if (typeof a?.id === 'number' && a.id > max) max = a.id;
  return max + 1;
}

function checkVocab(
  modelVocab: number,
  tokenizerVocab: number,
  what: string,
  allowPadding: boolean,
  file?: string,
): void {
  if (tokenizerVocab === modelVocab || (allowPadding && tokenizerVocab < modelVocab)) return;
  throw new DynamoError(
    DynamoErrorCode.VOCAB_MISMATCH,
    `${what} has ${tokenizerVocab} tokens but the model's vocabulary is ${modelVocab}` +
      (tokenizerVocab < modelVocab ? ' (pass allowVocabPadding: true if the model pads its embedding).' : '.'),
    { details: { ...(file !== undefined && { file }), expected: modelVocab, actual: tokenizerVocab } },
  );
}

interface ResolvedModel {
  readonly manifest: ModelManifest;
  readonly entry: ManifestFile;
  /** The manifest's draft-head file, if it lists one. */
  readonly draftEntry?: ManifestFile;
  readonly tokenizerEntry?: ManifestFile;
  readonly baseOnly: boolean;
  /** External-data files to use when present (plain exports, which have no manifest to list them). */
  readonly probeExternalData?: readonly string[];
}

/**
 * Reads a model file's external-data files (the manifest's `externalData`, required; or, for a
 * plain export, the conventional `<model>.onnx_data` / `<model>.onnx.data`, when present) as
 * ONNX Runtime's `externalData` session option: `path` is the name the graph's tensors use (the
 * file name, relative to the .onnx file's folder).
 */
async function readExternalData(
  source: ModelSource,
  resolved: Pick<ResolvedModel, 'entry' | 'probeExternalData'>,
  verify: boolean,
): Promise<{ path: string; data: Uint8Array }[]> {
  const { entry } = resolved;
  const dir = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/') + 1) : '';
  const out: { path: string; data: Uint8Array }[] = [];
  for (const d of entry.externalData ?? []) {
    const data = await readRequired(source, d.path, `external data of ${entry.path}`);
    await checkFile(source, { role: 'model-data', ...d }, data, verify);
    out.push({ path: d.path.slice(dir.length), data });
  }
  for (const path of resolved.probeExternalData ?? []) {
    const data = await source.read(path);
    if (data) {
      out.push({ path: path.slice(dir.length), data });
      break;
    }
  }
  return out;
}

function num(o: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
  return undefined;
}

/** A 1-head manifest for a plain transformers.js / Optimum export, from its config.json. */
function manifestFromConfig(config: unknown, modelPath: string, file: string): ModelManifest {
  if (typeof config !== 'object' || config === null) {
    throw new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${file}: not a JSON object.`, { details: { file } });
  }
  const c = config as Record<string, unknown>;
  const layers = num(c, 'num_hidden_layers', 'n_layer', 'num_layers');
  const heads = num(c, 'num_key_value_heads', 'num_attention_heads', 'n_head');
  const attn = num(c, 'num_attention_heads', 'n_head');
  const hidden = num(c, 'hidden_size', 'n_embd', 'd_model');
  const headDim = num(c, 'head_dim') ?? (hidden !== undefined && attn ? hidden / attn : undefined);
  const eos = num(c, 'eos_token_id');
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

async function resolveModel(source: ModelSource, options: LoadOptions): Promise<ResolvedModel> {
  const manifestBytes = await source.read('dynamo.json');
  if (manifestBytes) {
    const manifest = parseManifest(decoder.decode(manifestBytes), source.locate('dynamo.json'));
    const tokenizerEntry = manifest.files.find((f) => f.role === 'tokenizer');
    const draftEntry = manifest.files.find((f) => f.role === 'draft-head');
    const role = options.baseOnly ? 'base-model' : 'model';
    const candidates = manifest.files.filter((f) => f.role === role);
    if (candidates.length === 0) {
      throw loadError(
        `${source.locate('dynamo.json')} lists no ${role} file` +
          (options.baseOnly ? ' (baseOnly needs a base-only export).' : '.'),
        source.locate('dynamo.json'),
      );
    }
    const entry =
      options.variant === undefined
        ? (candidates.find((f) => f.default === true) ??
          candidates.find((f) => (f.variant ?? 'fp32') === 'fp32') ??
          candidates[0])
        : candidates.find((f) => (f.variant ?? 'fp32') === options.variant);
    if (!entry) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `Option "variant" must be one of ${candidates.map((f) => JSON.stringify(f.variant ?? 'fp32')).join(', ')} ` +
          `for this model's ${role} files, got ${JSON.stringify(options.variant)}.`,
        {
          details: { option: 'variant', actual: options.variant, expected: candidates.map((f) => f.variant ?? 'fp32') },
        },
      );
    }
    const extras = { ...(tokenizerEntry && { tokenizerEntry }), ...(draftEntry && { draftEntry }) };
    if (!options.baseOnly) return { manifest, entry, ...extras, baseOnly: false };
    const { architecture: a } = manifest;
    const base: ModelManifest = {
      ...manifest,
      name: `${manifest.name} (base only)`,
      heads: 1,
      architecture: { ...a, headLayers: 0 },
      io: { cacheLayers: a.layers },
      files: [{ ...entry, role: 'model' }],
    };
    return { manifest: base, entry, ...extras, baseOnly: true };
  }

  // No dynamo.json: a plain transformers.js / Optimum export (config.json + onnx/model*.onnx).
  const configBytes = await source.read('config.json');
  if (!configBytes) {
    throw loadError(
      `${source.description}: neither dynamo.json (a DynaMo model) nor config.json (a transformers.js export) found.`,
      source.locate('dynamo.json'),
    );
  }
  const variant = options.variant ?? 'fp32';
  const suffix = AR_VARIANTS[variant];
  if (suffix === undefined) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "variant" must be one of ${Object.keys(AR_VARIANTS)
        .map((v) => JSON.stringify(v))
        .join(', ')} for a transformers.js export, got ${JSON.stringify(variant)}.`,
      { details: { option: 'variant', actual: variant } },
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(decoder.decode(configBytes));
  } catch (cause) {
    throw new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${source.locate('config.json')}: not valid JSON.`, {
      details: { file: source.locate('config.json') },
      cause,
    });
  }
  const path = `onnx/model${suffix}.onnx`;
  const manifest = manifestFromConfig(config, path, source.locate('config.json'));
  return {
    manifest,
    entry: { role: 'model', variant, path },
    tokenizerEntry: { role: 'tokenizer', path: 'tokenizer.json' },
    baseOnly: false,
    // Optimum / transformers.js name a large model's weights file `model.onnx_data`
    probeExternalData: [`${path}_data`, `${path}.data`],
  };
}

/** Patterns of ONNX Runtime errors that mean "this file is not a valid model" rather than "this device failed". */
const MODEL_ERROR =
  /protobuf|ModelProto|parse|Load model|INVALID_GRAPH|INVALID_PROTOBUF|model_load|Unsupported model IR|opset/i;

function executionProvider(device: DeviceName, options: LoadOptions): SessionOptions['executionProviders'] {
  const extra = options.providerOptions?.[device];
  return [extra ? ({ name: device, ...extra } as never) : device];
}

/**
 * The runtime-agnostic loader: reads and validates the manifest (or config.json), checks sizes,
 * checksums and vocabularies, picks a device, creates the session and checks its inputs and outputs
 * against the manifest. The node and web entries call this with their runtime and file source.
 */
export async function loadWithContext(context: LoaderContext, options: LoadOptions = {}): Promise<OnnxModel> {
  const { ort, platform, source } = context;
  const requested = options.device ?? 'auto';
  if (requested !== 'auto' && !DEVICE_NAMES.includes(requested)) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "device" must be one of "auto", ${DEVICE_NAMES.map((d) => JSON.stringify(d)).join(', ')}, got ${JSON.stringify(requested)}.`,
      { details: { option: 'device', actual: requested } },
    );
  }
  throwIfAborted(options.signal, 'model load');
  const resolved = await resolveModel(source, options);
  const { manifest, entry } = resolved;
  const file = source.locate(entry.path);

  if (options.tokenizer) {
    checkVocab(manifest.vocabSize, options.tokenizer.vocabSize, 'The tokenizer', options.allowVocabPadding ?? false);
  }
  const checkTokenizerFile = options.checkTokenizerFile ?? source.kind !== 'url';
  if (checkTokenizerFile && resolved.tokenizerEntry) {
    const te = resolved.tokenizerEntry;
    const bytes = await source.read(te.path);
    if (bytes) {
      await checkFile(source, te, bytes, options.verifyChecksums ?? false);
      let json: unknown;
      try {
        json = JSON.parse(decoder.decode(bytes));
      } catch (cause) {
        throw new DynamoError(DynamoErrorCode.TOKENIZER_FORMAT, `${source.locate(te.path)}: not valid JSON.`, {
          details: { file: source.locate(te.path) },
          cause,
        });
      }
      const size = tokenizerVocabSize(json, source.locate(te.path));
      checkVocab(
        manifest.vocabSize,
        size,
        source.locate(te.path),
        options.allowVocabPadding ?? false,
        source.locate(te.path),
      );
    }
  }

  const bytes = await readRequired(
    source,
    entry.path,
    `the ${entry.role} file${entry.variant ? ` (${entry.variant})` : ''}`,
  );
  await checkFile(source, entry, bytes, options.verifyChecksums ?? false);
  const externalData = await readExternalData(source, resolved, options.verifyChecksums ?? false);
  throwIfAborted(options.signal, 'model load');

  const wasm = options.wasm;
  const envWasm = ort.env?.wasm as Record<string, unknown> | undefined;
  if (wasm && envWasm) {
    if (wasm.numThreads !== undefined) envWasm.numThreads = wasm.numThreads;
    if (wasm.wasmPaths !== undefined) envWasm.wasmPaths = wasm.wasmPaths;
    if (wasm.proxy !== undefined) envWasm.proxy = wasm.proxy;
  }

  const keepOnDevice = options.keepCacheOnDevice ?? true;
  const presentNames: string[] = [];
  for (let i = 0; i < manifest.io.cacheLayers; i++) presentNames.push(`present.${i}.key`, `present.${i}.value`);

  const open = async (device: DeviceName): Promise<OrtSession> => {
    const sessionOptions: SessionOptions = {
      ...options.sessionOptions,
      executionProviders: executionProvider(device, options),
      ...(externalData.length > 0 && { externalData }),
    };
    if (device === 'webgpu' && keepOnDevice) {
      const where: Record<string, 'gpu-buffer' | 'cpu'> = { logits: 'cpu' };
      if (manifest.heads > 1) where.head_logits = 'cpu';
      for (const n of presentNames) where[n] = 'gpu-buffer';
      (sessionOptions as { preferredOutputLocation?: unknown }).preferredOutputLocation = where;
    }
    try {
      return await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (cause) {
      const reason = errorMessage(cause);
      if (MODEL_ERROR.test(reason) && !/provider|adapter|device|cuda|webgpu|vulkan/i.test(reason)) {
        throw new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${file}: ONNX Runtime cannot load this model: ${reason}`, {
          details: { file },
          cause,
        });
      }
      throw cause;
    }
  };

  let chosen: Awaited<ReturnType<typeof selectDevice<OrtSession>>>;
  try {
    chosen = await selectDevice(requested, platform, open, options.deviceProbe ?? platform.probe, (e) =>
      isDynamoError(e),
    );
  } catch (error) {
    if (isDynamoError(error)) throw error;
    throw loadError(`${file}: ONNX Runtime could not create a session: ${errorMessage(error)}`, file, error);
  }
  const { value: session, report } = chosen;
  let graph: ReturnType<typeof inspectGraph>;
  let draftHead: OnnxDraftHead | undefined;
  try {
    graph = inspectGraph(session, manifest, file);
    if (options.draftHead) draftHead = await loadDraftHead(context, options, resolved, graph.hiddenSize, report.chosen);
  } catch (error) {
    await session.release().catch(() => {});
    throw error;
  }
  return new OnnxModel({
    ort,
    session,
    manifest,
    graph,
    device: report.chosen,
    deviceReport: report,
    file,
    variant: entry.variant ?? 'fp32',
    baseOnly: resolved.baseOnly,
    ...(draftHead && { draftHead }),
    ...(report.chosen === 'webgpu' &&
      keepOnDevice && {
        createTrimSession: () =>
          ort.InferenceSession.create(trimModelBytes(graph.kvType), {
            executionProviders: executionProvider('webgpu', options),
            preferredOutputLocation: 'gpu-buffer',
          }),
        createCompactSession: () =>
          ort.InferenceSession.create(compactModelBytes(graph.kvType), {
            executionProviders: executionProvider('webgpu', options),
            preferredOutputLocation: 'gpu-buffer',
          }),
      }),
  });
}

/** Opens the manifest's draft-head graph on the device the model landed on, and checks it. */
async function loadDraftHead(
  context: LoaderContext,
  options: LoadOptions,
  resolved: ResolvedModel,
  hiddenSize: number,
  device: DeviceName,
): Promise<OnnxDraftHead> {
  const { ort, source } = context;
  const { manifest } = resolved;
  const entry = resolved.draftEntry;
  if (!entry) {
    throw loadError(
      `${source.locate('dynamo.json')} lists no draft-head file, so the model cannot be loaded with draftHead: true.`,
      source.locate('dynamo.json'),
    );
  }
  const file = source.locate(entry.path);
  if (hiddenSize === 0) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_FORMAT,
      `${source.locate(resolved.entry.path)} has no "hidden_states" output, which the draft head ${file} reads ` +
        '(load the graph that has it, e.g. baseOnly: true for model-tiny; https://github.com/dynamojs/dynamojs/blob/main/docs/model-format.md).',
      { details: { file: source.locate(resolved.entry.path), tensor: 'hidden_states', actual: 'missing' } },
    );
  }
  const verify = options.verifyChecksums ?? false;
  const bytes = await readRequired(source, entry.path, 'the draft-head file');
  await checkFile(source, entry, bytes, verify);
  const externalData = await readExternalData(source, { entry }, verify);
  throwIfAborted(options.signal, 'model load');
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      ...options.sessionOptions,
      executionProviders: executionProvider(device, options),
      ...(externalData.length > 0 && { externalData }),
    });
  } catch (cause) {
    throw loadError(
      `${file}: ONNX Runtime could not create the draft head's session on ${device}: ${errorMessage(cause)}`,
      file,
      cause,
    );
  }
  try {
    inspectDraftHeadGraph(session, hiddenSize, manifest.vocabSize, file);
  } catch (error) {
    await session.release().catch(() => {});
    throw error;
  }
  return new OnnxDraftHead(ort, session, hiddenSize, manifest.vocabSize, file);
}
