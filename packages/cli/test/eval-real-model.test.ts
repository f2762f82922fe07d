/**
 * A small end-to-end `dynamo eval` on the reference model (packages/model-tiny/model; onnxruntime-node,
 * CPU, 1 thread): 2 prompts × 1 seed, eps_b 0.5 and 1, 12 new tokens, the ablation rows, verified and a
 * short perplexity text. Checks the report's structure and the invariants that hold for any model:
 * eps_b = 1 emits exactly one token per pass, the same tokens as ar (same seed); verified reproduces
 * ar. Timing ratios are not asserted (they belong in benchmarks) beyond being positive and finite.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';

const MODEL_TINY = fileURLToPath(new URL('../../model-tiny/model', import.meta.url));
const available = existsSync(join(MODEL_TINY, 'dynamo.json')) && existsSync(join(MODEL_TINY, 'model.onnx'));

const sink = () => {
  const chunks: string[] = [];
  return { isTTY: false, write: (c: string) => chunks.push(c), text: () => chunks.join('') };
};

describe.skipIf(!available)('dynamo eval on the reference model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynamo-eval-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a complete report; eps_b = 1 is one token per pass', async () => {
    const prompts = join(dir, 'prompts.txt');
    writeFileSync(prompts, 'I am a student at the\nHow can we\n');
    const text = join(dir, 'text.txt');
    writeFileSync(
      text,
      'The history of the city begins with a small village on the river. In the spring the farmers ' +
        'brought their goods to the market, and the people of the town came to buy bread, meat and wine. ' +
        'Over the years the village grew, and a church and a school were built near the old bridge.',
    );
    const out = join(dir, 'report');
    const stdout = sink();
    const stderr = sink();
    const argv = ['eval', '--model', MODEL_TINY, '--out', out, '--prompts', prompts, '--text', text];
    argv.push('--seeds', '1', '--eps', '0.5,1', '--max-tokens', '12', '--ppl-eps', '0.5', '--warmup', '0');
    argv.push('--device', 'cpu', '--threads', '1', '--skip-png', '--chain-thresholds', '0,1');
    const code = await runCli(argv, { stdout, stderr });
    expect(code, stderr.text()).toBe(0);
    expect(stdout.text()).toMatch(/same-quality speed-up/);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const ids = report.summary.rows.map((r: { id: string }) => r.id);
    expect(ids).toEqual([
      'ar',
      'dynamo@0.5',
      'dynamo@1',
      'chain@0',
      'chain@1',
      'paper@0.5',
      'ablation:mask-adaptive',
      'ablation:mask',
      'ablation:alpha-0.5',
      'ablation:no-mask',
      'verified',
      'verified-tree',
      'verified-tree-speculative',
    ]);
    expect(report.setup.samples).toBe(ids.length * 2);
    expect(report.setup.masked).toBe(true);
    const row = (id: string) => report.summary.rows.find((r: { id: string }) => r.id === id);
    for (const id of ids) {
      const r = row(id);
      expect(r.runs).toBe(2);
      expect(r.tokens).toBe(24);
      expect(r.nll.mean).toBeGreaterThan(0);
      expect(Number.isFinite(r.speedup) && r.speedup > 0).toBe(true);
      expect(r.emissionShare.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
    }
    expect(row('ar').tokensPerPass).toBe(1);
    expect(row('dynamo@1').tokensPerPass).toBe(1);
    expect(row('dynamo@1').emissionShare[0]).toBe(1); // every pass emitted one token
    // eps_b = 1 is plain top-k sampling: ar's tokens for the same seed (head 0 of the multi-head graph
    // vs the base-only graph agree to float rounding), so no quality difference.
    expect(row('dynamo@1').sameQuality.nllDiff.mean).toBeCloseTo(0, 3);
    // the repetition penalty is a processor of every configuration: eps_b 1 is ar's very tokens
    const samples = JSON.parse(readFileSync(join(out, 'samples.json'), 'utf8')) as {
      samples: { config: string; prompt: string; seed: number; tokens: number[]; surprisal: number[] }[];
    };
    for (const s of samples.samples.filter((x) => x.config === 'dynamo@1' || x.config === 'chain@1')) {
      const ar = samples.samples.find((x) => x.config === 'ar' && x.prompt === s.prompt && x.seed === s.seed);
      expect(s.tokens).toEqual(ar?.tokens);
      expect(s.surprisal).toHaveLength(12);
    }
    // DynaMo with the draft head: threshold 0 always chains 4 tokens (12 tokens in 3 passes);
    // threshold 1 never drafts, so it is ar's very tokens
    expect(row('chain@0').tokensPerPass).toBe(4);
    expect(row('chain@1').tokensPerPass).toBe(1);
    expect(report.summary.chain.map((r: { id: string }) => r.id)).toEqual(['chain@0', 'chain@1']);
    expect(row('verified').identicalToAr).toEqual({ identical: 2, compared: 2 });
    expect(row('verified-tree').identicalToAr).toEqual({ identical: 2, compared: 2 });
    expect(report.summary.ablation).toHaveLength(5);
    expect(report.summary.ablation.every((a: { summary: unknown }) => a.summary !== null)).toBe(true);

    const ppl = report.perplexity;
    expect(ppl.heads).toBe(3);
    expect(ppl.pplHead).toHaveLength(3);
    expect(ppl.pplJoint).toHaveLength(3);
    expect(ppl.pplJointMasked).toHaveLength(3);
    expect(ppl.maskedCoverage[1]).toBeGreaterThan(0);
    expect(ppl.dynamic.map((d: { epsilon: number }) => d.epsilon)).toEqual([0.5]);
    for (const v of [...ppl.pplHead, ...ppl.pplJoint, ...ppl.pplJointMasked]) expect(v).toBeGreaterThan(1);

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const heading of [
      '## Headline',
      '## eps_b sweep',
      '## DynaMo with the draft head',
      '## Ablation at eps_b = 0.5',
      '## Multi-token perplexity',
    ]) {
      expect(md).toContain(heading);
    }
    for (const f of ['quality-speedup.svg', 'emission-shares.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      expect(svg).toMatch(/^<svg /);
      expect(svg).not.toMatch(/NaN/);
    }
  });
});
