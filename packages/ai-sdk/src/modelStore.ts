import { DynamoError, DynamoErrorCode, type MultiTokenModel, parseManifest, type TextTokenizer } from '@dynamojs/core';
import type { DeviceRequest, ModelSource } from '@dynamojs/onnx';
import { type CoOccurrenceTables, loadCoOccurrenceTables } from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';
import type { Platform } from './platform.js';
import type { DynamojsLoadOptions, DynamojsModelBundle } from './settings.js';

/** A model ready to generate with: the multi-head graph, its tokenizer and tables, and the base graph on demand. */
export interface LoadedModel {
  /** The folder or URL it came from, or `'(your model)'` for a bundle you loaded. */
  readonly location: string;
  readonly model: MultiTokenModel;
  readonly tokenizer: TextTokenizer;
  /** Co-occurrence tables (ngrams.bin) for DynaMo's masking, when the folder has them. */
  readonly tables: CoOccurrenceTables | undefined;
  /**
   * The model for `mode: 'ar'`: the base-only graph when there is one (loaded on first use, with the
   * folder's draft head when it ships one), else `model`.
   */
  baseModel(): Promise<MultiTokenModel>;
  /** The folder ships a draft head: `'dynamo'` runs DynaMo's chain sampler on `baseModel()`. */
  readonly draftHead: boolean;
  dispose(): Promise<void>;
}

/** How to load one folder. */
export interface LoadRequest {
  readonly location: string;
  readonly device: DeviceRequest;
  readonly loadOptions: DynamojsLoadOptions | undefined;
}

/** A bundle the caller loaded: used as it is, never disposed by the provider. */
export function bundleModel(bundle: DynamojsModelBundle): LoadedModel {
  const base = bundle.baseModel ?? bundle.model;
  return {
    location: '(your model)',
    model: bundle.model,
    tokenizer: bundle.tokenizer,
    draftHead: base.draftHead !== undefined && base.metadata.hiddenSize !== undefined,
    tables: bundle.tables,
    baseModel: async () => base,
    dispose: async () => {},
  };
}

async function readTokenizer(source: ModelSource): Promise<TextTokenizer> {
  for (const dir of ['', 'base/']) {
    const bytes = await source.read(`${dir}tokenizer.json`);
    if (!bytes) continue;
    // tokenizer_config.json (special tokens, chat_template) and chat_template.jinja next to it, when present
    const [config, jinja] = await Promise.all([
      source.read(`${dir}tokenizer_config.json`),
      source.read(`${dir}chat_template.jinja`),
    ]);
    const utf8 = new TextDecoder();
    const configName = source.locate(`${dir}tokenizer_config.json`);
    return loadTokenizer(bytes, {
      name: source.locate(`${dir}tokenizer.json`),
      ...(config && { tokenizerConfig: parseJsonObject(utf8.decode(config), configName) }),
      ...(jinja && { chatTemplate: utf8.decode(jinja) }),
    });
  }
  throw new DynamoError(
    DynamoErrorCode.MODEL_LOAD,
    `No tokenizer.json in ${source.description} (looked for tokenizer.json and base/tokenizer.json).`,
    { details: { file: source.locate('tokenizer.json') } },
  );
}

function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DynamoError(DynamoErrorCode.TOKENIZER_FORMAT, `${file} is not valid JSON.`, { details: { file }, cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DynamoError(DynamoErrorCode.TOKENIZER_FORMAT, `${file} is not a JSON object.`, { details: { file } });
  }
  return value as Record<string, unknown>;
}

/** Which of the roles the folder's manifest lists (none without a manifest). */
async function manifestRoles(source: ModelSource): Promise<Set<string>> {
  const bytes = await source.read('dynamo.json');
  if (!bytes) return new Set();
  const manifest = parseManifest(new TextDecoder().decode(bytes), source.locate('dynamo.json'));
  return new Set(manifest.files.map((f) => f.role));
}

/**
 * Loads a model folder: tokenizer.json (or base/tokenizer.json), the multi-head graph on the
 * requested device, ngrams.bin when present; the base-only graph later, on the first `ar` call.
 */
export async function loadFolder(platform: Platform, request: LoadRequest): Promise<LoadedModel> {
  const source = platform.source(request.location);
  const tokenizer = await readTokenizer(source);
  const common = { allowVocabPadding: true, ...request.loadOptions, device: request.device, tokenizer };
  const model = await platform.loadModel(source, common);
  let tables: CoOccurrenceTables | undefined;
  let withBase: boolean;
  let draftHead: boolean;
  try {
    const bytes = await source.read('ngrams.bin');
    if (bytes) tables = loadCoOccurrenceTables(bytes, { vocabSize: model.metadata.vocabSize });
    const roles = await manifestRoles(source);
    withBase = model.metadata.heads > 1 && roles.has('base-model');
    draftHead = withBase && roles.has('draft-head');
  } catch (error) {
    await model.dispose().catch(() => undefined);
    throw error;
  }
  let base: Promise<MultiTokenModel> | undefined;
  return {
    location: source.description,
    model,
    tokenizer,
    tables,
    draftHead,
    baseModel() {
      if (!withBase) return Promise.resolve(model);
      const options = { ...common, baseOnly: true, ...(draftHead && { draftHead: true }) };
      base ??= platform.loadModel(source, options).catch((error: unknown) => {
        base = undefined; // a later call may try again
        throw error;
      });
      return base;
    },
    async dispose() {
      const loadedBase = base && (await base.catch(() => undefined));
      await Promise.all([model.dispose(), loadedBase?.dispose()]);
    },
  };
}

/** Loaded models by folder and load settings, shared by every model object of one provider. */
export class ModelStore {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();

  constructor(private readonly platform: Platform) {}

  /** The model for a request: loaded once, on first use; a failed load is retried next time. */
  get(request: LoadRequest): Promise<LoadedModel> {
    const key = JSON.stringify([request.location, request.device, request.loadOptions ?? null]);
    let entry = this.loaded.get(key);
    if (!entry) {
      entry = loadFolder(this.platform, request);
      this.loaded.set(key, entry);
      entry.catch(() => {
        if (this.loaded.get(key) === entry) this.loaded.delete(key);
      });
    }
    return entry;
  }

  /** Releases every loaded model (their runtime sessions). Models load again on their next call. */
  async dispose(): Promise<void> {
    const entries = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(entries.map((e) => e.then((m) => m.dispose()).catch(() => undefined)));
  }
}
