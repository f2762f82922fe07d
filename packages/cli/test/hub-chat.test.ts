// A chat on a hub-layout export end to end, as a user runs one (`dynamo generate --model DIR --chat
// "…"`): the mistral fixture of make_hub_exports.py has a real SentencePiece-style BPE tokenizer and a
// Mistral-style chat template in tokenizer_config.json. The reply must be exactly what
// @huggingface/transformers gives on the same folder: apply_chat_template, then greedy generate()
// until generation_config.json's eos.
import { join } from 'node:path';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { greedy, ngramDrafter } from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureHubExports, HUB, hasTorch } from '../../onnx/test/fixtures/hubExports.js';
import { runCli } from '../src/index.js';

const DIR = join(HUB, 'mistral');
const USER = 'tell me a story about a cat';
const N = 16;
const threads = { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };

// biome-ignore lint/suspicious/noExplicitAny: transformers.js is untyped here
let tf: any;
/** transformers.js' greedy reply (ids) and its text, to `messages` rendered by its apply_chat_template. */
let reference: { prompt: string; ids: number[]; reply: number[]; text: string };

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

describe.skipIf(!hasTorch)('a chat on a hub export (mistral fixture) = transformers.js', () => {
  beforeAll(async () => {
    ensureHubExports();
    tf = await import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    tf.env.localModelPath = `${HUB}/`;
    const tok = await tf.AutoTokenizer.from_pretrained('mistral');
    const messages = [{ role: 'user', content: USER }];
    const prompt = tok.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true });
    // the template writes <s> itself: its text is encoded without the post-processor
    const ids = tok.encode(prompt, { add_special_tokens: false }) as number[];
    const model = await tf.AutoModelForCausalLM.from_pretrained('mistral', {
      local_files_only: true,
      device: 'cpu',
      dtype: 'fp32',
      session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    });
    try {
      const n = ids.length;
      const out = await model.generate({
        input_ids: new tf.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
        attention_mask: new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        max_new_tokens: N,
        do_sample: false,
      });
      let reply = Array.from(out.data as ArrayLike<bigint>, Number).slice(n);
      // transformers.js keeps the eos token in its output; DynaMo's tokens stop before it
      const eos = reply.indexOf(2);
      if (eos >= 0) reply = reply.slice(0, eos);
      reference = { prompt, ids, reply, text: tok.decode(reply, { skip_special_tokens: true }) };
    } finally {
      await model.dispose();
    }
  }, 180_000);

  it('the tokenizer and the template: ids (BOS added, as transformers.js does) and the chat prompt', async () => {
    const tokenizer = await loadTokenizer(join(DIR, 'tokenizer.json'));
    const tok = await tf.AutoTokenizer.from_pretrained('mistral');
    for (const text of ['hello world, how are you?', 'the cat sat on the mat! Zebra 日本', '  two  spaces ']) {
      expect(tokenizer.encode(text, { addSpecialTokens: true })).toEqual(tok.encode(text));
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(
        tok.decode(tok.encode(text), { skip_special_tokens: true }),
      );
    }
    const prompt = tokenizer.applyChatTemplate?.([{ role: 'user', content: USER }], { addGenerationPrompt: true });
    expect(prompt).toBe(reference.prompt);
    expect(prompt).toBe(`<s>[INST] ${USER} [/INST]`);
    expect(tokenizer.encode(prompt as string, { addSpecialTokens: false })).toEqual(reference.ids);
  });

  it('generate({ messages }): greedy ar and verified = transformers.js, token for token', async () => {
    const model = await loadModel(DIR, { device: 'cpu', ...threads });
    const tokenizer = await loadTokenizer(join(DIR, 'tokenizer.json'));
    try {
      const messages = [{ role: 'user' as const, content: USER }];
      const opts = { model, tokenizer, messages, maxNewTokens: N };
      const ar = await generate({ ...opts, mode: 'ar', sampler: greedy() });
      expect(reference.reply.length).toBeGreaterThan(0);
      expect([...ar.tokens]).toEqual(reference.reply);
      expect(ar.text).toBe(reference.text);
      const v = await generate({ ...opts, mode: 'verified', drafter: ngramDrafter() });
      expect([...v.tokens]).toEqual(reference.reply);
    } finally {
      await model.dispose();
    }
  });

  it.each(['ar', 'verified'])(
    'dynamo generate --model DIR --chat "…" --greedy --mode %s prints the reply',
    async (mode) => {
      const r = await cli([
        'generate',
        USER,
        '--model',
        DIR,
        '--chat',
        '--greedy',
        '--mode',
        mode,
        '--max-tokens',
        String(N),
        '--device',
        'cpu',
        '--threads',
        '1',
        '--json',
      ]);
      expect(r.code, r.err).toBe(0);
      const json = JSON.parse(r.out);
      expect(json.tokens).toEqual(reference.reply);
      expect(json.text).toBe(reference.text);
      const plain = await cli([
        'generate',
        USER,
        '--model',
        DIR,
        '--chat',
        '--greedy',
        '--mode',
        mode,
        '--max-tokens',
        String(N),
        '--device',
        'cpu',
      ]);
      expect(plain.code, plain.err).toBe(0);
      expect(plain.out.trim()).toBe(reference.text.trim());
    },
  );

  it('without --mode: lossless verified on a hub export (the same reply), ar on its q8 file', async () => {
    const base = [
      'generate',
      USER,
      '--model',
      DIR,
      '--chat',
      '--greedy',
      '--max-tokens',
      String(N),
      '--device',
      'cpu',
      '--json',
    ];
    const plain = await cli(base);
    expect(plain.code, plain.err).toBe(0);
    const json = JSON.parse(plain.out);
    expect(json.mode).toBe('verified');
    expect(json.tokens).toEqual(reference.reply);
    const q8 = await cli([...base, '--dtype', 'q8']);
    expect(q8.code, q8.err).toBe(0);
    expect(JSON.parse(q8.out).mode).toBe('ar');
    const asked = await cli([...base, '--dtype', 'q8', '--mode', 'verified']);
    expect(asked.code, asked.err).toBe(0);
    expect(asked.err).toMatch(/quantizes activations dynamically.*not exactly 'ar'/);
  });

  it('n-gram tables for its vocabulary from any text (dynamo ngrams build): verified with them = ar', async () => {
    const { cpSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'dynamo-hub-ngrams-'));
    cpSync(DIR, join(dir, 'model'), { recursive: true });
    const text = 'the cat sat on the mat and the dog ran in the park. hello world, how are you today?\n'.repeat(40);
    writeFileSync(join(dir, 'corpus.txt'), text);
    const built = await cli([
      'ngrams',
      'build',
      '--tokenizer',
      join(dir, 'model', 'tokenizer.json'),
      '--out',
      join(dir, 'model', 'ngrams.bin'),
      join(dir, 'corpus.txt'),
    ]);
    expect(built.code, built.err).toBe(0);
    const run = (mode: string) =>
      cli([
        'generate',
        'the cat sat on the',
        '--model',
        join(dir, 'model'),
        '--mode',
        mode,
        '--drafter',
        'ngram',
        '--greedy',
        '--max-tokens',
        '20',
        '--device',
        'cpu',
        '--json',
      ]);
    const [ar, v] = [await run('ar'), await run('verified')];
    expect(v.code, v.err).toBe(0);
    expect(JSON.parse(v.out).tokens).toEqual(JSON.parse(ar.out).tokens);
  });
});
