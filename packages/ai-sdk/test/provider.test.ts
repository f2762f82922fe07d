// The provider through `ai`'s own functions (generateText, streamText) on a scripted model: option
// mapping, results, streaming, warnings and errors. The real reference model: model-tiny.test.ts.
import {
  InvalidArgumentError,
  type LanguageModelV4,
  NoSuchModelError,
  UnsupportedFunctionalityError,
} from '@ai-sdk/provider';
import type { TextTokenizer } from '@dynamojs/core';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { createProviderRegistry, generateText, streamText } from 'ai';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamojs, type DynamojsProvider } from '../src/node.js';
import { ScriptedModel } from './fakes.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

const TOKENIZER = new URL('../../model-tiny/model/tokenizer.json', import.meta.url);
const SCRIPT = ' the old house stood at the end of the road, and nobody lived there any more.';

let tokenizer: TextTokenizer;
let model: ScriptedModel;
let dynamojs: DynamojsProvider;

beforeAll(async () => {
  tokenizer = await loadTokenizer(TOKENIZER);
  model = new ScriptedModel(tokenizer, SCRIPT);
  dynamojs = createDynamojs({ models: { scripted: { model, tokenizer } } });
});

const meta = (m: unknown) => (m as { dynamojs: Record<string, unknown> }).dynamojs;

