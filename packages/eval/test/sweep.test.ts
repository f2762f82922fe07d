import {
  buildReport,
  DEFAULT_EPSILONS,
  defaultSamplerFactory,
  REPORT_FILES,
  resolveSamplerSettings,
  runSweep,
  type SweepResults,
  stringifyReport,
  summarizeSweep,
  sweepConfigurations,
} from '@dynamojs/eval';
import { buildCoOccurrenceTablesSync, type DynamoSampler, loadCoOccurrenceTables } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { tableModel } from './fakeModel.js';
import { letterTokenizer } from './fakeTokenizer.js';

const V = 6;
// A peaky 3-head "bigram" model over 6 tokens: after token t, head h strongly predicts t + h + 1.
function peaky() {
  return tableModel(
    [0, 1, 2].map((h) =>
      Array.from({ length: V }, (_, t) => Array.from({ length: V }, (_, x) => (x === (t + h + 1) % V ? 4 : 0))),
    ),
    256,
  );
}
// Tables from the cycle text 0 1 2 3 4 5 0 1 …: every n-gram the model predicts is seen.
const cycle = Array.from({ length: 600 }, (_, i) => i % V);
const tables = () =>
  loadCoOccurrenceTables(buildCoOccurrenceTablesSync([cycle], { vocabSize: V, minCount: 1 }), { vocabSize: V });

const base = {
  tokenizer: letterTokenizer(V),
  prompts: ['abc', 'dab'],
  seeds: [1, 2],
  epsilons: [0, 0.5, 1],
  maxNewTokens: 12,
  warmup: 0,
  settings: { topK: 4 },
};

describe('sweepConfigurations', () => {
  it('lists ar, the sweep, the paper-literal ablation rows and verified', () => {
    const ids = sweepConfigurations({ epsilons: [0, 0.5, 1], hasTables: true }).map((c) => c.id);
    expect(ids).toEqual([
      'ar',
      'dynamo@0',
      'dynamo@0.5',
      'dynamo@1',
      'paper@0.5',
      'ablation:mask-adaptive',
      'ablation:mask',
      'ablation:alpha-0.5',
      'ablation:no-mask',
      'verified',
      'verified-tree',
      'verified-tree-speculative',
    ]);
    const noTables = sweepConfigurations({ epsilons: [0.25], hasTables: false, verified: false }).map((c) => c.id);
    expect(noTables).toEqual(['ar', 'dynamo@0.25', 'ablation:no-mask']);
    expect(DEFAULT_EPSILONS).toHaveLength(21);
    expect(DEFAULT_EPSILONS[3]).toBe(0.15);
    expect(() => sweepConfigurations({ epsilons: [1.5], hasTables: true })).toThrow(
      expect.objectContaining({ code: 'DYNAMO_INVALID_OPTION' }),
    );
    expect(() => sweepConfigurations({ epsilons: [], hasTables: true })).toThrow(
      expect.objectContaining({ code: 'DYNAMO_INVALID_OPTION' }),
    );
  });

  it('adds chain rows (DynaMo with the draft head) at each threshold, validated', () => {
    const configs = sweepConfigurations({
      epsilons: [1],
      chainThresholds: [0.1, 0.2, 0.1],
      hasTables: false,
      verified: false,
      ablations: false,
    });
    expect(configs.map((c) => c.id)).toEqual(['ar', 'dynamo@1', 'chain@0.1', 'chain@0.2']);
    expect(configs[2]).toMatchObject({ kind: 'chain', mode: 'dynamo', minDraftProbability: 0.1 });
    expect(() => sweepConfigurations({ epsilons: [1], chainThresholds: [1.2], hasTables: false })).toThrow(
      expect.objectContaining({ code: 'DYNAMO_INVALID_OPTION' }),
    );
    // the factory gives them the chain sampler with the settings' length and draft temperature ratio
    const settings = resolveSamplerSettings({ topK: 4, chainLength: 3, draftTemperatureRatio: 0.9 });
    const chain = defaultSamplerFactory()(configs[2] as (typeof configs)[number], settings).sampler as {
      chainLength?: number;
      minDraftProbability?: number;
      draftTemperatureRatio?: number;
    };
    expect(chain).toMatchObject({ chainLength: 3, minDraftProbability: 0.1, draftTemperatureRatio: 0.9 });
    expect(() => resolveSamplerSettings({ chainLength: 0 })).toThrow(
      expect.objectContaining({ code: 'DYNAMO_INVALID_OPTION' }),
    );
  });

  it('refuses chain rows on a base model without a draft head', async () => {
    await expect(
      runSweep({ ...base, model: peaky(), epsilons: [1], chainThresholds: [0.1], ablations: false, verified: false }),
    ).rejects.toMatchObject({ code: 'DYNAMO_INVALID_OPTION' });
  });
});

