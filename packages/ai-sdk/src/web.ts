/**
 * @dynamojs/ai-sdk in the browser — a Vercel AI SDK provider for DynaMo.js models, loaded with
 * onnxruntime-web (webgpu, wasm) from a model folder served over http(s):
 *
 * ```ts
 * import { streamText } from 'ai';
 * import { createDynamojs } from '@dynamojs/ai-sdk';
 *
 * const dynamojs = createDynamojs({ loadOptions: { wasm: { wasmPaths: '/ort/' } } });
 * const result = streamText({ model: dynamojs('/model/'), prompt: 'Once upon a time' });
 * for await (const delta of result.textStream) out.textContent += delta;
 * ```
 */
import { type CreateDynamojs, createProvider } from './provider.js';
import { webPlatform } from './webPlatform.js';

export * from './exports.js';

/** Creates a DynaMo.js provider with settings (mode, epsilon, device, extra models…). */
export const createDynamojs: CreateDynamojs = ((settings) => createProvider(webPlatform, settings)) as CreateDynamojs;

/** The default provider: mode `'dynamo'`, device `'auto'` (webgpu, else wasm). `dynamojs('/model/')`. */
export const dynamojs = /* @__PURE__ */ createDynamojs();
