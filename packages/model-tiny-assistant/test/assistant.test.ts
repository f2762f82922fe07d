import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MultiTokenModel, TextTokenizer } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { modelDir, modelFilePath } from '@dynamojs/model-tiny';
import { assistantModelDir, assistantModelUrl } from '@dynamojs/model-tiny-assistant';
import { loadModel } from '@dynamojs/onnx/node';
import { assistantDrafter, greedy } from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;

const dir = assistantModelDir();
const baseDir = join(modelDir(), 'base');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

interface AssistantManifest {
  target: { sha256: string; tokenizerSha256: string };
  architecture: { layers: number; vocabSize: number };
  files: Record<string, { bytes: number; sha256: string }>;
  quality?: { greedyAgreement: number };
}

describe('@dynamojs/model-tiny-assistant: shipped files', () => {
  const manifest = json(join(dir, 'assistant.json')) as AssistantManifest;

  it('locates its folder (URL and path)', () => {
    expect(assistantModelUrl().protocol).toBe('file:');
    expect(assistantModelUrl().href.endsWith('/model/')).toBe(true);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('ships the hub / transformers.js layout, every file matching assistant.json, within ~8 MB', () => {
    let total = 0;
    for (const f of FILES) {
      const bytes = readFileSync(join(dir, f));
      total += bytes.length;
      expect(manifest.files[f], f).toBeDefined();
      expect(bytes.length, f).toBe(manifest.files[f]?.bytes);
      expect(sha256(bytes), f).toBe(manifest.files[f]?.sha256);
    }
    expect(Object.keys(manifest.files).sort()).toEqual([...FILES].sort());
    expect(total).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it("is a 2-layer GPT-NeoX of the base's width, heads, tokenizer and vocabulary", () => {
    const cfg = json(join(dir, 'config.json'));
    const base = json(join(baseDir, 'config.json'));
    expect(cfg.model_type).toBe('gpt_neox');
    expect(cfg.num_hidden_layers).toBe(2);
    expect(manifest.architecture.layers).toBe(2);
    for (const k of [
      'hidden_size',
      'num_attention_heads',
      'intermediate_size',
      'vocab_size',
      'rotary_pct',
      'eos_token_id',
    ])
      expect(cfg[k], k).toBe(base[k]);
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'])
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(baseDir, f))), f).toBe(true);
    // it was distilled from the base graph the model package ships now
    expect(manifest.target.sha256).toBe(sha256(readFileSync(modelFilePath('baseModel'))));
    expect(manifest.target.tokenizerSha256).toBe(sha256(readFileSync(join(baseDir, 'tokenizer.json'))));
    expect(manifest.quality?.greedyAgreement).toBeGreaterThan(0.7);
  });
});

describe('@dynamojs/model-tiny-assistant: drafting for the bundled model', () => {
  let target: MultiTokenModel;
  let assistant: MultiTokenModel;
  let tokenizer: TextTokenizer;

  beforeAll(async () => {
    target = await loadModel(modelDir(), { device: 'cpu', baseOnly: true });
    assistant = await loadModel(dir, { device: 'cpu' });
    tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
  });
  afterAll(async () => {
    await assistant?.dispose();
    await target?.dispose();
  });

  it('loads as a one-head model of the target’s vocabulary', () => {
    expect(assistant.metadata.heads).toBe(1);
    expect(assistant.metadata.vocabSize).toBe(target.metadata.vocabSize);
  });

  it('verified with the assistant (greedy) gives exactly ar’s tokens, more than one per pass', async () => {
    const drafter = assistantDrafter(assistant, { target, draw: 'argmax' });
    let tokens = 0;
    let passes = 0;
    try {
      for (const prompt of ['The meaning of life is', 'In the beginning', 'Mr. Speaker, the state of the Union']) {
        const ar = await generate({ model: target, tokenizer, prompt, maxNewTokens: 48, sampler: greedy() });
        const v = await generate({
          model: target,
          tokenizer,
          prompt,
          maxNewTokens: 48,
          sampler: greedy(),
          mode: 'verified',
          drafter,
        });
        expect(v.tokens, prompt).toEqual(ar.tokens);
        expect(v.text, prompt).toBe(ar.text);
        tokens += v.stats.tokens;
        passes += v.stats.forwardPasses;
      }
      const report = drafter.report();
      expect(report.proposed).toBeGreaterThan(0);
      expect(report.accepted).toBeGreaterThan(0);
      expect(tokens / passes).toBeGreaterThan(1.3);
    } finally {
      drafter.dispose();
    }
  });
});
