/** What both entries (Node and web) export besides `createDynamojs` and `dynamojs`. */

export { defaultConcurrency, GenerationQueue } from './generationQueue.js';
export type { DynamojsLoadedModel } from './languageModel.js';
export { DynamojsLanguageModel, DynamojsLanguageModelV3 } from './languageModel.js';
export type { CreateDynamojs, DynamojsModelId, DynamojsProvider, DynamojsProviderV3 } from './provider.js';
export type {
  DynamojsGenerationSettings,
  DynamojsGenerationSettings as DynamojsProviderOptions,
  DynamojsLoadOptions,
  DynamojsModelBundle,
  DynamojsModelSettings,
  DynamojsProviderSettings,
} from './settings.js';