describe('generateText', () => {
  it('continues a plain prompt; reports usage, finish reason and per-pass statistics', async () => {
    const r = await generateText({
      model: dynamojs('scripted'),
      prompt: 'Once upon a time',
      temperature: 0,
      include: { requestBody: true },
    });
    expect(r.text).toBe(SCRIPT);
    expect(r.finishReason).toBe('stop');
    expect(r.rawFinishReason).toBe('eos');
    const promptTokens = tokenizer.encode('Once upon a time').length;
    expect(r.usage.inputTokens).toBe(promptTokens);
    expect(r.usage.outputTokens).toBe(model.script.length);
    expect(r.usage.totalTokens).toBe(promptTokens + model.script.length);
    const m = meta(r.providerMetadata);
    expect(m.mode).toBe('dynamo');
    expect(m.device).toBe('fake');
    expect(m.tokens).toBe(model.script.length);
    expect((m.steps as number[]).reduce((a, b) => a + b, 0)).toBe(model.script.length);
    expect(m.forwardPasses).toBe((m.steps as number[]).length);
    expect(m.tokensPerPass).toBeGreaterThan(2); // the scripted heads are always right
    expect(typeof m.tokensPerSecond).toBe('number');
    expect(r.response.modelId).toBe('scripted');
    expect((r.request.body as { prompt: string }).prompt).toBe('Once upon a time');
    // nothing unsupported; one note: this bundle has no co-occurrence tables
    expect(r.warnings?.filter((w) => w.type !== 'other')).toEqual([]);
  });

  it('maps maxOutputTokens, stopSequences and seed onto generate()', async () => {
    const short = await generateText({ model: dynamojs('scripted'), prompt: 'x', maxOutputTokens: 5, temperature: 0 });
    expect(short.finishReason).toBe('length');
    expect(short.rawFinishReason).toBe('length');
    expect(short.usage.outputTokens).toBe(5);
    expect(short.text).toBe(tokenizer.decode(model.script.slice(0, 5)));

    const stopped = await generateText({ model: dynamojs('scripted'), prompt: 'x', stopSequences: ['road'] });
    expect(stopped.text).toBe(' the old house stood at the end of the ');
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.rawFinishReason).toBe('stop');
    expect(meta(stopped.providerMetadata).stopString).toBe('road');

    const body = (
      await generateText({
        model: dynamojs('scripted'),
        prompt: 'x',
        seed: 7,
        maxOutputTokens: 3,
        include: { requestBody: true },
      })
    ).request.body as Record<string, unknown>;
    expect(body).toMatchObject({ seed: 7, maxNewTokens: 3, mode: 'dynamo' });
  });

  it('runs every mode: ar one token a pass, verified with its acceptance, the same text at temperature 0', async () => {
    const texts: Record<string, string> = {};
    for (const mode of ['ar', 'dynamo', 'verified'] as const) {
      // verified: the heads' top-1 chains (the scripted heads are right); the default drafter is below
      const r = await generateText({
        model: dynamojs('scripted'),
        prompt: 'Once upon a time',
        temperature: 0,
        providerOptions: { dynamojs: { mode, ...(mode === 'verified' && { drafter: 'top1' }) } },
      });
      texts[mode] = r.text;
      const m = meta(r.providerMetadata);
      expect(m.mode).toBe(mode);
      if (mode === 'ar') expect(Math.max(...(m.steps as number[]))).toBe(1);
      else expect(m.tokensPerPass).toBeGreaterThan(2);
      if (mode === 'verified') {
        // the heads are right until the script ends (drafts past eos are rejected)
        const { rate } = m.acceptance as { rate: number[] };
        expect(rate.every((r) => r > 0.9)).toBe(true);
        expect(m.sampler).toBe('greedy');
      } else expect(m.acceptance).toBeUndefined();
    }
    expect(texts).toEqual({ ar: SCRIPT, dynamo: SCRIPT, verified: SCRIPT });
    // the default drafter (greedy on a CPU: n-gram + prompt lookup) is lossless too
    const auto = await generateText({
      model: dynamojs('scripted'),
      prompt: 'Once upon a time',
      temperature: 0,
      providerOptions: { dynamojs: { mode: 'verified' } },
      include: { requestBody: true },
    });
    expect(auto.text).toBe(SCRIPT);
    expect((auto.request.body as { drafter?: string }).drafter).toBe('ngram');
  });

  it('takes the mode from the model settings and the provider settings, the call winning', async () => {
    const provider = createDynamojs({ mode: 'ar', models: { scripted: { model, tokenizer } } });
    const run = async (m: LanguageModelV4, mode?: string) =>
      meta(
        (
          await generateText({
            model: m,
            prompt: 'x',
            maxOutputTokens: 4,
            ...(mode && { providerOptions: { dynamojs: { mode } } }),
          })
        ).providerMetadata,
      ).mode;
    expect(await run(provider('scripted'))).toBe('ar');
    expect(await run(provider('scripted', { mode: 'verified' }))).toBe('verified');
    expect(await run(provider('scripted', { mode: 'verified' }), 'dynamo')).toBe('dynamo');
  });

  it('joins messages into a transcript with a compatibility warning and stops at the next user turn', async () => {
    const transcript = new ScriptedModel(tokenizer, ' Fine, thanks.\nuser: and you?');
    const provider = createDynamojs({ models: { chat: { model: transcript, tokenizer } } });
    const r = await generateText({
      model: provider('chat'),
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'How are you?' },
      ],
      temperature: 0,
      include: { requestBody: true },
    });
    expect((r.request.body as { prompt: string }).prompt).toBe(
      'Be brief.\n\nuser:\nHi\n\nassistant:\nHello!\n\nuser:\nHow are you?\n\nassistant:\n',
    );
    expect(r.text).toBe(' Fine, thanks.');
    expect(r.finishReason).toBe('stop');
    expect(r.warnings).toContainEqual(expect.objectContaining({ type: 'compatibility', feature: 'messages' }));
  });

  it('continues a last assistant message (prefill)', async () => {
    const r = await generateText({
      model: dynamojs('scripted'),
      messages: [
        { role: 'user', content: 'Tell me' },
        { role: 'assistant', content: 'Well,' },
      ],
      maxOutputTokens: 2,
      include: { requestBody: true },
    });
    expect((r.request.body as { prompt: string }).prompt).toBe('user:\nTell me\n\nassistant:\nWell,');
  });

  it('reports what it cannot do as warnings: tools, JSON output, penalties, reasoning', async () => {
    const r = await generateText({
      model: dynamojs('scripted'),
      prompt: 'x',
      maxOutputTokens: 3,
      presencePenalty: 0.5,
      frequencyPenalty: 0.5,
      tools: {
        weather: { description: 'weather', inputSchema: { '~standard': undefined } as never },
      },
      toolChoice: 'required',
    }).catch(async () =>
      // some ai versions validate tool schemas eagerly: call the model directly instead
      (dynamojs('scripted') as LanguageModelV4).doGenerate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
        maxOutputTokens: 3,
        presencePenalty: 0.5,
        frequencyPenalty: 0.5,
        tools: [{ type: 'function', name: 'weather', inputSchema: { type: 'object' } }],
        toolChoice: { type: 'required' },
      }),
    );
    const features = r.warnings?.map((w) => (w as { feature?: string }).feature);
    expect(features).toEqual(expect.arrayContaining(['tools', 'toolChoice', 'presencePenalty', 'frequencyPenalty']));

    const direct = await (dynamojs('scripted') as LanguageModelV4).doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      maxOutputTokens: 2,
      reasoning: 'high',
    });
    const unsupported = direct.warnings.filter((w) => w.type === 'unsupported');
    expect(unsupported.map((w) => (w as { feature?: string }).feature)).toEqual(['reasoning']);
  });

  it('warns about DynaMo-only settings in other modes, a model without ngrams.bin, a one-head model', async () => {
    const r = await generateText({
      model: dynamojs('scripted'),
      prompt: 'x',
      maxOutputTokens: 2,
      providerOptions: { dynamojs: { mode: 'ar', epsilon: 0.2 } },
    });
    expect(r.warnings).toContainEqual(expect.objectContaining({ type: 'unsupported', feature: 'epsilon' }));
    const d = await generateText({ model: dynamojs('scripted'), prompt: 'x', maxOutputTokens: 2 });
    expect(d.warnings).toContainEqual(
      expect.objectContaining({ type: 'other', message: expect.stringContaining('no ngrams.bin') }),
    );
    const single = createDynamojs({
      models: { one: { model: new ScriptedModel(tokenizer, SCRIPT, { heads: 1 }), tokenizer } },
    });
    const one = await generateText({ model: single('one'), prompt: 'x', temperature: 0 });
    expect(one.text).toBe(SCRIPT);
    expect(one.warnings).toContainEqual(
      expect.objectContaining({ type: 'other', message: expect.stringContaining('one-head model') }),
    );
  });
});

