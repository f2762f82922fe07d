// The `assistant` setting: a small model drafts, the provider's model verifies (`mode: 'verified'`).
// On a scripted model with a scripted assistant, and on the reference model as its own assistant.
import { InvalidArgumentError } from '@ai-sdk/provider';
import type { ForwardOptions, ForwardResult, KVCache, MultiTokenModel, TextTokenizer } from '@dynamojs/core';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamojs, type DynamojsProvider } from '../src/node.js';
import { ScriptedModel } from './fakes.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

const TOKENIZER = new URL('../../model-tiny/model/tokenizer.json', import.meta.url);
const SCRIPT = ' the old house stood at the end of the road, and nobody lived there any more.';
const meta = (m: unknown) => (m as { dynamojs: Record<string, unknown> }).dynamojs;

/**
 * A scripted assistant that knows the target's script: its first chunk is the prompt and the first
 * token (the drafter feeds `history`, which already ends with it), so its script starts one later.
 */
class ScriptedAssistant implements MultiTokenModel {
  readonly inner: ScriptedModel;
  readonly metadata: MultiTokenModel['metadata'];
  forwards = 0;
  constructor(tokenizer: TextTokenizer, text: string) {
    this.inner = new ScriptedModel(tokenizer, text, { heads: 1 });
    this.metadata = { ...this.inner.metadata, name: 'scripted-assistant' };
  }
  createCache(): KVCache {
    return this.inner.createCache();
  }
  forward(tokens: ArrayLike<number>, cache: KVCache, options?: ForwardOptions): Promise<ForwardResult> {
    this.forwards++;
    const c = cache as KVCache & { promptLength: number };
    if (c.promptLength < 0) c.promptLength = tokens.length - 1;
    return this.inner.forward(tokens, cache, options);
  }
  async dispose(): Promise<void> {}
}

let tokenizer: TextTokenizer;

beforeAll(async () => {
  tokenizer = await loadTokenizer(TOKENIZER);
});

describe('assistant setting (scripted models)', () => {
  it('a MultiTokenModel assistant drafts: the script in few passes, drafter reported, temperature 0', async () => {
    const model = new ScriptedModel(tokenizer, SCRIPT, { heads: 1 });
    const assistant = new ScriptedAssistant(tokenizer, SCRIPT);
    const dynamojs = createDynamojs({ models: { scripted: { model, tokenizer } } });
    const r = await generateText({
      model: dynamojs('scripted', { mode: 'verified', assistant, assistantMinProbability: 0 }),
      prompt: 'Once upon a time',
      temperature: 0,
    });
    expect(r.text).toBe(SCRIPT);
    const m = meta(r.providerMetadata);
    expect(m.mode).toBe('verified');
    expect(m.tokensPerPass as number).toBeGreaterThan(2);
    expect(assistant.forwards).toBeGreaterThan(0);
    // the call's drafter released the assistant's KV cache when the generation ended
    expect(assistant.inner.caches.length).toBeGreaterThan(0);
    expect(assistant.inner.caches.every((c) => c.disposed)).toBe(true);
    // without the assistant, the same text
    const plain = await generateText({
      model: dynamojs('scripted', { mode: 'verified' }),
      prompt: 'Once upon a time',
      temperature: 0,
    });
    expect(plain.text).toBe(SCRIPT);
  });

  it('streamText drafts with the assistant too, and releases its cache at the end', async () => {
    const model = new ScriptedModel(tokenizer, SCRIPT, { heads: 1 });
    const assistant = new ScriptedAssistant(tokenizer, SCRIPT);
    const dynamojs = createDynamojs({ models: { scripted: { model, tokenizer } } });
    const r = streamText({
      model: dynamojs('scripted', { mode: 'verified', assistant, assistantMinProbability: 0 }),
      prompt: 'Once upon a time',
      temperature: 0,
    });
    let text = '';
    for await (const delta of r.textStream) text += delta;
    expect(text).toBe(SCRIPT);
    expect(meta(await r.providerMetadata).tokensPerPass as number).toBeGreaterThan(2);
    expect(assistant.inner.caches.length).toBeGreaterThan(0);
    expect(assistant.inner.caches.every((c) => c.disposed)).toBe(true);
  });

  it('a wrong assistant (another script) costs passes, never text; sampling stays exact', async () => {
    const model = new ScriptedModel(tokenizer, SCRIPT, { heads: 1 });
    const assistant = new ScriptedAssistant(tokenizer, ' a completely different story about a cat.');
    const dynamojs = createDynamojs({ models: { scripted: { model, tokenizer } }, assistant });
    for (const temperature of [0, 1]) {
      const r = await generateText({
        model: dynamojs('scripted', { mode: 'verified' }),
        prompt: 'Once upon a time',
        temperature,
        seed: 4,
      });
      // the scripted target puts (almost) all its mass on the script
      expect(r.text).toBe(SCRIPT);
    }
    expect(assistant.forwards).toBeGreaterThan(0);
  });

  it('bad settings are InvalidArgumentError naming the setting; per-call assistantK outside verified warns', async () => {
    const model = new ScriptedModel(tokenizer, SCRIPT, { heads: 1 });
    const dynamojs = createDynamojs({ models: { scripted: { model, tokenizer } } });
    for (const settings of [{ assistant: 42 }, { assistant: {} }, { assistantK: 0 }, { assistantMinProbability: 2 }]) {
      expect(() => dynamojs('scripted', settings as never)).toThrow(InvalidArgumentError);
      try {
        dynamojs('scripted', settings as never);
      } catch (e) {
        expect(String((e as Error).message)).toContain(Object.keys(settings)[0]);
      }
    }
    const r = await generateText({
      model: dynamojs('scripted', { mode: 'ar' }),
      prompt: 'Once upon a time',
      temperature: 0,
      providerOptions: { dynamojs: { assistantK: 3 } },
    });
    expect(r.warnings?.some((w) => JSON.stringify(w).includes('assistantK'))).toBe(true);
    // drafter 'assistant' without one: a call error naming the drafter
    await expect(
      generateText({
        model: dynamojs('scripted', { mode: 'verified', drafter: 'assistant' }),
        prompt: 'Once upon a time',
        temperature: 0,
      }),
    ).rejects.toThrow(/assistant/);
  });
});

describe('assistant setting (model-tiny as its own assistant)', () => {
  let dynamojs: DynamojsProvider;
  beforeAll(() => {
    dynamojs = createDynamojs({
      device: 'cpu',
      loadOptions: { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } },
    });
  });
  afterAll(() => dynamojs?.dispose());

  it("assistant: 'model-tiny' — greedy verified is exactly ar's text, several tokens per pass", async () => {
    const prompt = 'The meaning of life is';
    const ar = await generateText({
      model: dynamojs('model-tiny', { mode: 'ar' }),
      prompt,
      maxOutputTokens: 32,
      temperature: 0,
    });
    const v = await generateText({
      model: dynamojs('model-tiny', { mode: 'verified', assistant: 'model-tiny', assistantMinProbability: 0 }),
      prompt,
      maxOutputTokens: 32,
      temperature: 0,
    });
    expect(v.text).toBe(ar.text);
    const m = meta(v.providerMetadata);
    expect(m.heads).toBe(1); // the base-only graph verifies
    expect(m.tokensPerPass as number).toBeGreaterThan(2);
  });
});
