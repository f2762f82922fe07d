/**
 * Generation on real ONNX models (onnxruntime-node, CPU, 1 thread): the onnx package's small
 * random-weight fixture always, and the reference model (packages/model-tiny/model) when exported.
 * These live in the CLI package because @dynamojs/generate must not depend on a runtime.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MultiTokenModel, TextTokenizer } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { greedy, sampling } from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeLoader, type TransformersRunner, transformersRunner } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('../../onnx/test/fixtures/tiny', import.meta.url));
const MODEL_TINY = fileURLToPath(new URL('../../model-tiny/model', import.meta.url));

const CASES = [
  { name: 'onnx fixture (random weights)', dir: FIXTURE },
  { name: 'model-tiny (reference model)', dir: MODEL_TINY },
].filter((c) => existsSync(`${c.dir}/dynamo.json`) && existsSync(`${c.dir}/model.onnx`));

const PROMPTS = ['The meaning of life is', 'I am a student at the', 'How can we', "Wow! I can't believe that"];
const session = { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };

describe.each(CASES)('$name', ({ dir }) => {
  let tokenizer: TextTokenizer;
  let multi: MultiTokenModel;
  let base: MultiTokenModel;
  let hasBase = false;

  beforeAll(async () => {
    tokenizer = await loadTokenizer(`${dir}/tokenizer.json`);
    multi = await loadModel(dir, { device: 'cpu', allowVocabPadding: true, ...session });
    hasBase = existsSync(`${dir}/base/onnx/model.onnx`);
    base = hasBase
      ? await loadModel(dir, { device: 'cpu', baseOnly: true, allowVocabPadding: true, ...session })
      : multi;
  });
  afterAll(async () => {
    await multi?.dispose();
    if (hasBase) await base?.dispose();
  });

  it('ar on the base-only graph = ar on the multi-head graph = verified (greedy), token for token', async () => {
    for (const prompt of PROMPTS) {
      const a = await generate({ model: base, tokenizer, prompt, mode: 'ar', maxNewTokens: 48, eos: false });
      const m = await generate({ model: multi, tokenizer, prompt, mode: 'ar', maxNewTokens: 48, eos: false });
      const v = await generate({ model: multi, tokenizer, prompt, mode: 'verified', maxNewTokens: 48, eos: false });
      const vl = await generate({
        ...{ model: multi, tokenizer, prompt, mode: 'verified' as const },
        maxNewTokens: 48,
        eos: false,
        headRows: 'last',
      });
      expect(m.tokens, prompt).toEqual(a.tokens);
      expect(v.tokens, prompt).toEqual(a.tokens);
      expect(vl.tokens, prompt).toEqual(a.tokens);
      expect(v.stats.forwardPasses).toBeLessThanOrEqual(48);
    }
  });

  it('verified with seeded sampling = ar with the same seed', async () => {
    for (const seed of [1, 2]) {
      const prompt = PROMPTS[seed]!;
      const opts = { tokenizer, prompt, maxNewTokens: 32, eos: false as const, seed };
      const a = await generate({ ...opts, model: base, mode: 'ar', sampler: sampling({ temperature: 0.8, topK: 20 }) });
      const v = await generate({
        ...opts,
        model: multi,
        mode: 'verified',
        sampler: sampling({ temperature: 0.8, topK: 20 }),
      });
      expect(v.tokens).toEqual(a.tokens);
    }
  });

  it('dynamo emits 1..3 tokens a pass, fed back as one chunk, and stops exactly at maxNewTokens', async () => {
    const { dynamo } = await import('@dynamojs/samplers');
    const r = await generate({
      model: multi,
      tokenizer,
      prompt: PROMPTS[0]!,
      mode: 'dynamo',
      sampler: dynamo({ epsilon: 0.25, mask: false }),
      maxNewTokens: 40,
      eos: false,
      seed: 3,
    });
    expect(r.tokens).toHaveLength(40);
    expect(r.steps.every((n) => n >= 1 && n <= 3)).toBe(true);
    expect(r.steps.reduce((x, y) => x + y, 0)).toBe(40);
    expect(r.stats.forwardPasses).toBe(r.steps.length);
  });

  it('two generations on one model at the same time equal the same generations run alone', async () => {
    const run = (prompt: string, mode: 'ar' | 'verified') =>
      generate({ model: multi, tokenizer, prompt, mode, maxNewTokens: 24, eos: false, sampler: greedy() });
    const alone = [await run(PROMPTS[0]!, 'verified'), await run(PROMPTS[1]!, 'ar')];
    const together = await Promise.all([run(PROMPTS[0]!, 'verified'), run(PROMPTS[1]!, 'ar')]);
    expect(together[0]!.tokens).toEqual(alone[0]!.tokens);
    expect(together[1]!.tokens).toEqual(alone[1]!.tokens);
  });

  describe('against @huggingface/transformers generate() on the base-only export', () => {
    let tf: TransformersRunner | undefined;
    beforeAll(async () => {
      if (existsSync(`${dir}/base/config.json`)) tf = await transformersRunner(dir, 1);
    });
    afterAll(async () => {
      await tf?.dispose();
    });

    it('ar greedy produces exactly the tokens transformers.js produces (eos ignored, and stopping at eos)', async (ctx) => {
      if (!tf) ctx.skip();
      for (const prompt of PROMPTS) {
        const ids = tokenizer.encode(prompt);
        const theirs = await tf!.generate(ids, 64);
        const ours = await generate({ model: base, inputIds: ids, mode: 'ar', maxNewTokens: 64, eos: false });
        expect(ours.tokens, prompt).toEqual(theirs.tokens);
        // With eos: transformers.js includes the eos token it stopped on; we report it as finishReason.
        const theirsEos = await tf!.generate(ids, 64, true);
        const oursEos = await generate({ model: base, inputIds: ids, mode: 'ar', maxNewTokens: 64 });
        const expected =
          oursEos.finishReason === 'eos' ? [...oursEos.tokens, base.metadata.specialTokens.eos] : oursEos.tokens;
        expect(expected, prompt).toEqual(theirsEos.tokens);
      }
    });
  });
});

describe('dynamo ngrams build', () => {
  it('builds tables from text files that the DynaMo sampler loads', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runCli } = await import('../src/index.js');
    const { loadCoOccurrenceTables } = await import('@dynamojs/samplers');
    const dir = mkdtempSync(join(tmpdir(), 'dynamo-ngrams-'));
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, 'hello world. hello there. hello world again.\n\nthe end of the world.\n'.repeat(20));
    const out = join(dir, 'tables.bin');
    const stderr = { write: () => true };
    const stdout = { write: () => true };
    const code = await runCli(
      ['ngrams', 'build', '--tokenizer', `${FIXTURE}/tokenizer.json`, '--out', out, '--min-count', '1', corpus],
      { stdout, stderr },
    );
    expect(code).toBe(0);
    const tables = loadCoOccurrenceTables(new Uint8Array(readFileSync(out)));
    expect(tables).toBeDefined();
  });
});

describe.each(CASES)('dynamo generate on $name (CLI, in-process)', ({ dir }) => {
  it.each(['ar', 'dynamo', 'verified'])('--mode %s --json', async (mode) => {
    const { runCli } = await import('../src/index.js');
    let out = '';
    let err = '';
    const code = await runCli(
      [
        'generate',
        'The meaning of life is',
        '--model',
        dir,
        '--mode',
        mode,
        '--device',
        'cpu',
        '--threads',
        '1',
      ].concat(['--max-tokens', '24', '--seed', '7', '--json']),
      { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    );
    expect(code, err).toBe(0);
    const r = JSON.parse(out);
    expect(r.mode).toBe(mode);
    expect(r.tokens.length).toBeLessThanOrEqual(24);
    expect(['length', 'eos']).toContain(r.finishReason);
    expect(r.stats.device).toBe('cpu');
    expect(r.steps.reduce((a: number, b: number) => a + b, 0)).toBe(r.stats.tokens);
  });
});

describe.each(CASES)('verified with speculative sampling on $name (CLI, in-process)', ({ dir }) => {
  it('runs with top-1 drafts, and with DynaMo joint drafts when the model has ngrams.bin', async () => {
    const { runCli } = await import('../src/index.js');
    const drafters = existsSync(`${dir}/ngrams.bin`) ? ['top1', 'dynamo-sample'] : ['top1'];
    for (const drafter of drafters) {
      let out = '';
      let err = '';
      const code = await runCli(
        ['generate', 'How can we', '--model', dir, '--mode', 'verified', '--verification', 'speculative'].concat([
          '--drafter',
          drafter,
          '--device',
          'cpu',
          '--threads',
          '1',
          '--max-tokens',
          '32',
          '--seed',
          '3',
          '--json',
        ]),
        { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
      );
      expect(code, err).toBe(0);
      const r = JSON.parse(out);
      expect(r.stats.acceptance.proposed.length).toBe(2);
      expect(r.tokens.length).toBeLessThanOrEqual(32);
    }
  });

  it('--greedy with --verification speculative: greedy is a point mass, so it is greedy ar exactly', async () => {
    const { runCli } = await import('../src/index.js');
    const run = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(['generate', 'The', '--model', dir, '--max-tokens', '24', '--json', ...args], {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: (s: string) => (err += s) },
      });
      expect(code, err).toBe(0);
      return JSON.parse(out) as { tokens: number[] };
    };
    const spec = await run(['--mode', 'verified', '--verification', 'speculative', '--greedy']);
    const ar = await run(['--mode', 'ar', '--greedy']);
    expect(spec.tokens).toEqual(ar.tokens);
  });
});

describe('the CLI loader on the reference model', () => {
  it.runIf(existsSync(`${MODEL_TINY}/model_mixed.onnx`))(
    "opens the mixed-precision multi-head graph on the CPU, also when 'auto' lands there",
    async () => {
      for (const request of [
        { device: 'cpu', base: false },
        { device: 'auto', base: true },
        { device: 'auto', base: false },
      ] as const) {
        const bundle = await nodeLoader({ modelPath: MODEL_TINY, multi: true, tables: false, ...request });
        try {
          // (on a machine with a GPU, 'auto' lands there and keeps the default file)
          const expected = bundle.device === 'cpu' ? 'mixed' : 'fp32';
          expect((bundle.model as unknown as { variant: string }).variant, JSON.stringify(request)).toBe(expected);
          if (request.base) expect((bundle.baseModel as unknown as { variant: string }).variant).toBe('fp32');
        } finally {
          await bundle.dispose();
        }
      }
    },
  );
});