describe('errors', () => {
  it('an unknown model id is a NoSuchModelError at once; so are embedding and image models', () => {
    expect(() => dynamojs('gpt-4o')).toThrow(NoSuchModelError);
    try {
      dynamojs('gpt-4o');
    } catch (error) {
      expect(NoSuchModelError.isInstance(error)).toBe(true);
      expect((error as NoSuchModelError).modelId).toBe('gpt-4o');
      expect((error as Error).message).toMatch(/model-tiny.*folder path or URL.*'scripted'/s);
    }
    expect(() => dynamojs.embeddingModel('x')).toThrow(NoSuchModelError);
    expect(() => dynamojs.imageModel('x')).toThrow(NoSuchModelError);
    expect(() => new (dynamojs as unknown as new (id: string) => unknown)('scripted')).toThrow(/without new/);
  });

  it('an id with a "/" is a folder: one that is not there fails with a DynamoError naming it', async () => {
    const m = dynamojs('./no/such/model/');
    await expect(generateText({ model: m, prompt: 'x', maxRetries: 0 })).rejects.toMatchObject({
      code: 'DYNAMO_MODEL_LOAD',
      message: expect.stringContaining('no/such/model'),
    });
  });

  it('files and tool messages are UnsupportedFunctionalityError', async () => {
    await expect(
      generateText({
        model: dynamojs('scripted'),
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', image: new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]) },
            ],
          },
        ],
      }),
    ).rejects.toSatisfy((e) => UnsupportedFunctionalityError.isInstance(e) && /file parts/i.test((e as Error).message));
    await expect(
      (dynamojs('scripted') as LanguageModelV4).doGenerate({
        prompt: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          {
            role: 'tool',
            content: [{ type: 'tool-result', toolCallId: '1', toolName: 't', output: { type: 'text', value: 'y' } }],
          },
        ],
      }),
    ).rejects.toSatisfy((e) => UnsupportedFunctionalityError.isInstance(e));
  });

  it('bad settings are InvalidArgumentError naming them, at every level', async () => {
    expect(() => createDynamojs({ mode: 'fast' as never })).toThrow(InvalidArgumentError);
    expect(() => createDynamojs({ epsilon: 2 })).toThrow(/epsilon: must be a number in \[0, 1\], got 2/);
    expect(() => createDynamojs({ device: 'tpu' as never })).toThrow(/device: must be one of/);
    expect(() => createDynamojs({ models: { x: 42 as never } })).toThrow(/models\["x"\]/);
    expect(() => dynamojs('scripted', { blur: 2 })).toThrow(/blur: must be 0, 1 or an odd kernel size/);
    expect(() => dynamojs('scripted', { preset: 'fast' as never })).toThrow(
      /preset: must be one of 'calibrated', 'paper'/,
    );
    expect(() => dynamojs('scripted', { temperature: 1 } as never)).toThrow(/temperature: unknown setting/);
    await expect(
      generateText({ model: dynamojs('scripted'), prompt: 'x', providerOptions: { dynamojs: { epsilon: -1 } } }),
    ).rejects.toSatisfy(
      (e) =>
        InvalidArgumentError.isInstance(e) &&
        (e as InvalidArgumentError).argument === 'providerOptions.dynamojs.epsilon',
    );
    // DynaMo.js's own validation (here: the DynaMo sampler's top-k bound) arrives as InvalidArgumentError too
    const big = await generateText({ model: dynamojs('scripted'), prompt: 'x', topK: 500, maxRetries: 0 }).catch(
      (e) => e,
    );
    expect(InvalidArgumentError.isInstance(big)).toBe(true);
    expect(big.argument).toBe('topK');
    expect(big.cause).toMatchObject({ code: 'DYNAMO_INVALID_OPTION' });
    const stop = await generateText({ model: dynamojs('scripted'), prompt: 'x', stopSequences: [''] }).catch((e) => e);
    expect(InvalidArgumentError.isInstance(stop)).toBe(true);
  });

  it('an aborted call rejects with the abort reason and frees its cache', async () => {
    const slow = new ScriptedModel(tokenizer, SCRIPT.repeat(3));
    slow.delayMs = 5;
    const provider = createDynamojs({ models: { slow: { model: slow, tokenizer } } });
    const controller = new AbortController();
    const pending = generateText({
      model: provider('slow'),
      prompt: 'x',
      abortSignal: controller.signal,
      providerOptions: { dynamojs: { mode: 'ar' } },
    });
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(slow.caches.every((c) => c.disposed)).toBe(true);
    await expect(
      generateText({ model: provider('slow'), prompt: 'x', abortSignal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('streamText', () => {
  it('streams text deltas that add up to the text, then usage, finish reason and metadata', async () => {
    const result = streamText({ model: dynamojs('scripted'), prompt: 'Once upon a time', temperature: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(SCRIPT);
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBe(model.script.length);
    const m = meta(await result.providerMetadata);
    expect(m.tokensPerPass).toBeGreaterThan(2);
    expect(m.tokens).toBe(model.script.length);
  });

  it('includeRawChunks: one raw chunk per forward pass with the tokens it emitted', async () => {
    const result = streamText({
      model: dynamojs('scripted'),
      prompt: 'x',
      temperature: 0,
      includeRawChunks: true,
    });
    const raw: { type: string; tokens?: number[] }[] = [];
    for await (const part of result.fullStream) if (part.type === 'raw') raw.push(part.rawValue as never);
    const passes = raw.filter((r) => r.type === 'tokens');
    const m = meta(await result.providerMetadata);
    expect(passes.map((p) => p.tokens?.length)).toEqual(m.steps);
    expect(passes.flatMap((p) => p.tokens)).toEqual([...model.script]);
  });

  it('a reader that stops early ends the generation and frees its cache', async () => {
    const long = new ScriptedModel(tokenizer, SCRIPT.repeat(3));
    const provider = createDynamojs({ models: { long: { model: long, tokenizer } } });
    const result = await provider('long').doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      providerOptions: { dynamojs: { mode: 'ar' } },
    });
    const reader = result.stream.getReader();
    let deltas = 0;
    while (deltas < 3) {
      const { value } = await reader.read();
      if (value?.type === 'text-delta') deltas++;
    }
    await reader.cancel();
    const passes = long.forwardCalls;
    expect(passes).toBeLessThan(long.script.length);
    expect(long.caches.every((c) => c.disposed)).toBe(true);
  });

  it('an abort ends the stream with an AbortError', async () => {
    const slow = new ScriptedModel(tokenizer, SCRIPT.repeat(3));
    slow.delayMs = 5;
    const provider = createDynamojs({ models: { slow: { model: slow, tokenizer } } });
    const controller = new AbortController();
    const { stream } = await provider('slow').doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      abortSignal: controller.signal,
      providerOptions: { dynamojs: { mode: 'ar' } },
    });
    const reader = stream.getReader();
    const seen: string[] = [];
    const failure = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        seen.push(value.type);
        if (value.type === 'text-delta' && seen.filter((t) => t === 'text-delta').length === 2) controller.abort();
      }
    })().catch((error: unknown) => error);
    expect(await failure).toMatchObject({ name: 'AbortError' });
    expect(seen.slice(0, 3)).toEqual(['stream-start', 'response-metadata', 'text-start']);
    expect(seen).not.toContain('finish');
  });
});

