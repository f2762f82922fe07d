import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The whole recipe at a tiny size: corpus → tokenizer (parity with @huggingface/tokenizers) →
// training with resume → export (fp32, q8, base-only) → onnxruntime-node logits equal PyTorch's
// (≤ 1e-4, prefill + cached steps, head layers included) → transformers.js on the base export.
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
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 900_000);
});
