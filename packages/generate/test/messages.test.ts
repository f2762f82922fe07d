import { type ChatMessage, DynamoErrorCode } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { ChatTokenizer } from './chatFakes.js';
import { expectCode, FakeModel, FakeTokenizer, scriptedSampler } from './fakes.js';

describe('generate({ messages })', () => {
  it('renders with the generation prompt, encodes without special tokens, stops at the end of turn', async () => {
    const tokenizer = new ChatTokenizer();
    const encodes: unknown[] = [];
    const encode = tokenizer.encode.bind(tokenizer);
    tokenizer.encode = (text: string, options?: { addSpecialTokens?: boolean }) => {
      encodes.push(options);
      return encode(text);
    };
    const model = new FakeModel({ eos: 0 });
    const sampler = scriptedSampler([
      [8, 9],
      [7, 1, 2],
    ]);
    const messages: ChatMessage[] = [
      { role: 'system', content: 'a' },
      { role: 'user', content: 'b' },
    ];
    const r = await generate({ model, tokenizer, messages, sampler, maxNewTokens: 20, addSpecialTokens: true });
    // "za.xb.y": z a . x b . y
    expect(model.calls[0]!.tokens).toEqual([12, 1, 7, 10, 2, 7, 11]);
    expect(tokenizer.rendered[0]!.options.addGenerationPrompt).toBe(true);
    expect(encodes[0]).toEqual({ addSpecialTokens: false });
    expect(r.finishReason).toBe('eos');
    expect(r.tokens).toEqual([8, 9]);
    expect(r.text).toBe('hello world');
  });

  it('an explicit eos wins over the end of turn; chatTemplateOptions pass through', async () => {
    const tokenizer = new ChatTokenizer();
    const model = new FakeModel({ eos: 0 });
    const sampler = scriptedSampler([[8, 7, 1], [0]]);
    const r = await generate({
      model,
      tokenizer,
      messages: [{ role: 'user', content: 'a' }],
      sampler,
      maxNewTokens: 20,
      eos: 0,
      chatTemplateOptions: { templateVariables: { enable_thinking: false } },
    });
    expect(r.tokens).toEqual([8, 7, 1]);
    expect(tokenizer.rendered[0]!.options.templateVariables).toEqual({ enable_thinking: false });
  });

  it('continueFinalMessage continues an assistant prefill (no generation prompt)', async () => {
    const tokenizer = new ChatTokenizer();
    const model = new FakeModel({ eos: 0 });
    const r = await generate({
      model,
      tokenizer,
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'hello' },
      ],
      chatTemplateOptions: { continueFinalMessage: true },
      sampler: scriptedSampler([[9, 7]]),
      maxNewTokens: 20,
    });
    // "xa.yhello"
    expect(model.calls[0]!.tokens).toEqual([10, 1, 7, 11, 8]);
    expect(tokenizer.rendered[0]!.options).toMatchObject({ continueFinalMessage: true, addGenerationPrompt: false });
    expect(r.text).toBe(' world');
  });

  it('a tokenizer without a template → DYNAMO_UNSUPPORTED', async () => {
    const model = new FakeModel();
    await expectCode(
      generate({ model, tokenizer: new FakeTokenizer(), messages: [{ role: 'user', content: 'a' }] }),
      DynamoErrorCode.UNSUPPORTED,
      'messages',
    );
  });

  it('a template that raises: its typed error, with its message', async () => {
    const model = new FakeModel();
    const p = generate({ model, tokenizer: new ChatTokenizer(), messages: [{ role: 'tool', content: 'a' }] });
    await expect(p).rejects.toThrow(/no tool role/);
    await expectCode(p, DynamoErrorCode.INVALID_OPTION);
  });

  it('exactly one of prompt / inputIds / messages; messages need a tokenizer and { role } objects', async () => {
    const model = new FakeModel();
    const tokenizer = new ChatTokenizer();
    const messages = [{ role: 'user', content: 'a' }];
    await expectCode(generate({ model, tokenizer, messages, prompt: 'a' }), DynamoErrorCode.INVALID_OPTION, 'prompt');
    await expectCode(
      generate({ model, tokenizer, messages, inputIds: [1] }),
      DynamoErrorCode.INVALID_OPTION,
      'inputIds',
    );
    await expectCode(generate({ model, messages }), DynamoErrorCode.INVALID_OPTION, 'tokenizer');
    await expectCode(
      generate({ model, tokenizer, messages: 'hi' as never }),
      DynamoErrorCode.INVALID_OPTION,
      'messages',
    );
    await expectCode(
      generate({ model, tokenizer, messages: [{ content: 'a' }] as never }),
      DynamoErrorCode.INVALID_OPTION,
      'messages[0]',
    );
    await expectCode(
      generate({ model, tokenizer, messages, chatTemplateOptions: 'x' as never }),
      DynamoErrorCode.INVALID_OPTION,
      'chatTemplateOptions',
    );
  });
});