describe('the provider', () => {
  it('is a ProviderV4 that works in a provider registry', async () => {
    expect(dynamojs.specificationVersion).toBe('v4');
    const registry = createProviderRegistry({ dynamojs });
    const r = await generateText({
      model: registry.languageModel('dynamojs:scripted'),
      prompt: 'x',
      maxOutputTokens: 4,
      temperature: 0,
    });
    expect(r.text).toBe(tokenizer.decode(model.script.slice(0, 4)));
  });

  it('load() gives the model; a bundle you loaded is yours: dispose() leaves it alone', async () => {
    const loaded = await dynamojs('scripted').load();
    expect(loaded.model).toBe(model);
    expect(loaded.tokenizer).toBe(tokenizer);
    expect(loaded.tables).toBeUndefined();
    await dynamojs.dispose();
    expect((await generateText({ model: dynamojs('scripted'), prompt: 'x', maxOutputTokens: 2 })).text).not.toBe('');
  });

  it("specificationVersion 'v3' makes V3 models (for ai 6)", () => {
    const v3 = createDynamojs({ specificationVersion: 'v3', models: { scripted: { model, tokenizer } } });
    expect(v3.specificationVersion).toBe('v3');
    expect(v3('scripted').specificationVersion).toBe('v3');
    expect(() => v3.textEmbeddingModel?.('x')).toThrow(NoSuchModelError);
  });
});
