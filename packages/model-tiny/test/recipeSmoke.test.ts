import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';

// The whole recipe at a tiny size: corpus → tokenizer (parity with @huggingface/tokenizers) →
// training with resume → export (fp32, mixed, q8, base-only; fp32 and mixed sharing their common
// weights) → onnxruntime-node logits equal PyTorch's (≤ 1e-4, prefill + cached steps, head layers
// and listed head rows included) → transformers.js on the base export → the same export with
// external-data weights.
describe('model recipe smoke test', () => {
  it('trains, exports and matches PyTorch in onnxruntime-node', () => {
    const work = mkdtempSync(join(tmpdir(), 'dynamo-smoke-'));
    try {
      const run = spawnSync('bash', [join(import.meta.dirname, '..', 'recipe', 'smoke.sh'), work], {
        encoding: 'utf8',
        timeout: 600_000,
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.status, output.slice(-4000)).toBe(0);
      expect(output).toContain('smoke: OK');
      // --external-data always: the manifest lists each graph's data file (check_onnx.mjs above ran
      // the graphs from it); parseManifest accepts it, as @dynamojs/onnx's loader will
      const manifest = parseManifest(readFileSync(join(work, 'model-ext', 'dynamo.json'), 'utf8'), 'dynamo.json');
      const data = (path: string) => manifest.files.find((f) => f.path === path)?.externalData?.map((d) => d.path);
      expect(data('model.onnx')).toEqual(['model.onnx_data']);
      expect(data('model_mixed.onnx')).toEqual(['model_mixed.onnx_data']);
      expect(data('model_q8.onnx')).toEqual(['model_q8.onnx_data']);
      expect(data('base/onnx/model.onnx')).toEqual(['base/onnx/model.onnx_data']);
      for (const f of manifest.files.filter((x) => x.externalData)) {
        const d = f.externalData?.[0];
        expect(d && statSync(join(work, 'model-ext', d.path)).size).toBe(d?.bytes);
      }
      // the default export: model.onnx and model_mixed.onnx point into one shared data file
      const shared = parseManifest(readFileSync(join(work, 'model', 'dynamo.json'), 'utf8'), 'dynamo.json');
      const sharedData = (path: string) => shared.files.find((f) => f.path === path)?.externalData?.map((d) => d.path);
      expect(sharedData('model.onnx')).toEqual(['model_shared.onnx_data']);
      expect(sharedData('model_mixed.onnx')).toEqual(['model_shared.onnx_data']);
      expect(sharedData('model_q8.onnx')).toBeUndefined();
      expect(shared.io.headLogitsRows).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 900_000);
});
