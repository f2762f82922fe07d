import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LoadRequest, type ModelBundle, runCli } from '../src/index.js';
import { FakeModel, FakeTokenizer, sink } from './fakes.js';

const loads: LoadRequest[] = [];
async function fakeLoader(request: LoadRequest): Promise<ModelBundle> {
  loads.push(request);
  return {
    dir: '/fake/model',
    tokenizer: new FakeTokenizer(),
    model: new FakeModel({ vocabSize: 16, headAccuracy: 0.8, device: 'fake-cpu', avoidEos: true }),
    baseModel: new FakeModel({ vocabSize: 16, heads: 1, device: 'fake-cpu', avoidEos: true }),
    tables: undefined,
    device: 'fake-cpu',
    async dispose() {},
  };
}

const dir = mkdtempSync(join(tmpdir(), 'dynamo-eval-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const promptFile = join(dir, 'prompts.txt');
writeFileSync(promptFile, '# two prompts\nhello world\n\nhello\n');

async function run(argv: string[], isTTY = false) {
  const stdout = sink();
  const stderr = sink(isTTY);
  const code = await runCli(argv, { stdout, stderr, loader: fakeLoader });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('dynamo eval (fake model)', () => {
  const out = join(dir, 'report');
  const argv = ['eval', '--out', out, '--prompts', promptFile, '--seeds', '1,2', '--eps', '0,0.5,...,1'];
  argv.push('--max-tokens', '8', '--warmup', '0', '--skip-png');

  it('writes the report files, prints the headline and shows progress', async () => {
    const r = await run(argv);
    expect(r.stderr).toMatch(/\[#+-*\] \d+\/\d+ /);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^same-quality speed-up \d+\.\d\dx.* · report .*report\.md\n$/);
    expect(loads.at(-1)).toMatchObject({ multi: true, base: true, tables: true });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    // No tables in the fake bundle: ar, dynamo@0/0.5/1 (no mask), the no-mask ablation, verified.
    expect(report.summary.rows.map((r: { id: string }) => r.id)).toEqual([
      'ar',
      'dynamo@0',
      'dynamo@0.5',
      'dynamo@1',
      'ablation:no-mask',
      'verified',
    ]);
    expect(report.setup.samples).toBe(6 * 2 * 2);
    const eps1 = report.summary.rows.find((r: { id: string }) => r.id === 'dynamo@1');
    expect(eps1.tokensPerPass).toBe(1);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/dynamo eval --out/);
    for (const f of ['samples.json', 'quality-speedup.svg', 'emission-shares.svg']) {
      expect(readFileSync(join(out, f), 'utf8').length).toBeGreaterThan(100);
    }
  });

  it('resumes from samples.json: nothing is generated again', async () => {
    const r = await run(argv, true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming from .*samples\.json \(24 continuations\)/);
    expect(r.stderr).toMatch(/24\/24 .* 24 resumed/);
    // Another setup cannot resume the same folder.
    const other = await run([...argv, '--top-k', '7']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/DYNAMO_INVALID_OPTION: Cannot resume/);
    const fresh = await run([...argv, '--top-k', '7', '--fresh']);
    expect(fresh.code, fresh.stderr).toBe(0);
  });

  it('bad flags: one error line naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['eval'], /needs --out/],
      [['eval', '--out', out, '--eps', '0,2'], /DYNAMO_INVALID_OPTION: .*eps/],
      [['eval', '--out', out, '--eps', '0.5,0.25,...,1'], /DYNAMO_INVALID_OPTION: .*eps/],
      [['eval', '--out', out, '--eps', '0,0.5,...,0.2'], /DYNAMO_INVALID_OPTION: .*eps/],
      [['eval', '--out', out, '--eps', '0,0.5,...,2'], /DYNAMO_INVALID_OPTION: .*eps/],
      [['eval', '--out', out, '--max-tokens', '0'], /DYNAMO_INVALID_OPTION: .*max-tokens/],
      [['eval', '--out', out, '--top-k', '500'], /DYNAMO_INVALID_OPTION: .*top-k/],
      [['eval', '--out', out, 'extra'], /no arguments/],
      [['eval', '--out', out, '--renormalize', 'half'], /DYNAMO_INVALID_OPTION: .*renormalize/],
    ];
    for (const [a, pattern] of cases) {
      const r = await run(a);
      expect(r.code, a.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
    expect((await run(['eval', '--help'])).stdout).toMatch(/Usage: dynamo eval/);
  });
});
