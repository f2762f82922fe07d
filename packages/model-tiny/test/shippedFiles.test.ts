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
    for (const file of manifest.files) {
      const bytes = readFileSync(join(modelDir(), file.path));
      if (file.bytes !== undefined) expect(bytes.length, file.path).toBe(file.bytes);
      expect(file.sha256, `${file.path} has a sha256`).toBeDefined();
      expect(createHash('sha256').update(bytes).digest('hex'), file.path).toBe(file.sha256);
    }
  });

  it('ships every file the locators name, within the 40 MB budget', () => {
    let total = 0;
    for (const key of Object.keys(modelFiles) as (keyof typeof modelFiles)[]) {
      if (key === 'baseDir') continue;
      total += statSync(modelFilePath(key)).size;
    }
    total += statSync(join(modelDir(), 'base/tokenizer.json')).size;
    expect(total).toBeLessThanOrEqual(40 * 1024 * 1024);
  });

  it('records quality and provenance', () => {
    expect(manifest.quality).toBeDefined();
    expect(manifest.provenance).toBeDefined();
    expect(manifest.decoding?.topK).toBe(50);
  });
});
