import { NoSuchModelError, type ProviderV4 } from '@ai-sdk/provider';
import type { MultiTokenModel } from '@dynamojs/core';
import type { DeviceRequest } from '@dynamojs/onnx';
import { DynamojsLanguageModel, DynamojsLanguageModelV3, type ModelConfig } from './languageModel.js';
import { bundleModel, type LoadedModel, ModelStore } from './modelStore.js';
import { MODEL_TINY, type Platform } from './platform.js';
import {
  checkModelSettings,
  checkProviderSettings,
  type DynamojsLoadOptions,
  type DynamojsModelSettings,
  type DynamojsProviderSettings,
} from './settings.js';

/** `'model-tiny'` (the bundled reference model), a folder path or URL, or an id from `models`. */
export type DynamojsModelId = typeof MODEL_TINY | (string & {});

interface ProviderExtras {
  /** Releases the runtime sessions of every model this provider loaded (they load again on their next call). */
  dispose(): Promise<void>;
}

/** A DynaMo.js provider for `ai` 7 (specification V4): call it with a model id. */
export interface DynamojsProvider extends ProviderV4, ProviderExtras {
  (modelId: DynamojsModelId, settings?: DynamojsModelSettings): DynamojsLanguageModel;
  languageModel(modelId: DynamojsModelId, settings?: DynamojsModelSettings): DynamojsLanguageModel;
}

/**
 * A DynaMo.js provider for `ai` 6 (specification V3; `ai` 7 accepts it too). Declared without
 * `@ai-sdk/provider` 4's `ProviderV3` so that it also type-checks against `ai` 6's own.
 */
export interface DynamojsProviderV3 extends ProviderExtras {
  (modelId: DynamojsModelId, settings?: DynamojsModelSettings): DynamojsLanguageModelV3;
  readonly specificationVersion: 'v3';
  languageModel(modelId: DynamojsModelId, settings?: DynamojsModelSettings): DynamojsLanguageModelV3;
  /** Always throws NoSuchModelError: DynaMo.js has language models only. */
  embeddingModel(modelId: string): never;
  /** Always throws NoSuchModelError. */
  textEmbeddingModel(modelId: string): never;
  /** Always throws NoSuchModelError. */
  imageModel(modelId: string): never;
}

export type CreateDynamojs = {
  (settings?: DynamojsProviderSettings & { readonly specificationVersion?: 'v4' }): DynamojsProvider;
  (settings: DynamojsProviderSettings & { readonly specificationVersion: 'v3' }): DynamojsProviderV3;
};

const PROVIDER = 'dynamojs';

function noSuchModel(modelId: string, modelType: 'embeddingModel' | 'imageModel'): never {
  throw new NoSuchModelError({
    modelId,
    modelType,
    message: `DynaMo.js has language models only; there is no ${modelType} "${modelId}".`,
  });
}

/** The provider factory over one platform (the Node and browser entries each bind theirs). */
export function createProvider(
  platform: Platform,
  options: DynamojsProviderSettings = {},
): DynamojsProvider | DynamojsProviderV3 {
  const settings = checkProviderSettings(options);
  const { models, specificationVersion, device, loadOptions, assistant, maxConcurrency, ...generation } = settings;
  const v3 = specificationVersion === 'v3';
  const store = new ModelStore(platform);

  const loaderFor = (
    modelId: string,
    where: { device: DeviceRequest; loadOptions: DynamojsLoadOptions | undefined },
  ): (() => Promise<LoadedModel>) => {
    const entry = models?.[modelId];
    if (entry !== undefined) {
      if (typeof entry === 'string' || entry instanceof URL) {
        return () => store.get({ location: String(entry), ...where });
      }
      const bundle = bundleModel(entry);
      return () => Promise.resolve(bundle);
    }
    const builtin = platform.builtin(modelId);
    if (builtin) return async () => store.get({ location: await builtin(), ...where });
    if (platform.isLocation(modelId)) return () => store.get({ location: modelId, ...where });
    const named = Object.keys(models ?? {});
    throw new NoSuchModelError({
      modelId,
      modelType: 'languageModel',
      message:
        `No DynaMo.js model "${modelId}". Use ${platform.name === 'node' ? `'${MODEL_TINY}' (the reference model of @dynamojs/model-tiny), ` : ''}` +
        `a model folder path or URL (anything with a "/", e.g. './models/my-model/')` +
        (named.length > 0
          ? `, or one of ${named.map((n) => `'${n}'`).join(', ')}`
          : ', or an id registered with createDynamojs({ models })') +
        '.',
    });
  };

  /**
   * The `assistant` setting as a loader: your model as it is, or a folder / URL (or
   * `'model-tiny'`) from the store with the target's device and load options (the same folder as
   * the target shares its sessions), its base-only graph.
   */
  const assistantLoader = (
    setting: string | URL | MultiTokenModel,
    where: { device: DeviceRequest; loadOptions: DynamojsLoadOptions | undefined },
  ): (() => Promise<MultiTokenModel>) => {
    if (typeof setting !== 'string' && !(setting instanceof URL)) return () => Promise.resolve(setting);
    const builtin = typeof setting === 'string' ? platform.builtin(setting) : undefined;
    return async () => {
      const location = builtin ? await builtin() : String(setting);
      const loaded = await store.get({ location, ...where });
      return loaded.baseModel();
    };
  };

  const languageModel = (modelId: DynamojsModelId, modelSettings?: DynamojsModelSettings) => {
    if (typeof modelId !== 'string' || modelId.length === 0) {
      throw new NoSuchModelError({
        modelId: String(modelId),
        modelType: 'languageModel',
        message: `A DynaMo.js model id must be a non-empty string, got ${JSON.stringify(modelId) ?? String(modelId)}.`,
      });
    }
    const own = checkModelSettings(`dynamojs(${JSON.stringify(modelId)}, settings)`, modelSettings);
    const {
      device: ownDevice,
      loadOptions: ownLoadOptions,
      assistant: ownAssistant,
      maxConcurrency: ownConcurrency,
      ...ownGeneration
    } = own;
    const concurrency = ownConcurrency ?? maxConcurrency;
    const where = { device: ownDevice ?? device ?? 'auto', loadOptions: ownLoadOptions ?? loadOptions };
    const load = loaderFor(modelId, where);
    const assistantSetting = ownAssistant ?? assistant;
    const config: ModelConfig = {
      provider: PROVIDER,
      load,
      settings: { ...generation, ...ownGeneration },
      ...(assistantSetting !== undefined && { assistant: assistantLoader(assistantSetting, where) }),
      ...(concurrency !== undefined && { maxConcurrency: concurrency }),
    };
    return v3 ? new DynamojsLanguageModelV3(modelId, config) : new DynamojsLanguageModel(modelId, config);
  };

  const provider = function (this: unknown, modelId: DynamojsModelId, modelSettings?: DynamojsModelSettings) {
    if (new.target) throw new Error('The DynaMo.js provider is a function: call dynamojs(modelId), without new.');
    return languageModel(modelId, modelSettings);
  };
  return Object.assign(provider, {
    specificationVersion: v3 ? ('v3' as const) : ('v4' as const),
    languageModel,
    embeddingModel: (modelId: string) => noSuchModel(modelId, 'embeddingModel'),
    textEmbeddingModel: (modelId: string) => noSuchModel(modelId, 'embeddingModel'),
    imageModel: (modelId: string) => noSuchModel(modelId, 'imageModel'),
    dispose: () => store.dispose(),
  }) as unknown as DynamojsProvider | DynamojsProviderV3;
}
