// Structured output through the AI SDK: `generateText({ output: Output.object({ schema }) })` and
// `responseFormat: { type: 'json' }` (with or without a schema) on the reference model, with `ai` 7
// and `ai` 6 — the provider enforces the schema with a grammar, in every mode.
import { generateText, Output } from 'ai';
import { generateText as generateTextV6, Output as OutputV6 } from 'ai-v6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDynamojs, type DynamojsProvider } from '../src/node.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

const threads = { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };
let dynamojs: DynamojsProvider;

beforeAll(async () => {
  dynamojs = createDynamojs({ device: 'cpu', loadOptions: threads });
  await dynamojs('model-tiny').load();
});
afterAll(() => dynamojs?.dispose());

const person = z.object({
  name: z.string().max(16),
  age: z.number().int().min(0).max(120),
  vip: z.boolean(),
  tier: z.enum(['free', 'pro']),
});

describe('structured output through the AI SDK', () => {
  for (const mode of ['dynamo', 'verified', 'ar'] as const) {
    it(`ai 7: Output.object({ schema }) parses and validates (${mode})`, async () => {
      for (const seed of [1, 2, 3]) {
        const r = await generateText({
          model: dynamojs('model-tiny'),
          prompt: 'A customer record:',
          output: Output.object({ schema: person }),
          maxOutputTokens: 120,
          seed,
          providerOptions: { dynamojs: { mode } },
        });
        expect(person.safeParse(r.output).success, r.text).toBe(true);
        expect(r.warnings ?? []).not.toContainEqual(expect.objectContaining({ feature: 'responseFormat' }));
      }
    });
  }

  it('ai 6: Output.object({ schema }) parses and validates', async () => {
    const v3 = createDynamojs({ specificationVersion: 'v3', device: 'cpu', loadOptions: threads });
    try {
      const r = await generateTextV6({
        model: v3('model-tiny'),
        prompt: 'A customer record:',
        output: OutputV6.object({ schema: person }),
        maxOutputTokens: 120,
        seed: 4,
      });
      expect(person.safeParse(r.output).success, r.text).toBe(true);
    } finally {
      await v3.dispose();
    }
  });

  it("responseFormat { type: 'json' } without a schema gives JSON", async () => {
    const model = dynamojs('model-tiny');
    const r = await model.doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Data:' }] }],
      responseFormat: { type: 'json' },
      maxOutputTokens: 60,
      seed: 2,
    });
    const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    if (r.finishReason.raw === 'eos') expect(() => JSON.parse(text)).not.toThrow();
    expect((r.request?.body as { responseFormat?: unknown } | undefined)?.responseFormat).toEqual({ type: 'json' });
  });

  it('schema keywords the grammar cannot enforce are an unsupported warning, the rest is enforced', async () => {
    const positive = z.object({ count: z.number().int().positive().max(50), ok: z.boolean() });
    const r = await generateText({
      model: dynamojs('model-tiny'),
      prompt: 'Counter:',
      output: Output.object({ schema: z.object({ count: z.number().int().max(50), ok: z.boolean() }) }),
      maxOutputTokens: 60,
      seed: 1,
    });
    expect(r.output).toBeDefined();
    const model = dynamojs('model-tiny');
    const direct = await model.doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Counter:' }] }],
      responseFormat: { type: 'json', schema: z.toJSONSchema(positive) as never },
      maxOutputTokens: 60,
      seed: 1,
    });
    expect(direct.warnings).toContainEqual(
      expect.objectContaining({
        type: 'unsupported',
        feature: 'responseFormat',
        details: expect.stringMatching(/exclusiveMinimum/),
      }),
    );
  });

  it('a schema the engine cannot compile is a call error with its message', async () => {
    const model = dynamojs('model-tiny');
    await expect(
      model.doGenerate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
        responseFormat: { type: 'json', schema: { type: 'foo' } as never },
        maxOutputTokens: 5,
      }),
    ).rejects.toThrow(/Unsupported type "foo"/);
  });
});
