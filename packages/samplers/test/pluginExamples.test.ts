// biome-ignore-all assist/source/organizeImports: the docs' example blocks (with their imports) stay verbatim
/**
 * The worked examples of docs/samplers.md, verbatim. Each block between `// docs:begin NAME` and
 * `// docs:end NAME` must appear unchanged in a ```ts block of the guide (checked below).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRng } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { makeView, randomLogits } from './classicHelpers.js';

// docs:begin fixed-greedy
import type { LogitsProcessor, Sampler, StepView } from '@dynamojs/core';
import { argmax, entropy, perHead, pipeline, temperature, topK } from '@dynamojs/samplers';

/** Emits the argmax of heads 0 … n−1 at every step (fewer only when the step allows fewer). */
export function fixedGreedy(n: number): Sampler {
  const out = new Int32Array(n); // reused: generation copies the result before the next step
  return {
    name: `fixed-greedy-${n}`,
    heads: n,
    sample(view: StepView) {
      const count = Math.min(n, view.heads, view.maxTokens);
      for (let h = 0; h < count; h++) out[h] = argmax(view.logits(h));
      return out.subarray(0, count);
    },
  };
}
// docs:end fixed-greedy

// docs:begin entropy-gated
/**
 * Always emits head 0's argmax, then head h's argmax for h = 1, 2, … while head h's entropy
 * (in nats) stays below `threshold`: confident heads extend the step, the first unsure one stops it.
 */
export function entropyGated(maxHeads: number, threshold: number): Sampler {
  const out = new Int32Array(maxHeads);
  return {
    name: `entropy-gated(${threshold})`,
    heads: maxHeads,
    sample(view: StepView) {
      out[0] = argmax(view.logits(0));
      let count = 1;
      const limit = Math.min(maxHeads, view.heads, view.maxTokens);
      for (let h = 1; h < limit; h++) {
        const logits = view.logits(h);
        if (entropy(logits) >= threshold) break; // back off: head h is unsure
        out[count++] = argmax(logits);
      }
      return out.subarray(0, count);
    },
  };
}
// docs:end entropy-gated

// docs:begin custom-processor
/** A processor is any object with a name and process(logits, context): here, ban some ids. */
export function banTokens(ids: readonly number[]): LogitsProcessor {
  return {
    name: 'ban-tokens',
    process(logits) {
      for (const id of ids) logits[id] = Number.NEGATIVE_INFINITY;
    },
  };
}

// Head 0 only bans; the extra heads also sample-shape at temperature 0.7 with top-50.
export const processors = perHead([banTokens([0]), pipeline(banTokens([0]), temperature(0.7), topK(50))]);
// docs:end custom-processor

function entropyOf(row: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of row) max = Math.max(max, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - max);
  let h = 0;
  for (const v of row) {
    const p = Math.exp(v - max) / s;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

describe('plugin examples (docs/samplers.md)', () => {
  it('fixed-n greedy emits argmax of heads 0..n−1, capped by the step', () => {
    const rng = createRng(50);
    const rows = [0, 1, 2, 3].map(() => randomLogits(rng, 64));
    const s = fixedGreedy(3);
    expect(s.heads).toBe(3);
    expect(Array.from(s.sample(makeView(rows)))).toEqual([0, 1, 2].map((h) => argmax(rows[h] as Float32Array)));
    expect(Array.from(s.sample(makeView(rows, { maxTokens: 2 })))).toEqual(
      [0, 1].map((h) => argmax(rows[h] as Float32Array)),
    );
    expect(s.sample(makeView(rows.slice(0, 1))).length).toBe(1);
  });

  it('entropy-gated back-off extends while each head is confident', () => {
    const peaked = (id: number) => {
      const r = new Float32Array(16).fill(-20);
      r[id] = 20;
      return r;
    };
    const flat = new Float32Array(16);
    const s = entropyGated(4, 1.0);
    expect(Array.from(s.sample(makeView([peaked(1), peaked(2), peaked(3), peaked(4)])))).toEqual([1, 2, 3, 4]);
    expect(Array.from(s.sample(makeView([peaked(1), peaked(2), flat, peaked(4)])))).toEqual([1, 2]);
    expect(Array.from(s.sample(makeView([flat, peaked(2), peaked(3)])))).toEqual([0, 2, 3]);
    expect(Array.from(s.sample(makeView([peaked(5), flat, peaked(3)])))).toEqual([5]);
    // the gate really is the entropy of each head
    const rng = createRng(51);
    const rows = [0, 1, 2, 3].map(() => randomLogits(rng, 32, 4));
    const threshold = 2;
    const expected = [argmax(rows[0] as Float32Array)];
    for (let h = 1; h < 4 && entropyOf(rows[h] as Float32Array) < threshold; h++) {
      expected.push(argmax(rows[h] as Float32Array));
    }
    expect(Array.from(entropyGated(4, threshold).sample(makeView(rows)))).toEqual(expected);
  });

  it('custom processors are plain objects and compose per head', () => {
    const row = () => new Float32Array([9, 1, 2]);
    const rows = [row(), row(), row()];
    rows.forEach((r, head) => {
      processors.process(r, { head, history: new Int32Array(0) });
    });
    expect(Array.from(rows[0] as Float32Array)).toEqual([Number.NEGATIVE_INFINITY, 1, 2]);
    expect(rows[2]?.[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(rows[2]?.[2]).toBeCloseTo(2 / 0.7, 5);
  });

  it('the guide shows these examples verbatim', () => {
    const here = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const guide = readFileSync(fileURLToPath(new URL('../../../docs/samplers.md', import.meta.url)), 'utf8');
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    for (const name of ['fixed-greedy', 'entropy-gated', 'custom-processor']) {
      const m = here.match(new RegExp(`// docs:begin ${name}\\n([\\s\\S]*?)// docs:end ${name}`));
      const code = m?.[1] as string;
      expect(code, name).toBeTruthy();
      expect(
        blocks.some((b) => b.includes(code.trim())),
        `docs/samplers.md must contain the "${name}" example verbatim`,
      ).toBe(true);
    }
  });
});
