/**
 * Browser-only: loads the reference model (@dynamojs/model-tiny, copied into the site's /model/ by
 * scripts/prebuild.mjs) and, on first use, its assistant (@dynamojs/model-tiny-assistant, in
 * /assistant/) with onnxruntime-web, through the packages' browser entries. Imported dynamically
 * from the live examples' onMounted, never during server-side rendering.
 */
import {
  type Constraint,
  type DecodingDefaults,
  isChainSampler,
  type MultiTokenModel,
  type Sampler,
} from '@dynamojs/core';
import {
  type DecodingComponents,
  type DecodingMode,
  type DecodingPlan,
  type GenerationMode,
  type GenerationStats,
  resolveDecoding,
  stream,
} from '@dynamojs/generate';
import { loadModel, type ModelSource } from '@dynamojs/onnx/web';
import {
  type CoOccurrenceTables,
  DEFAULT_MIN_DRAFT_PROBABILITY,
  DYNAMO_PRESETS,
  loadCoOccurrenceTables,
} from '@dynamojs/samplers';
import { createTokenizer, type DynamoTokenizer } from '@dynamojs/tokenizer';
import * as ort from 'onnxruntime-web';

// onnxruntime-web prints its warnings (e.g. "some nodes were not assigned to the preferred
// execution providers" on WebGPU) through console.error: keep the console for real errors.
ort.env.logLevel = 'error';

export type DeviceChoice = 'auto' | 'wasm' | 'webgpu';

export interface Decoding {
  readonly topK: number;
  readonly temperature: number;
  readonly repetitionPenalty: number;
  readonly epsilon: number;
  /** DynaMo with the draft head: the back-off threshold (the model's recommendation). */
  readonly minDraftProbability: number;
}

export interface Reference {
  /** The 3-head DynaMo graph. */
  readonly model: MultiTokenModel & { deviceReport?: { summary: string } };
  /**
   * The base-only graph: the honest `ar` baseline (no extra head layers run), with the model's
   * draft head when it ships one (DynaMo's chains run on it).
   */
  readonly baseModel: MultiTokenModel;
  /** The model ships a draft head: `dynamo` continues each pass with it (`dynamoChain`). */
  readonly chain: boolean;
  readonly tokenizer: DynamoTokenizer;
  readonly tables: CoOccurrenceTables;
  readonly device: string;
  readonly deviceSummary: string;
  readonly contextLength: number;
  readonly decoding: Decoding;
  /** The manifest's decoding section (its DynaMo recommendations). */
  readonly recommended: DecodingDefaults | undefined;
}

export interface LoadProgress {
  readonly loaded: number;
  readonly total: number;
  readonly phase: string;
}

