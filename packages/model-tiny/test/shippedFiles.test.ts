import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '@dynamojs/core';
import { modelDir, modelFilePath, modelFiles } from '@dynamojs/model-tiny';
import { describe, expect, it } from 'vitest';

describe('@dynamojs/model-tiny shipped files', () => {
  const manifest = parseManifest(readFileSync(modelFilePath('manifest'), 'utf8'));

  it('is a valid 3-head manifest whose every file matches its sha256 and size', () => {
    expect(manifest.heads).toBe(3);
    expect(manifest.files.length).toBeGreaterThanOrEqual(4);
    for (const file of [...manifest.files, ...manifest.files.flatMap((f) => f.externalData ?? [])]) {
      const bytes = readFileSync(join(modelDir(), file.path));
      if (file.bytes !== undefined) expect(bytes.length, file.path).toBe(file.bytes);
      expect(file.sha256, `${file.path} has a sha256`).toBeDefined();
      expect(createHash('sha256').update(bytes).digest('hex'), file.path).toBe(file.sha256);
    }
  });

  it('ships every file the locators and the manifest name, within the 40 MB budget', () => {
    const paths = new Set<string>(['dynamo.json', 'base/tokenizer.json']);
    for (const key of Object.keys(modelFiles) as (keyof typeof modelFiles)[]) {
      if (key !== 'baseDir') paths.add(modelFiles[key]);
    }
    for (const f of manifest.files) {
      paths.add(f.path);
      for (const d of f.externalData ?? []) paths.add(d.path);
    }
    let total = 0;
    for (const p of paths) total += statSync(join(modelDir(), p)).size;
    expect(total).toBeLessThanOrEqual(40 * 1024 * 1024);
  });

  it('lists the multi-head graph variants, fp32 and mixed sharing their common weights', () => {
    const graphs = manifest.files.filter((f) => f.role === 'model');
    expect(graphs.map((f) => [f.variant, f.path])).toEqual([
      ['fp32', modelFiles.model],
      ['mixed', modelFiles.modelMixed],
      ['q8', modelFiles.modelQ8],
    ]);
    for (const f of graphs.slice(0, 2))
      expect(f.externalData?.map((d) => d.path)).toEqual([modelFiles.modelSharedWeights]);
    expect(manifest.io).toMatchObject({ headLogitsRows: true, treeAttention: true, numLogitsToKeep: true });
    expect(graphs.some((f) => f.default)).toBe(false); // fp32 is the default (see README: mixed is opt-in)
  });

  it('records quality and provenance', () => {
    expect(manifest.quality).toBeDefined();
    expect(manifest.provenance).toBeDefined();
    expect(manifest.decoding?.topK).toBe(50);
  });
});
