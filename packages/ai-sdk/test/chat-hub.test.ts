// An instruct model in the hub layout through the AI SDK (the mistral fixture of
// packages/onnx/test/fixtures/make_hub_exports.py: SentencePiece BPE tokenizer, Mistral-style chat
// template): generateText / streamText with messages render the template, stop at eos, and give
// exactly generate({ messages })'s greedy reply — which packages/cli/test/hub-chat.test.ts checks
// against transformers.js.
import { join } from 'node:path';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { greedy } from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureHubExports, HUB, hasTorch } from '../../onnx/test/fixtures/hubExports.js';
import { createDynamojs, type DynamojsProvider } from '../src/node.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

const DIR = join(HUB, 'mistral');
const USER = 'tell me a story about a cat';
const threads = { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };
let dynamojs: DynamojsProvider;
let expected: string;

describe.skipIf(!hasTorch)('a hub instruct model through the AI SDK', () => {
  beforeAll(async () => {
    ensureHubExports();
    const model = await loadModel(DIR, { device: 'cpu', ...threads });
    const tokenizer = await loadTokenizer(join(DIR, 'tokenizer.json'));
    try {
      const r = await generate({
        model,
        tokenizer,
        messages: [{ role: 'user', content: USER }],
        mode: 'ar',
        sampler: greedy(),
        maxNewTokens: 16,
      });
      expected = r.text;
    } finally {
      await model.dispose();
    }
    dynamojs = createDynamojs({ device: 'cpu', loadOptions: threads });
  }, 180_000);
  afterAll(() => dynamojs?.dispose());

  it.each(['ar', 'verified'])('generateText with messages (mode %s, greedy) = generate({ messages })', async (mode) => {
    const r = await generateText({
      model: dynamojs(DIR),
      messages: [{ role: 'user', content: USER }],
      maxOutputTokens: 16,
      temperature: 0,
      providerOptions: { dynamojs: { mode } },
      include: { requestBody: true },
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(r.text).toBe(expected);
    const body = r.request.body as { prompt: string; promptFormat: string };
    expect(body.prompt).toBe(`<s>[INST] ${USER} [/INST]`);
    expect(body.promptFormat).toBe('chat-template');
  });

  it('streamText streams the same reply', async () => {
    const s = streamText({
      model: dynamojs(DIR),
      messages: [{ role: 'user', content: USER }],
      maxOutputTokens: 16,
      temperature: 0,
    });
    let text = '';
    for await (const part of s.textStream) text += part;
    expect(text).toBe(expected);
  });
});