/** The site's base URL (VitePress `base`), so the files are found under a sub-path too. */
function siteUrl(path: string): URL {
  const base = (import.meta as unknown as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return new URL(`${base}${path}`, location.href);
}

/**
 * The model folder: the site's /model/, or `?model=path/` (another DynaMo model folder served by
 * the same site — also how the tests check the failed-load message).
 */
function modelRoot(): URL {
  const override = new URLSearchParams(location.search).get('model');
  if (!override) return siteUrl('model/');
  const url = new URL(override.endsWith('/') ? override : `${override}/`, location.href);
  if (url.origin !== location.origin) throw new Error(`?model= must be a folder on this site, not ${url.origin}.`);
  return url;
}

/** A ModelSource over fetch that reports bytes as they arrive. */
function progressSource(root: URL, onBytes: (n: number) => void): ModelSource {
  return {
    description: root.href,
    kind: 'url',
    locate: (path) => new URL(path, root).href,
    async read(path) {
      const url = new URL(path, root).href;
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        throw new Error(`Could not fetch ${url}: ${(error as Error).message}`);
      }
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status}`);
      if (!response.body) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        onBytes(bytes.byteLength);
        return bytes;
      }
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.byteLength;
        onBytes(value.byteLength);
      }
      const out = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        out.set(c, offset);
        offset += c.byteLength;
      }
      return out;
    },
  };
}

interface ManifestFile {
  readonly role: string;
  readonly variant?: string;
  readonly default?: boolean;
  readonly path: string;
  readonly bytes?: number;
  readonly externalData?: readonly { readonly path: string; readonly bytes?: number }[];
}

const loads = new Map<string, Promise<Reference>>();

/** Loads (once per device choice and page) the reference model, its tokenizer and tables. */
export function loadReference(device: DeviceChoice, onProgress: (p: LoadProgress) => void): Promise<Reference> {
  let p = loads.get(device);
  if (!p) {
    p = doLoad(device, onProgress);
    loads.set(device, p);
    p.catch(() => loads.delete(device)); // a failed load can be retried
  }
  return p;
}

async function doLoad(device: DeviceChoice, onProgress: (p: LoadProgress) => void): Promise<Reference> {
  const root = modelRoot();
  const manifestUrl = new URL('dynamo.json', root);
  let manifestResponse: Response;
  try {
    manifestResponse = await fetch(manifestUrl);
  } catch (error) {
    throw new Error(`Could not fetch ${manifestUrl.href}: ${(error as Error).message}`);
  }
  if (!manifestResponse.ok) {
    throw new Error(
      `The reference model is not served by this site (${manifestUrl.href}: HTTP ${manifestResponse.status}).`,
    );
  }
  const manifestText = await manifestResponse.text();
  const manifest = JSON.parse(manifestText) as {
    files: ManifestFile[];
    contextLength: number;
    vocabSize: number;
    decoding?: Partial<Decoding> & { preset?: string };
  };
  const want = (role: string, variant?: string) =>
    manifest.files.find((f) => f.role === role && (variant === undefined || (f.variant ?? 'fp32') === variant));
  // the multi-head graph loadModel picks (the manifest's default, else fp32) and its external data
  const graph = manifest.files.find((f) => f.role === 'model' && f.default === true) ?? want('model', 'fp32');
  const draftHead = want('draft-head');
  const files = [
    graph,
    ...(graph?.externalData ?? []),
    want('base-model'),
    want('tokenizer'),
    want('ngrams'),
    // the draft head's own file (its weights are the 3-head graph's external data, read again)
    ...(draftHead ? [draftHead, ...(draftHead.externalData ?? [])] : []),
  ];
  const total = files.reduce((s, f) => s + (f?.bytes ?? 0), 0);
  let loaded = 0;
  let phase = 'Downloading the model';
  const report = () => onProgress({ loaded, total, phase });
  const source = progressSource(root, (n) => {
    loaded += n;
    report();
  });
  // Serve dynamo.json from memory (already fetched), everything else through the progress source.
  const cached: ModelSource = {
    ...source,
    read: (path) =>
      path === 'dynamo.json' ? Promise.resolve(new TextEncoder().encode(manifestText)) : source.read(path),
  };
  report();

  const tokenizerBytes = await cached.read('tokenizer.json');
  if (!tokenizerBytes) throw new Error('tokenizer.json is missing from the model folder.');
  const tokenizer = createTokenizer(new TextDecoder().decode(tokenizerBytes), { name: 'tokenizer.json' });
  const ngrams = await cached.read('ngrams.bin');
  if (!ngrams) throw new Error('ngrams.bin is missing from the model folder.');
  const tables = loadCoOccurrenceTables(ngrams, { vocabSize: manifest.vocabSize, tokenizerHash: tokenizer.hash });

  const threads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const options = {
    device,
    tokenizer,
    checkTokenizerFile: false,
    wasm: { wasmPaths: siteUrl('ort/').href, numThreads: threads, proxy: false },
    sessionOptions: { logSeverityLevel: 3 },
  } as const;
  phase = 'Starting ONNX Runtime';
  const model = await loadModel(cached, options);
  report();
  // The baseline runs where the DynaMo graph runs, so the comparison is on one device.
  const used = (model.metadata.device ?? device) as DeviceChoice;
  const baseModel = await loadModel(cached, {
    ...options,
    device: used === 'webgpu' ? 'webgpu' : 'wasm',
    baseOnly: true,
    ...(draftHead && { draftHead: true }),
  });
  phase = 'Ready';
  loaded = total;
  report();
  const d = manifest.decoding ?? {};
  return {
    model,
    baseModel,
    chain: baseModel.draftHead !== undefined,
    tokenizer,
    tables,
    device: String(model.metadata.device),
    deviceSummary: model.deviceReport?.summary ?? String(model.metadata.device),
    contextLength: manifest.contextLength,
    recommended: manifest.decoding as DecodingDefaults | undefined,
    decoding: {
      topK: d.topK ?? 50,
      temperature: d.temperature ?? 0.7,
      repetitionPenalty: d.repetitionPenalty ?? 1.1,
      // The model's eps_b belongs to the preset it names (none named: the paper's, not used here).
      epsilon: d.preset === 'calibrated' && d.epsilon !== undefined ? d.epsilon : DYNAMO_PRESETS.calibrated.epsilon,
      minDraftProbability: d.minDraftProbability ?? DEFAULT_MIN_DRAFT_PROBABILITY,
    },
  };
}

/**
 * The files of the assistant's folder (hub layout) that the loader may read: anything else
 * (dynamo.json, external data, other dtypes) is absent without a request — a 404 would be a
 * console error in the browser.
 */
const ASSISTANT_FILES = new Set(['config.json', 'generation_config.json', 'tokenizer.json', 'onnx/model.onnx']);

const assistants = new Map<string, Promise<MultiTokenModel>>();

/**
 * Loads (once per device and page, on first use) the 2-layer assistant model
 * @dynamojs/model-tiny-assistant from the site's /assistant/ — a plain causal LM with the reference
 * model's tokenizer that drafts for `verified` (`assistantDrafter`). `device` is the device the
 * reference model landed on (`ref.device`): the assistant must run where its target runs.
 */
export function loadAssistant(device: string, onProgress?: (p: LoadProgress) => void): Promise<MultiTokenModel> {
  let p = assistants.get(device);
  if (!p) {
    p = doLoadAssistant(device, onProgress ?? (() => {}));
    assistants.set(device, p);
    p.catch(() => assistants.delete(device)); // a failed load can be retried
  }
  return p;
}

async function doLoadAssistant(device: string, onProgress: (p: LoadProgress) => void): Promise<MultiTokenModel> {
  if (device !== 'wasm' && device !== 'webgpu') {
    throw new Error(`The assistant runs on wasm or webgpu, where the reference model runs; not on "${device}".`);
  }
  const root = siteUrl('assistant/');
  // the graph's size, for the progress (config.json and generation_config.json are under 1 kB)
  const total = 7_785_001;
  let loaded = 0;
  const source = progressSource(root, (n) => {
    loaded += n;
    onProgress({ loaded, total: Math.max(total, loaded), phase: 'Downloading the assistant' });
  });
  const only: ModelSource = {
    ...source,
    read: (path) => (ASSISTANT_FILES.has(path) ? source.read(path) : Promise.resolve(undefined)),
  };
  onProgress({ loaded, total, phase: 'Downloading the assistant' });
  const threads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const model = await loadModel(only, {
    device,
    dtype: 'fp32',
    checkTokenizerFile: false,
    wasm: { wasmPaths: siteUrl('ort/').href, numThreads: threads, proxy: false },
    sessionOptions: { logSeverityLevel: 3 },
  });
  onProgress({ loaded, total: loaded, phase: 'Ready' });
  return model;
}

/** Whether this browser offers a WebGPU adapter (and why not, when it does not). */
export async function webgpuStatus(): Promise<true | string> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
  try {
    return (await gpu.requestAdapter()) ? true : 'no WebGPU adapter (requestAdapter() returned null)';
  } catch (error) {
    return `requestAdapter() failed: ${(error as Error).message}`;
  }
}

export interface RunOptions {
  readonly ref: Reference;
  readonly mode: GenerationMode;
  readonly prompt: string;
  readonly maxNewTokens: number;
  /** `dynamo`: eps_b of the DynaMo heads' sampler, or the back-off threshold of the chain sampler (`ref.chain`). */
  readonly epsilon: number;
  readonly seed: number;
  readonly signal?: AbortSignal;
  /** Overrides the mode's default sampler (the custom-sampler example). */
  readonly sampler?: Sampler;
  /** Structured output: the text must be JSON (the playground's "JSON output" checkbox). */
  readonly json?: boolean;
  /**
   * `verified`: the assistant model drafts ({@link loadAssistant}, loaded on first use; the
   * playground's "assistant drafts" checkbox). Lossless as every `verified` drafter. Other modes
   * ignore it.
   */
  readonly assistant?: boolean;
}

/**
 * The JSON schema of the playground's "JSON output": a small record whose keys, quotes and
 * separators the grammar forces (bounded strings and arrays, so a run ends with the object).
 */
export const PLAYGROUND_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string', maxLength: 40 },
    year: { type: 'integer', minimum: 1000, maximum: 2100 },
    tags: { type: 'array', items: { type: 'string', maxLength: 12 }, maxItems: 3 },
  },
  required: ['title', 'year', 'tags'],
} as const;

/** The compiled schema, one per tokenizer (compiled once: @dynamojs/structured, loaded on first use). */
const jsonConstraints = new WeakMap<object, Promise<Constraint>>();

/** The constraint that makes a generation's text a {@link PLAYGROUND_SCHEMA} record. */
export function jsonOutput(ref: Reference): Promise<Constraint> {
  let c = jsonConstraints.get(ref.tokenizer);
  if (c === undefined) {
    c = import('@dynamojs/structured').then((s) => s.jsonSchemaConstraint(ref.tokenizer, PLAYGROUND_SCHEMA));
    jsonConstraints.set(ref.tokenizer, c);
  }
  return c;
}

export interface Pass {
  readonly text: string;
  readonly tokens: number;
}

export interface LiveStats {
  readonly tokens: number;
  readonly passes: number;
  readonly tokensPerPass: number;
  readonly tokensPerSecond: number;
  readonly elapsedMs: number;
}

export interface RunCallbacks {
  onPass(pass: Pass, live: LiveStats): void;
  onDone(stats: GenerationStats, finishReason: string): void;
}

/** What a result panel shows while a generation streams (the playground's and the sampler lab's). */
export interface LivePanel {
  passes: Pass[];
  tokens: number;
  passCount: number;
  tokensPerPass: number;
  tokensPerSecond: number;
  status: string;
}

/**
 * Callbacks that keep a panel's live statistics up to date and end with "done (reason) on device";
 * `suffix` adds to that final status (e.g. draft acceptance).
 */
export function panelCallbacks(
  panel: LivePanel,
  device: string,
  suffix: (stats: GenerationStats) => string = () => '',
): RunCallbacks {
  return {
    onPass(pass, live) {
      panel.passes.push(pass);
      panel.tokens = live.tokens;
      panel.passCount = live.passes;
      panel.tokensPerPass = live.tokensPerPass;
      panel.tokensPerSecond = live.tokensPerSecond;
    },
    onDone(stats, finish) {
      panel.tokens = stats.tokens;
      panel.passCount = stats.forwardPasses;
      panel.tokensPerPass = stats.tokensPerPass;
      panel.tokensPerSecond = stats.tokensPerSecond;
      panel.status = `done (${finish}) on ${stats.device ?? device}${suffix(stats)}`;
    },
  };
}

/**
 * The decoding each mode runs in the examples — @dynamojs/generate's `resolveDecoding`, the one
 * resolver `dynamo generate` and the AI SDK provider use, with the model's decoding defaults
 * (dynamo.json): `dynamo` continues each pass with the draft head when the model ships one
 * (`epsilon` is then its back-off threshold), else the calibrated DynaMo heads' sampler at eps_b
 * `epsilon`; `verified` drafts with the best lossless drafter for the model and device (the draft
 * head's chains with speculative sampling: exactly `ar`'s distribution), or with the assistant
 * model when `assistant` says one is given (its sampled chains, speculative sampling: exactly `ar`'s
 * distribution too); `ar` top-k sampling.
 */
export function decodingPlan(ref: Reference, mode: GenerationMode, epsilon: number, assistant = false): DecodingPlan {
  return resolveDecoding(
    {
      mode: mode as DecodingMode,
      ...(mode === 'dynamo' && (ref.chain ? { minDraftProbability: epsilon } : { epsilon })),
    },
    {
      decoding: ref.recommended,
      heads: ref.model.metadata.heads,
      draftHead: ref.chain,
      tables: ref.tables,
      device: ref.device,
      vocabSize: ref.tokenizer.vocabSize,
      ...(assistant && { assistant: true }),
    },
  );
}

/** The sampler of {@link decodingPlan} (the custom-sampler example compares against it). */
export function defaultSampler(ref: Reference, mode: GenerationMode, epsilon: number): Sampler {
  return decodingPlan(ref, mode, epsilon).create({ draftHead: ref.baseModel.draftHead }).sampler;
}

/** Streams one generation, reporting every forward pass's tokens and text. */
export async function run(options: RunOptions, callbacks: RunCallbacks): Promise<void> {
  const { ref, mode } = options;
  const plan = decodingPlan(ref, mode, options.epsilon, options.assistant === true);
  // the assistant (verified only), on the device of the base-only graph it drafts for
  const assistant =
    plan.needs.assistant === true ? await loadAssistant(ref.baseModel.metadata.device ?? ref.device) : undefined;
  const components = plan.create({
    draftHead: ref.baseModel.draftHead,
    ...(assistant !== undefined && { assistant, target: ref.baseModel }),
  });
  const sampler = options.sampler ?? components.sampler;
  // ar, DynaMo's chains and the draft head's and the assistant's drafts run on the base-only graph;
  // a custom sampler (the sampler lab) on the base graph when it is a chain sampler or mode is ar
  const base = options.sampler === undefined ? plan.graph === 'base' : mode === 'ar' || isChainSampler(sampler);
  const model = base ? ref.baseModel : ref.model;
  try {
    await streamRun(options, callbacks, { model, components, sampler });
  } finally {
    // the assistant drafter's KV cache (device memory on WebGPU); the assistant model stays loaded
    try {
      (components.drafter as { dispose?: () => void } | undefined)?.dispose?.();
    } catch {
      // best effort: the run's result stands
    }
  }
}

/** {@link run}'s generation, on the model, sampler and plan components it chose. */
async function streamRun(
  options: RunOptions,
  callbacks: RunCallbacks,
  chosen: { readonly model: MultiTokenModel; readonly components: DecodingComponents; readonly sampler: Sampler },
): Promise<void> {
  const { ref } = options;
  const { model, components, sampler } = chosen;
  const constraint = options.json === true ? await jsonOutput(ref) : undefined;
  const decoder = ref.tokenizer.createDecoder();
  const started = performance.now();
  let firstPassAt = 0;
  let tokens = 0;
  let passes = 0;
  let afterPrefill = 0;
  const events = stream({
    model,
    tokenizer: ref.tokenizer,
    prompt: options.prompt,
    // the plan's processors (the repetition penalty) in every mode, so ar, dynamo and verified
    // sample from one base distribution
    ...components,
    sampler,
    maxNewTokens: options.maxNewTokens,
    seed: options.seed,
    ...(options.signal && { signal: options.signal }),
    ...(constraint !== undefined && { constraint }),
  });
  for await (const event of events) {
    if (event.type === 'tokens') {
      const now = performance.now();
      passes++;
      tokens += event.tokens.length;
      if (passes === 1) firstPassAt = now;
      else afterPrefill += event.tokens.length;
      const decodeMs = now - firstPassAt;
      callbacks.onPass(
        { text: decoder.push(event.tokens), tokens: event.tokens.length },
        {
          tokens,
          passes,
          tokensPerPass: tokens / passes,
          tokensPerSecond: decodeMs > 0 ? (afterPrefill / decodeMs) * 1000 : 0,
          elapsedMs: now - started,
        },
      );
      // Let the page paint between passes (a WASM pass blocks the main thread).
      await new Promise((r) => setTimeout(r, 0));
    } else if (event.type === 'done') {
      const tail = decoder.flush();
      if (tail)
        callbacks.onPass(
          { text: tail, tokens: 0 },
          {
            tokens,
            passes,
            tokensPerPass: passes ? tokens / passes : 0,
            tokensPerSecond: event.result.stats.tokensPerSecond,
            elapsedMs: performance.now() - started,
          },
        );
      callbacks.onDone(event.result.stats, event.result.finishReason);
    }
  }
}

/** A readable one-line message for any error (DynamoError codes included). */
export function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  if (e && typeof e === 'object' && typeof e.message === 'string')
    return e.code ? `${e.code}: ${e.message}` : e.message;
  return String(error);
}
