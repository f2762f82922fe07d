import type { TextTokenizer } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { ChatTokenizer } from '../../generate/test/chatFakes.js';
import { type ModelBundle, runCli } from '../src/index.js';
import { FakeModel, FakeTokenizer, sink } from './fakes.js';

function chatLoader(tokenizer: TextTokenizer) {
  return async (): Promise<ModelBundle> => ({
    dir: '/fake/instruct',
    tokenizer,
    model: new FakeModel({ vocabSize: 16, headAccuracy: 0.8, device: 'fake-cpu' }),
    baseModel: new FakeModel({ vocabSize: 16, heads: 1, device: 'fake-cpu' }),
    tables: undefined,
    device: 'fake-cpu',
    async dispose() {},
  });
}

async function run(argv: string[], tokenizer: TextTokenizer = new ChatTokenizer()) {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr, loader: chatLoader(tokenizer) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The greedy reply of the fake base model to a rendered prompt, up to eos (0) or the end of turn (7). */
function expectedReply(rendered: string, maxTokens: number): number[] {
  const tok = new ChatTokenizer();
  const ids = new FakeModel({ vocabSize: 16, heads: 1 }).greedy(tok.encode(rendered), maxTokens);
  const end = ids.findIndex((id) => id === 0 || id === 7);
  return end < 0 ? ids : ids.slice(0, end);
}

describe('dynamo generate --chat', () => {
  it('sends the prompt as a user message through the template and prints only the reply', async () => {
    const tokenizer = new ChatTokenizer();
    const r = await run(
      ['generate', 'hello world', '--chat', '--mode', 'ar', '--greedy', '--max-tokens', '12'],
      tokenizer,
    );
    expect(r.code, r.stderr).toBe(0);
    // (the other renders: the CLI's template check and generate's end-of-turn probe)
    expect(tokenizer.rendered.find((x) => x.options.addGenerationPrompt)).toMatchObject({
      messages: [{ role: 'user', content: 'hello world' }],
      options: { addGenerationPrompt: true },
    });
    const reply = expectedReply('xhello world.y', 12);
    expect(reply.length).toBeGreaterThan(0);
    expect(r.stdout).toBe(`${new FakeTokenizer().decode(reply)}\n`);
    expect(r.stderr).toMatch(/ar · /);
  });

  it('--system adds a system message (and implies --chat); --json reports the messages', async () => {
    const tokenizer = new ChatTokenizer();
    const r = await run(
      ['generate', 'hello', '--system', 'a b', '--mode', 'ar', '--greedy', '--max-tokens', '12', '--json'],
      tokenizer,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.messages).toEqual([
      { role: 'system', content: 'a b' },
      { role: 'user', content: 'hello' },
    ]);
    expect(out.tokens).toEqual(expectedReply('za b.xhello.y', 12));
    if (out.finishReason === 'eos') expect(out.tokens.length).toBeLessThan(12);
  });

  it('a tokenizer without a chat template: one DYNAMO_UNSUPPORTED line naming --chat', async () => {
    const r = await run(['generate', 'hello', '--chat', '--mode', 'ar'], new FakeTokenizer());
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /error DYNAMO_UNSUPPORTED: --chat: the tokenizer of \/fake\/instruct has no chat template/,
    );
  });

  it('a template that raises: its message, as one error line', async () => {
    class Raising extends ChatTokenizer {
      override applyChatTemplate(): string {
        throw new Error('Conversation roles must alternate');
      }
    }
    const r = await run(['generate', 'hello', '--chat', '--mode', 'ar'], new Raising());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Conversation roles must alternate/);
  });

  it('generate --help documents --chat and --system', async () => {
    const r = await run(['generate', '--help']);
    expect(r.stdout).toMatch(/--chat/);
    expect(r.stdout).toMatch(/--system STRING/);
  });
});
