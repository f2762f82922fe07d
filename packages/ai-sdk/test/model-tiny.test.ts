// The reference model (@dynamojs/model-tiny) through `ai` 7's and `ai` 6's generateText / streamText
// in Node: the provider gives exactly what generate() gives with the same sampler and seed.
import { generate } from '@dynamojs/generate';
import { modelDir } from '@dynamojs/model-tiny';
import { loadModel } from '@dynamojs/onnx/node';
import * as samplers from '@dynamojs/samplers';
import { generateText, streamText } from 'ai';
import { generateText as generateTextV6, streamText as streamTextV6 } from 'ai-v6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamojs, type DynamojsLoadedModel, type DynamojsProvider } from '../src/node.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

const threads = { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };
let dynamojs: DynamojsProvider;
let loaded: DynamojsLoadedModel;

beforeAll(async () => {
  dynamojs = createDynamojs({ device: 'cpu', loadOptions: threads });
  loaded = await dynamojs('model-tiny').load();
});
afterAll(() => dynamojs?.dispose());

const meta = (m: unknown) => (m as { dynamojs: Record<string, unknown> }).dynamojs;

describe('model-tiny through ai 7', () => {
  it('loads the bundled model with its tokenizer and co-occurrence tables', () => {
    expect(loaded.model.metadata.name).toBe('dynamo-tiny-t3');
    expect(loaded.model.metadata.heads).toBe(3);
    expect(loaded.model.metadata.device).toBe('cpu');
    expect(loaded.tables).toBeDefined();
    expect(loaded.location).toMatch(/model-tiny[\\/]model/);
  });

  it('generateText = generate() with the DynaMo sampler the settings describe, same seed', async () => {
    const r = await generateText({
      model: dynamojs('model-tiny'),
      prompt: 'The meaning of life is',
      maxOutputTokens: 40,
      temperature: 0.8,
      topK: 40,
      seed: 3,
      providerOptions: { dynamojs: { epsilon: 0.25, joint: 'heads' } },
    });
    const direct = await generate({
      model: loaded.model,
      tokenizer: loaded.tokenizer,
      prompt: 'The meaning of life is',
      mode: 'dynamo',
      // the CLI's wiring: the calibrated preset with the model's recommendations, the repetition
      // penalty as a processor of every head
      sampler: samplers.dynamo({
        tables: loaded.tables,
        ...samplers.recommendedDynamoOptions(loaded.model.metadata.decoding),
        epsilon: 0.25,
        temperature: 0.8,
        topK: 40,
      }),
      processors: [samplers.repetitionPenalty(1.1)],
      maxNewTokens: 40,
      seed: 3,
    });
    expect(r.text).toBe(direct.text);
    expect(r.text.length).toBeGreaterThan(0);
    const m = meta(r.providerMetadata);
    expect(m.steps).toEqual(direct.steps);
    expect(m.epsilon).toBe(0.25);
    expect(m.preset).toBe('calibrated');
    expect(m.device).toBe('cpu');
    expect(m.tokensPerPass).toBeGreaterThan(1);
    expect(r.usage.outputTokens).toBe(direct.stats.tokens);
    expect(r.usage.inputTokens).toBe(direct.stats.promptTokens);
    expect(r.finishReason).toBe(direct.finishReason === 'eos' ? 'stop' : 'length');
  });

  it("dynamo's default on model-tiny is the chain sampler with its draft head (base-only graph)", async () => {
    const r = await generateText({
      model: dynamojs('model-tiny'),
      prompt: 'The meaning of life is',
      maxOutputTokens: 40,
      temperature: 0.7,
      seed: 5,
    });
    const base = await loadModel(modelDir(), { device: 'cpu', baseOnly: true, draftHead: true });
    try {
      const d = base.metadata.decoding;
      const direct = await generate({
        model: base,
        tokenizer: loaded.tokenizer,
        prompt: 'The meaning of life is',
        mode: 'dynamo',
        sampler: samplers.dynamoChain({
          temperature: 0.7,
          topK: 50,
          minDraftProbability: d?.minDraftProbability,
          chainLength: d?.chainLength,
          draftTemperatureRatio: d?.draftTemperatureRatio,
        }),
        processors: [samplers.repetitionPenalty(1.1)],
        maxNewTokens: 40,
        seed: 5,
      });
      expect(r.text).toBe(direct.text);
      const m = meta(r.providerMetadata);
      expect(m.heads).toBe(1);
      expect(m.minDraftProbability).toBe(0.1);
      expect(m.tokensPerPass).toBeGreaterThan(2);
      expect(r.warnings ?? []).toEqual([]);
    } finally {
      await base.dispose();
    }
  });

  it('ar runs on the base-only graph; verified is lossless: the same greedy text, fewer passes', async () => {
    const run = (mode: 'ar' | 'verified', drafter?: 'tree') =>
      generateText({
        model: dynamojs('model-tiny'),
        prompt: 'Once upon a time',
        maxOutputTokens: 32,
        temperature: 0,
        providerOptions: { dynamojs: { mode, ...(drafter && { drafter }) } },
      });
    const ar = await run('ar');
    // greedy on the CPU, the default drafts n-gram + prompt-lookup trees on the base-only graph (the fastest here)
    const auto = await run('verified');
    expect(auto.text).toBe(ar.text);
    expect(meta(auto.providerMetadata).heads).toBe(1);
    expect(meta(auto.providerMetadata).forwardPasses as number).toBeLessThanOrEqual(32);
    const verified = await run('verified', 'tree');
    expect(verified.text).toBe(ar.text);
    expect(meta(ar.providerMetadata).forwardPasses).toBe(32);
    expect(meta(ar.providerMetadata).heads).toBe(1); // base/onnx/model.onnx
    expect(meta(verified.providerMetadata).heads).toBe(3);
    expect(meta(verified.providerMetadata).forwardPasses as number).toBeLessThanOrEqual(32);
    // DynaMo candidate trees (the model has tables): acceptance per draft depth
    expect((meta(verified.providerMetadata).acceptance as { rate: number[] }).rate.length).toBeGreaterThanOrEqual(2);
  });

  it('streamText streams the text generateText returns for the same seed', async () => {
    const options = { prompt: 'In the morning', maxOutputTokens: 32, seed: 11 } as const;
    const whole = await generateText({ model: dynamojs('model-tiny'), ...options });
    const result = streamText({ model: dynamojs('model-tiny'), ...options });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe(whole.text);
    expect(meta(await result.providerMetadata).steps).toEqual(meta(whole.providerMetadata).steps);
  });

  it('top-p in every mode; the same seed gives the same text', async () => {
    for (const mode of ['dynamo', 'ar', 'verified'] as const) {
      const run = () =>
        generateText({
          model: dynamojs('model-tiny'),
          prompt: 'The house',
          maxOutputTokens: 16,
          topP: 0.9,
          seed: 5,
          providerOptions: { dynamojs: { mode } },
        });
      const [a, b] = [await run(), await run()];
      expect(a.text).toBe(b.text);
      expect(a.text.length).toBeGreaterThan(0);
    }
  });
});

describe('model-tiny through ai 6 (specification V3)', () => {
  it('generateText and streamText', async () => {
    const v3 = createDynamojs({ specificationVersion: 'v3', device: 'cpu', loadOptions: threads });
    try {
      const r = await generateTextV6({
        model: v3('model-tiny'),
        prompt: 'The meaning of life is',
        maxOutputTokens: 24,
        seed: 3,
      });
      expect(r.text.length).toBeGreaterThan(0);
      expect(r.usage.outputTokens).toBe(meta(r.providerMetadata).tokens);
      const s = streamTextV6({
        model: v3('model-tiny'),
        prompt: 'The meaning of life is',
        maxOutputTokens: 24,
        seed: 3,
      });
      let text = '';
      for await (const delta of s.textStream) text += delta;
      expect(text).toBe(r.text);
      expect(await s.finishReason).toBe(r.finishReason);
    } finally {
      await v3.dispose();
    }
  });
});
