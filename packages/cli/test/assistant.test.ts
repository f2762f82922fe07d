/**
 * `--assistant PATH` end to end on the bundled reference model, used as both the target and the
 * assistant: a trivially perfect assistant (greedy: the same tokens as ar, many tokens per pass).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type BenchReport, type LoadRequest, runCli } from '../src/index.js';
import { nodeLoader } from '../src/loader.js';
import { sink } from './fakes.js';

const MODEL_TINY = fileURLToPath(new URL('../../model-tiny/model', import.meta.url));
const HAS_MODEL = existsSync(`${MODEL_TINY}/dynamo.json`) && existsSync(`${MODEL_TINY}/base/onnx/model.onnx`);
const CPU = ['--device', 'cpu', '--threads', '1'];

async function run(argv: string[], requests: LoadRequest[] = []) {
  const stdout = sink();
  const stderr = sink();
  const loader = Object.assign(
    (request: LoadRequest) => {
      requests.push(request);
      return nodeLoader(request);
    },
    { inspect: nodeLoader.inspect },
  );
  const code = await runCli(argv, { stdout, stderr, loader });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe.skipIf(!HAS_MODEL)('--assistant on model-tiny (target = assistant)', () => {
  it('generate --mode verified --greedy: exactly ar’s tokens, assistant drafts, many tokens per pass', async () => {
    const prompt = 'The meaning of life is';
    const common = ['--model', MODEL_TINY, ...CPU, '--max-tokens', '32', '--greedy', '--json'];
    const ar = await run(['generate', prompt, '--mode', 'ar', ...common]);
    expect(ar.code, ar.stderr).toBe(0);
    const requests: LoadRequest[] = [];
    const v = await run(
      ['generate', prompt, '--mode', 'verified', '--assistant', MODEL_TINY, '--assistant-min-p', '0', ...common],
      requests,
    );
    expect(v.code, v.stderr).toBe(0);
    const a = JSON.parse(ar.stdout);
    const r = JSON.parse(v.stdout);
    expect(r.tokens).toEqual(a.tokens);
    expect(r.stats.tokensPerPass).toBeGreaterThan(2);
    expect(r.stats.acceptance.passes).toBeGreaterThan(0);
    expect(r.sampler).toBe('greedy');
    // the target's base-only graph, then the assistant's, no tables or draft head
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatchObject({ modelPath: MODEL_TINY, multi: false, base: true, tables: false });
    expect(requests[0]).toMatchObject({ multi: false, base: true, tables: false });
  });

  it('generate streams with a stats line naming the assistant drafter; sampling runs speculative', async () => {
    const r = await run([
      'generate',
      'How can we',
      '--model',
      MODEL_TINY,
      '--mode',
      'verified',
      '--assistant',
      MODEL_TINY,
      ...CPU,
      '--max-tokens',
      '24',
      '--seed',
      '3',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/assistant drafts, speculative verification/);
    expect(r.stdout.startsWith('How can we')).toBe(true);
  });

  it('--drafter assistant without --assistant: DYNAMO_INVALID_OPTION; --assistant outside verified: a note', async () => {
    const bad = await run([
      'generate',
      'Hi',
      '--model',
      MODEL_TINY,
      '--mode',
      'verified',
      '--drafter',
      'assistant',
      ...CPU,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/DYNAMO_INVALID_OPTION: .*assistant/);
    const ar = await run([
      'generate',
      'Hi',
      '--model',
      MODEL_TINY,
      '--mode',
      'ar',
      '--assistant',
      MODEL_TINY,
      ...CPU,
      '--max-tokens',
      '4',
    ]);
    expect(ar.code, ar.stderr).toBe(0);
    expect(ar.stderr).toMatch(/note: --assistant/);
  });

  it('bench --assistant adds a verified-assistant row, identical to ar-greedy', async () => {
    const r = await run([
      'bench',
      '--model',
      MODEL_TINY,
      '--assistant',
      MODEL_TINY,
      '--assistant-min-p',
      '0',
      '--modes',
      'verified',
      ...CPU,
      '--seeds',
      '1',
      '--max-tokens',
      '16',
      '--warmup',
      '0',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    const row = report.rows.find((x) => x.config === 'verified-assistant');
    expect(row).toBeDefined();
    expect(row?.method).toBe('verified');
    expect(row?.identical?.reference).toBe('ar-greedy');
    expect(row?.identical?.compared).toBeGreaterThan(0);
    expect(row?.identical?.identical).toBe(row?.identical?.compared);
    expect(row?.tokensPerPass).toBeGreaterThan(2);
  });
});
