/**
 * @dynamojs/ai-sdk in Node — a Vercel AI SDK provider for DynaMo.js models, loaded with
 * onnxruntime-node (cuda, webgpu, cpu) from folders, http(s) URLs or the bundled reference model:
 *
 * ```ts
 * import { generateText } from 'ai';
 * import { dynamojs } from '@dynamojs/ai-sdk';
 *
 * const { text, providerMetadata } = await generateText({ model: dynamojs('model-tiny'), prompt: 'Once upon a time' });
 * ```
 */
import { nodePlatform } from './nodePlatform.js';
import { type CreateDynamojs, createProvider } from './provider.js';

export * from './exports.js';

/** Creates a DynaMo.js provider with settings (mode, epsilon, device, extra models…). */
export const createDynamojs: CreateDynamojs = ((settings) => createProvider(nodePlatform, settings)) as CreateDynamojs;

/** The default provider: mode `'dynamo'`, device `'auto'`. `dynamojs('model-tiny')`, `dynamojs('/path/to/model/')`. */
export const dynamojs = /* @__PURE__ */ createDynamojs();
