// Runs in headless Chromium (see browser.test.ts): streamText from `ai` on the provider's web entry,
// loading model-tiny's folder from the test server with onnxruntime-web.
import { NoSuchModelError } from '@ai-sdk/provider';
import { generateText, streamText } from 'ai';
import { createDynamojs } from '../../src/web.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

/** `full`: also generateText and a greedy `ar` stream (on the base-only graph) — slow on SwiftShader's WebGPU. */
export async function run(device: 'wasm' | 'webgpu', full: boolean) {
  const dynamojs = createDynamojs({ device, loadOptions: { wasm: { numThreads: 1 } } });
  let builtinError = '';
  try {
    dynamojs('model-tiny');
  } catch (error) {
    builtinError = NoSuchModelError.isInstance(error) ? (error as Error).message : `not a NoSuchModelError: ${error}`;
  }
  const model = dynamojs('/model-tiny/');
  const loaded = await model.load();
  const options = { prompt: 'The meaning of life is', maxOutputTokens: 32, seed: 1, temperature: 0.7 } as const;
  const result = streamText({ model, ...options, providerOptions: { dynamojs: { minDraftProbability: 0.2 } } });
  const deltas: string[] = [];
  for await (const delta of result.textStream) deltas.push(delta);
  const out: Record<string, unknown> = {
    device: loaded.model.metadata.device,
    deltas,
    finishReason: await result.finishReason,
    usage: await result.usage,
    metadata: (await result.providerMetadata)?.dynamojs,
    builtinError,
  };
  if (full) {
    const whole = await generateText({
      model,
      ...options,
      providerOptions: { dynamojs: { minDraftProbability: 0.2 } },
    });
    const greedy = streamText({ model, ...options, temperature: 0, providerOptions: { dynamojs: { mode: 'ar' } } });
    let greedyText = '';
    for await (const delta of greedy.textStream) greedyText += delta;
    Object.assign(out, { text: whole.text, greedyText, greedyMetadata: (await greedy.providerMetadata)?.dynamojs });
  }
  await dynamojs.dispose();
  return JSON.parse(JSON.stringify(out));
}
