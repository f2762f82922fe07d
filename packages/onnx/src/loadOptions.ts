import type { DeviceName, DevicePlatform, DeviceProbe, DeviceRequest } from './devices.js';
import type { OrtRuntime, SessionOptions } from './runtime.js';
import type { ModelSource } from './source.js';
import type { WasmSettings } from './wasmSettings.js';

export interface LoadOptions {
  /** `'auto'` (default) tries the best available device and falls back; see `model.deviceReport`. */
  readonly device?: DeviceRequest;
  /**
   * Which model file: a `variant` of a `role: "model"` file (`'fp32'`, `'mixed'`, `'q8'`, …).
   * Default: the file the manifest marks `"default": true`, else `'fp32'`.
   */
  readonly variant?: string;
  /**
   * A plain transformers.js / Optimum export's dtype, as transformers.js names it: picks
   * onnx/model{suffix}.onnx (fp32 '', fp16 '_fp16', q8 '_quantized', int8, uint8, q4, q4f16, bnb4,
   * q2, q2f16, q1, q1f16). Default (or 'auto') as transformers.js chooses: config.json's
   * `transformers.js_config.dtype` (its `device_config[device]` laid over it when `device` is
   * named), else 'q8' when `device` is 'wasm' (fp32 when there is no model_quantized.onnx), else
   * 'fp32'. Same as `variant`; `dtype` wins when both are given.
   */
  readonly dtype?: string;
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
  /**
   * onnxruntime-web's wasm settings (browser / web entry). Each one fills in `ort.env.wasm` only
   * where that setting is still unset: a value the application set there itself is kept.
   */
  readonly wasm?: WasmSettings;
  /** Keep the KV cache in device memory on WebGPU (`preferredOutputLocation: 'gpu-buffer'`). Default true. */
  readonly keepCacheOnDevice?: boolean;
  /**
   * The KV cache's form. `'dynamic'` (default): each pass's `present.*` tensors replace the cache
   * (the runtime allocates them anew every pass). `'static'`: each cache is one fixed-capacity
   * buffer per layer ([1, A, kvCapacity, D]) that the graph updates in place — no allocation per
   * pass, `trim` costs nothing, `compact` moves only the accepted rows. The graph is rewritten at
   * load time (com.microsoft MultiHeadAttention → GroupQueryAttention, whose past and present share
   * one buffer); graphs that already use GroupQueryAttention are used as they are. Runs on webgpu,
   * cpu and wasm; DYNAMO_UNSUPPORTED on cuda and for graphs whose attention is built from plain
   * operators (docs/devices.md, "The static KV cache").
   */
  readonly kvCache?: 'dynamic' | 'static';
  /**
   * The static cache's capacity in positions (prompt + generated + drafted), an integer in
   * [1, the model's context length]; default the context length. The model's
   * `metadata.contextLength` becomes the capacity, so generation stops there (finish reason
   * 'length') and a longer `forward` is DYNAMO_CONTEXT_OVERFLOW. Only with `kvCache: 'static'`.
   */
  readonly kvCapacity?: number;
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
