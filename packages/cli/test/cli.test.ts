import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type BenchReport, type LoadRequest, type ModelBundle, runCli } from '../src/index.js';
import { FakeModel, FakeTokenizer, sink } from './fakes.js';

function fakeLoader(requests: LoadRequest[] = []) {
  return async (request: LoadRequest): Promise<ModelBundle> => {
    requests.push(request);
    const model = new FakeModel({ vocabSize: 16, headAccuracy: 0.8, device: 'fake-cpu' });
    const base = new FakeModel({ vocabSize: 16, heads: 1, device: 'fake-cpu' });
    return {
      dir: '/fake/model',
      tokenizer: new FakeTokenizer(),
      model: request.multi ? model : undefined,
      baseModel: request.base ? base : undefined,
      tables: undefined,
      device: 'fake-cpu',
      async dispose() {},
    };
  };
}

async function run(argv: string[], extra: Record<string, unknown> = {}) {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr, loader: fakeLoader(), ...extra });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('dynamo CLI (in-process)', () => {
  it('prints help for the program and every command', async () => {
    for (const argv of [
      ['--help'],
      ['generate', '--help'],
      ['bench', '--help'],
      ['ngrams', '--help'],
      ['ngrams', 'build', '--help'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: dynamo/);
    }
  });

  it('an unknown command or flag, or a bad value: one error line and a non-zero exit code', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['generate', 'hello', '--frob'], /DYNAMO_INVALID_OPTION/],
      [['generate', 'hello', '--max-tokens', '0'], /DYNAMO_INVALID_OPTION: .*max-tokens/],
      [['generate', 'hello', '--mode', 'fast'], /DYNAMO_INVALID_OPTION: .*mode/],
      [['generate', 'hello', '--epsilon', '2'], /DYNAMO_INVALID_OPTION: .*epsilon/],
      [['generate'], /DYNAMO_INVALID_OPTION: .*one prompt/],
      [['bench', '--modes', 'ar,fast'], /DYNAMO_INVALID_OPTION/],
      [['ngrams', 'build', 'x.txt'], /--tokenizer is required/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
  });

  it('a runtime error from the model is one line with its DynamoError code', async () => {
    const r = await run(['generate', 'hello world', '--mode', 'ar'], {
      loader: async () => {
        const { DynamoError } = await import('@dynamojs/core');
        throw new DynamoError('DYNAMO_MODEL_LOAD', 'No model folder at /nope.');
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error DYNAMO_MODEL_LOAD: No model folder at /nope.');
  });

  it('generate streams the prompt and the text to stdout and a statistics line to stderr', async () => {
    const requests: LoadRequest[] = [];
    const stdout = sink();
    const stderr = sink();
    const code = await runCli(
      ['generate', 'hello world', '--mode', 'ar', '--greedy', '--max-tokens', '6', '--device', 'cpu'],
      {
        stdout,
        stderr,
        loader: fakeLoader(requests),
      },
    );
    expect(code).toBe(0);
    const tok = new FakeTokenizer();
    const expected = new FakeModel({ heads: 1 }).greedy(tok.encode('hello world'), 6);
    expect(stdout.text).toBe(`hello world${tok.decode(expected)}\n`);
    expect(stderr.text).toMatch(/ar · 6 tokens in 6 passes · 1\.00 tokens\/pass · .* tokens\/s · .*device fake-cpu/);
    expect(requests[0]).toMatchObject({ device: 'cpu', base: true, multi: false });
  });

  it('generate --json prints one JSON object; verified greedy equals ar greedy', async () => {
    const ar = JSON.parse(
      (await run(['generate', 'hello world', '--mode', 'ar', '--greedy', '--max-tokens', '20', '--json'])).stdout,
    );
    const verified = async (...flags: string[]) =>
      JSON.parse(
        (
          await run([
            'generate',
            'hello world',
            '--mode',
            'verified',
            '--greedy',
            '--max-tokens',
            '20',
            '--json',
            ...flags,
          ])
        ).stdout,
      );
    // the default drafter (greedy on a CPU: n-gram + prompt lookup on the base-only graph) and the heads' chains
    const auto = await verified();
    expect(auto.settings.drafter).toBe('auto');
    expect(auto.tokens).toEqual(ar.tokens);
    const v = await verified('--drafter', 'top1');
    expect(ar.tokens).toHaveLength(20);
    expect(v.tokens).toEqual(ar.tokens);
    expect(v.stats.mode).toBe('verified');
    expect(v.stats.tokensPerPass).toBeGreaterThan(1);
    expect(v.finishReason).toBe('length');
  });

  it('generate --stop trims the text', async () => {
    const r = await run([
      'generate',
      'hello',
      '--mode',
      'ar',
      '--greedy',
      '--max-tokens',
      '30',
      '--stop',
      'b',
      '--json',
    ]);
    const out = JSON.parse(r.stdout);
    expect(out.text).not.toContain('b');
  });

  it('bench runs the configurations and reports speed-up and identity', async () => {
    const stdout = sink();
    const stderr = sink(true);
    const code = await runCli(
      [
        'bench',
        '--modes',
        'ar,verified',
        '--seeds',
        '1,2',
        '--max-tokens',
        '12',
        '--prompts',
        'p.txt',
        '--json',
        '--warmup',
        '0',
      ],
      {
        stdout,
        stderr,
        loader: fakeLoader(),
        readText: async () => 'hello world\n\nab a\n',
      },
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout.text) as BenchReport;
    expect(report.prompts).toBe(2);
    expect(report.rows.map((r) => r.config)).toEqual([
      'ar',
      'ar-greedy',
      'verified',
      'verified-chain',
      'verified-ngram',
    ]);
    expect(report.rows.map((r) => r.lossless)).toEqual([
      'identical',
      'identical',
      'identical',
      'identical',
      'identical',
    ]);
    expect(report.rows.find((r) => r.config === 'verified-ngram')?.identical?.identical).toBe(4);
    // 'verified' is what generate --mode verified --greedy runs (on a CPU: n-gram drafts, base-only graph)
    expect(report.rows.find((r) => r.config === 'verified')).toMatchObject({
      method: 'verified',
      identical: { reference: 'ar-greedy', identical: 4, compared: 4 },
    });
    const v = report.rows.find((r) => r.config === 'verified-chain')!;
    expect(v.identical).toEqual({ reference: 'ar-greedy', identical: 4, compared: 4 });
    expect(v.tokensPerPass).toBeGreaterThan(1);
    expect(v.speedup).not.toBeNull();
    expect(v.acceptance).toHaveLength(2);
    expect(v.runs).toBe(4);
    expect(v.tokens).toBe(48);
    // where a decode step goes: the forward pass vs choosing tokens
    for (const row of report.rows) {
      expect(row.forwardMsPerPass).toBeGreaterThanOrEqual(0);
      expect(row.selectMsPerPass).toBeGreaterThanOrEqual(0);
    }
    expect(stderr.text).toMatch(/\[#+\] 20\/20 done/);
  });

  it("bench --verified-sampling: exact-match verification gives ar's sampled tokens", async () => {
    const r = await run(
      [
        'bench',
        '--modes',
        'verified',
        '--verified-sampling',
        '--seeds',
        '1,2',
        '--max-tokens',
        '16',
        '--prompts',
        'p.txt',
      ].concat(['--json', '--top-k', '8']),
      { readText: async () => 'hello world\nab\n' },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(report.rows.map((x) => x.config)).toEqual([
      'ar',
      'ar-greedy',
      'verified',
      'verified-chain',
      'verified-ngram',
      'verified-sampling',
      'verified-speculative',
    ]);
    expect(report.rows.find((x) => x.config === 'verified-speculative')?.lossless).toBe('distribution');
    expect(report.rows.find((x) => x.config === 'verified-sampling')?.identical).toEqual({
      reference: 'ar',
      identical: 4,
      compared: 4,
    });
    expect(report.rows.find((x) => x.config === 'verified-speculative')?.tokens).toBe(64);
  });

  it('bench prints a table', async () => {
    const r = await run(
      ['bench', '--modes', 'verified', '--seeds', '1,2,3', '--max-tokens', '4', '--prompts', 'p.txt'],
      {
        readText: async () => 'hello\n',
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /config\s+runs\s+tokens\/s\s+tok\/pass\s+speed-up\s+efficiency\s+pass ms\s+pass cost\s+select ms/,
    );
    expect(r.stdout).toMatch(/verified .*identical to ar-greedy: 3\/3/);
  });

  it('bench --tree-budget takes a list (one tree row per budget where there are tables)', async () => {
    const r = await run(
      [
        'bench',
        '--modes',
        'verified',
        '--seeds',
        '1',
        '--max-tokens',
        '4',
        '--tree-budget',
        '4,8',
        '--prompts',
        'p.txt',
      ],
      { readText: async () => 'hello\n' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/identical to ar-greedy: 1\/1/);
  });
});

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

describe.skipIf(!existsSync(bin))('dynamo CLI (built executable)', () => {
  it('--help exits 0; a bad option exits non-zero with one error line', () => {
    const help = spawnSync(process.execPath, [bin, 'generate', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: dynamo generate/);
    const bad = spawnSync(process.execPath, [bin, 'generate', 'x', '--max-tokens', 'lots'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^error DYNAMO_INVALID_OPTION: /);
  });
});
