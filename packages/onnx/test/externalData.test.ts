// Models whose weights live in ONNX external-data files (every export over 2 GB; Optimum's
// `model.onnx_data`): fixtures/tiny-external holds fixtures/tiny's graphs saved that way.
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '@dynamojs/core';
import type { OnnxModel } from '@dynamojs/onnx';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE, maxAbsDiff, RUNTIMES, tokens } from './helpers.js';

const EXTERNAL = fileURLToPath(new URL('./fixtures/tiny-external', import.meta.url));

async function rows(model: OnnxModel, ids: number[]): Promise<Float32Array[]> {
  const cache = model.createCache();
  const out: Float32Array[] = [];
  const r = await model.forward(ids.slice(0, 5), cache, { positions: 'all' });
  for (let h = 0; h < model.metadata.heads; h++)
    for (let i = 0; i < r.positionCount; i++) out.push(r.logits(h, i).slice());
  for (const id of ids.slice(5)) {
    const s = await model.forward([id], cache);
    for (let h = 0; h < model.metadata.heads; h++) out.push(s.logits(h, 0).slice());
  }
  cache.dispose();
  return out;
}

function worst(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((row, i) => maxAbsDiff(row, b[i] as Float32Array)));
}

describe.each(RUNTIMES)('external data ($name)', (runtime) => {
  const ids = tokens(12, 96);

  it('a manifest listing externalData loads, checks the files, and equals the single-file model', async () => {
    const inline = await runtime.load(FIXTURE);
    const external = await runtime.load(EXTERNAL, { verifyChecksums: true });
    expect(external.metadata.heads).toBe(3);
    expect(worst(await rows(external, ids), await rows(inline, ids))).toBe(0);
    await inline.dispose();
    await external.dispose();
  });

  it('baseOnly: the base graph with its own data file in base/onnx/', async () => {
    const inline = await runtime.load(FIXTURE, { baseOnly: true });
    const external = await runtime.load(EXTERNAL, { baseOnly: true, verifyChecksums: true });
    expect(worst(await rows(external, ids), await rows(inline, ids))).toBe(0);
    await inline.dispose();
    await external.dispose();
  });

  it('a plain Optimum-style export (config.json + onnx/model.onnx + onnx/model.onnx_data) finds its weights', async () => {
    const inline = await runtime.load(join(FIXTURE, 'base'));
    const external = await runtime.load(join(EXTERNAL, 'base'));
    expect(external.metadata.heads).toBe(1);
    expect(worst(await rows(external, ids), await rows(inline, ids))).toBe(0);
    await inline.dispose();
    await external.dispose();
  });
});

describe('external data: bad input', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const copy = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'dynamo-external-'));
    dirs.push(dir);
    cpSync(EXTERNAL, dir, { recursive: true });
    return dir;
  };
  const load = RUNTIMES[0]!.load;

  it('a missing data file → DYNAMO_MODEL_LOAD naming it', async () => {
    const dir = copy();
    rmSync(join(dir, 'model.onnx_data'));
    await expect(load(dir)).rejects.toMatchObject({
      code: 'DYNAMO_MODEL_LOAD',
      message: expect.stringContaining('model.onnx_data'),
    });
  });

  it('a truncated data file → DYNAMO_MODEL_FORMAT with both sizes; a changed one → DYNAMO_CHECKSUM_MISMATCH', async () => {
    const dir = copy();
    truncateSync(join(dir, 'model.onnx_data'), 1000);
    await expect(load(dir)).rejects.toMatchObject({
      code: 'DYNAMO_MODEL_FORMAT',
      message: expect.stringMatching(/model\.onnx_data is 1000 bytes but dynamo\.json says \d+ \(truncated/),
    });
    const other = copy();
    const data = readFileSync(join(other, 'model.onnx_data'));
    data[100] = (data[100] as number) ^ 0xff;
    writeFileSync(join(other, 'model.onnx_data'), data);
    await expect(load(other, { verifyChecksums: true })).rejects.toMatchObject({ code: 'DYNAMO_CHECKSUM_MISMATCH' });
  });

  it('the manifest must keep a data file next to its graph', () => {
    const man = JSON.parse(readFileSync(join(EXTERNAL, 'dynamo.json'), 'utf8'));
    const bad = structuredClone(man);
    bad.files[2].externalData = [{ path: 'model.onnx_data' }]; // base/onnx/model.onnx's data must be in base/onnx/
    expect(() => parseManifest(bad, 'dynamo.json')).toThrow(/same folder as base\/onnx\/model\.onnx/);
    const notArray = structuredClone(man);
    notArray.files[0].externalData = 'model.onnx_data';
    expect(() => parseManifest(notArray, 'dynamo.json')).toThrow(/externalData/);
    expect(parseManifest(man, 'dynamo.json').files[0]?.externalData?.[0]?.path).toBe('model.onnx_data');
  });
});