describe('defaultSamplerFactory', () => {
  it('gives ar plain top-k sampling and dynamo the shared settings plus the configuration', () => {
    const settings = resolveSamplerSettings({ topK: 4, renormalize: 'mass' });
    const factory = defaultSamplerFactory(tables());
    const configs = sweepConfigurations({ epsilons: [0.5], hasTables: true });
    const byId = (id: string) => configs.find((c) => c.id === id)!;
    const [ar, mask, noMask] = [byId('ar'), byId('ablation:mask'), byId('ablation:no-mask')];
    expect(factory(ar!, settings).sampler.heads).toBe(1);
    const d = factory(mask!, settings).sampler as DynamoSampler;
    expect(d.options).toMatchObject({
      topK: 4,
      renormalize: 'mass',
      epsilon: 0.5,
      mask: true,
      blur: 0,
      preset: 'paper',
    });
    expect(factory(ar!, settings).processors).toHaveLength(1);
    const sweepRow = factory(byId('dynamo@0.5')!, settings).sampler as DynamoSampler;
    expect(sweepRow.options.preset).toBe('calibrated');
    expect((factory(noMask!, settings).sampler as DynamoSampler).options.mask).toBe(false);
    // the lossless rows: what drafts and what verifies
    const chain = factory(byId('verified')!, settings);
    expect(chain.drafter?.name).toBe('top-one');
    expect(chain.verifier).toBeUndefined();
    const tree = factory(byId('verified-tree')!, settings);
    expect(tree.drafter?.name).toBe('dynamo-tree');
    expect(tree.verifier).toBeUndefined();
    const spec = factory(byId('verified-tree-speculative')!, settings);
    expect(spec.drafter?.name).toBe('dynamo-tree');
    expect(spec.verifier?.name).toMatch(/speculative/);
    expect(spec.processors).toHaveLength(1);
    expect(() => resolveSamplerSettings({ renormalize: 'half' as 'full' })).toThrow(
      expect.objectContaining({
        code: 'DYNAMO_INVALID_OPTION',
        details: expect.objectContaining({ option: 'renormalize' }),
      }),
    );
  });
});

describe('runSweep on a fake model', () => {
  it('measures every configuration and summarises it', async () => {
    const progress: number[] = [];
    const results = await runSweep({
      ...base,
      model: peaky(),
      tables: tables(),
      onProgress: (p) => progress.push(p.done),
    });
    const configs = results.configurations.length;
    expect(configs).toBe(12);
    expect(results.samples).toHaveLength(configs * 4);
    expect(progress).toHaveLength(configs * 4);
    expect(results.complete).toBe(true);
    for (const s of results.samples) {
      expect(s.tokens).toHaveLength(12);
      expect(s.text).toHaveLength(12);
      expect(s.nll).toBeGreaterThan(0);
      expect(s.emitted.reduce((a, b, i) => a + b * (i + 1), 0)).toBe(12);
    }
    const summary = await summarizeSweep(results);
    const row = (id: string) => summary.rows.find((r) => r.id === id)!;
    // eps_b = 1 is plain top-k sampling: one token per pass, ar's very tokens for the same seed.
    expect(row('dynamo@1').tokensPerPass).toBe(1);
    expect(row('dynamo@1').emissionShare[0]).toBe(1);
    for (const s of results.samples.filter((x) => x.config === 'dynamo@1')) {
      const ar = results.samples.find((x) => x.config === 'ar' && x.prompt === s.prompt && x.seed === s.seed)!;
      expect(s.tokens).toEqual(ar.tokens);
    }
    expect(row('dynamo@1').sameQuality.same).toBe(true);
    expect(row('dynamo@1').sameQuality.nllDiff.mean).toBe(0);
    // A confident model with matching tables: eps_b = 0 emits three tokens per pass.
    expect(row('dynamo@0').tokensPerPass).toBeGreaterThan(2);
    expect(row('dynamo@0').emissionShare[2]).toBeGreaterThan(0.5);
    expect(row('ar').tokensPerPass).toBe(1);
    expect(row('ar').speedup).toBe(1);
    expect(row('verified').identicalToAr).toEqual({ identical: 4, compared: 4 });
    expect(row('verified-tree').identicalToAr).toEqual({ identical: 4, compared: 4 });
    expect(row('verified-tree').lossless).toBe('identical');
    expect(row('verified-tree-speculative').lossless).toBe('distribution');
    expect(row('verified-tree').acceptance?.length).toBeGreaterThan(0);
    expect(summary.lossless.map((r) => r.id)).toEqual(['verified', 'verified-tree', 'verified-tree-speculative']);
    for (const r of summary.rows) {
      expect(r.emissionShare.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      expect(r.speedup).toBeGreaterThan(0);
    }
    expect(summary.sweep.map((r) => r.epsilon)).toEqual([0, 0.5, 1]);
    expect(summary.ablation.map((a) => a.configuration)).toEqual([
      'paper@0.5',
      'ablation:mask-adaptive',
      'ablation:mask',
      'ablation:alpha-0.5',
      'ablation:no-mask',
    ]);
    expect(summary.ablation.every((a) => a.summary !== null)).toBe(true);
    expect(summary.sameQualitySpeedup).toBeGreaterThanOrEqual(1);
    expect(summary.crossingSpeedup).toBeGreaterThanOrEqual(1);
  });

  it('resumes: samples already present are kept, the rest generated', async () => {
    const options = { ...base, model: peaky(), ablations: false, verified: false, epsilons: [0.5, 1] };
    const checkpoints: SweepResults[] = [];
    const full = await runSweep({ ...options, onCheckpoint: (r) => void checkpoints.push(r) });
    expect(checkpoints).toHaveLength(4); // one per (prompt, seed)
    const partial = checkpoints[1] as SweepResults;
    expect(partial.complete).toBe(false);
    expect(partial.samples).toHaveLength(2 * 3);
    const model = peaky();
    let skipped = 0;
    const resumed = await runSweep({ ...options, model, previous: partial, onProgress: (p) => (skipped = p.skipped) });
    expect(skipped).toBe(6);
    expect(resumed.samples).toHaveLength(12);
    expect(resumed.started).toBe(partial.started);
    // Generated the same continuations (seeded) for the missing ones.
    const tokens = (r: SweepResults) =>
      r.samples.map((s) => `${s.config}/${s.prompt}/${s.seed}:${s.tokens.join(',')}`).sort();
    expect(tokens(resumed)).toEqual(tokens(full));
    // A previous run of another setup is refused.
    await expect(runSweep({ ...options, model: peaky(), maxNewTokens: 8, previous: partial })).rejects.toMatchObject({
      code: 'DYNAMO_INVALID_OPTION',
      details: { option: 'previous' },
    });
    await expect(runSweep({ ...options, model: peaky(), previous: {} as SweepResults })).rejects.toMatchObject({
      code: 'DYNAMO_INVALID_OPTION',
    });
  });

  it('runs a repeated prompt once', async () => {
    const r = await runSweep({
      ...base,
      prompts: ['abc', 'abc'],
      seeds: [1],
      model: peaky(),
      configurations: [{ id: 'ar', kind: 'baseline', mode: 'ar', label: 'ar' }],
    });
    expect(r.prompts).toEqual(['abc']);
    expect(r.samples).toHaveLength(1);
  });

  it('rejects bad input with typed errors', async () => {
    const model = peaky();
    const bad = [
      { prompts: [] },
      { prompts: ['  '] },
      { seeds: [] },
      { seeds: [Number.NaN] },
      { maxNewTokens: 0 },
      { epsilons: [-0.1] },
      { settings: { temperature: 0 } },
      { settings: { topK: 0 } },
      { configurations: [] },
    ];
    for (const b of bad) {
      await expect(runSweep({ ...base, model, ...b }), JSON.stringify(b)).rejects.toMatchObject({
        code: 'DYNAMO_INVALID_OPTION',
      });
    }
  });
});

describe('judges in the summary', () => {
  it('takes any Judge (an LLM judge slot), or none', async () => {
    const results = await runSweep({ ...base, model: peaky(), ablations: false, verified: false });
    const seen: string[] = [];
    const always = {
      name: 'always-a',
      async compare(a: { text: string }, b: { text: string }) {
        seen.push(`${a.text}|${b.text}`);
        return 'win' as const;
      },
    };
    const s = await summarizeSweep(results, { judge: always });
    expect(s.judge).toBe('always-a');
    expect(seen).toHaveLength(4 * 4); // every row × (prompt, seed) pair, ar against itself included
    const sweep = s.sweep.map((r) => r.winRate!.rate);
    expect(sweep.every((r) => r === Number.POSITIVE_INFINITY)).toBe(true);
    expect(s.crossingSpeedup).toBe(Math.max(1, ...s.sweep.map((r) => r.speedup)));
    const none = await summarizeSweep(results, { judge: null });
    expect(none.judge).toBeNull();
    expect(none.crossingSpeedup).toBeNull();
    expect(none.rows.every((r) => r.winRate === null)).toBe(true);
    expect(stringifyReport({ x: Number.POSITIVE_INFINITY, y: Number.NaN })).toBe(
      '{\n  "x": "Infinity",\n  "y": "NaN"\n}\n',
    );
  });
});

describe('buildReport', () => {
  it('writes JSON, Markdown and two SVG plots', async () => {
    const results = await runSweep({ ...base, model: peaky(), tables: tables() });
    const report = await buildReport(results, { context: { command: 'dynamo eval --model x --out y' } });
    expect(Object.keys(report.files).sort()).toEqual(Object.values(REPORT_FILES).sort());
    const json = JSON.parse(report.files[REPORT_FILES.json]!);
    expect(json.format).toBe('dynamo-eval-report');
    expect(json.summary.rows).toHaveLength(results.configurations.length);
    expect(json.summary.ablation).toHaveLength(5);
    const samples = JSON.parse(report.files[REPORT_FILES.samples]!) as SweepResults;
    expect(samples.samples).toHaveLength(results.samples.length);
    const md = report.files[REPORT_FILES.markdown]!;
    expect(md).toMatch(/# DynaMo eval report/);
    expect(md).toMatch(/Same-quality speed-up: \*\*/);
    expect(md).toMatch(/Ablation at eps_b = 0.5/);
    expect(md).toMatch(/dynamo eval --model x --out y/);
    expect(md).toContain('](quality-speedup.svg)');
    expect(md).toMatch(/## Side by side \(seed 1\)\n\n\*\*.+\*\*\n\n- ar \(base model\) \(NLL \d/);
    expect(md).toMatch(/Surprisal under the base model, deciles/);
    expect(md).toMatch(/two-sample permutation test/);
    for (const file of [REPORT_FILES.qualityPlot, REPORT_FILES.emissionPlot]) {
      const svg = report.files[file]!;
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trim().endsWith('</svg>')).toBe(true);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    }
    expect(report.files[REPORT_FILES.qualityPlot]).toContain('<polyline');
    // 3 sweep rows with up to 3 stacked segments each
    expect((report.files[REPORT_FILES.emissionPlot]!.match(/<rect x=/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });
});
