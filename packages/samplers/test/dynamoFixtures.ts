/** Shared helpers of the DynaMo tests (not a test file). */
import { createRng, type Rng, type StepView } from '@dynamojs/core';
import { buildCoOccurrenceTablesSync, type CoOccurrenceValueKind, loadCoOccurrenceTables } from '../src/index.js';
import type { CoOccurrenceTables } from '../src/tables/coOccurrenceTables.js';

export interface ViewOptions {
  readonly seed?: number;
  readonly rng?: Rng;
  readonly maxTokens?: number;
  readonly history?: ArrayLike<number>;
  readonly heads?: number;
}

/** A StepView over fixed per-head logits. */
export function makeStepView(logits: readonly Float32Array[], options: ViewOptions = {}): StepView {
  const heads = options.heads ?? logits.length;
  const history = Int32Array.from(options.history ?? [0]);
  return {
    vocabSize: (logits[0] as Float32Array).length,
    heads,
    maxTokens: options.maxTokens ?? heads,
    logits: (h: number) => logits[h] as Float32Array,
    history,
    promptLength: history.length,
    step: 0,
    rng: options.rng ?? createRng(options.seed ?? 1),
  };
}

/** Random logits (normal-ish) for `heads` heads over `V` tokens, from a seed. */
export function randomHeadLogits(V: number, heads: number, seed: number, scale = 3): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: heads }, () => {
    const row = new Float32Array(V);
    for (let i = 0; i < V; i++) row[i] = (rng.next() + rng.next() + rng.next() - 1.5) * scale;
    return row;
  });
}

/** Random documents of token ids. */
export function randomDocs(V: number, docs: number, length: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: docs }, () =>
    Array.from({ length: 1 + Math.floor(rng.next() * length) }, () => {
      // Zipf-ish: small ids more frequent
      const u = rng.next();
      return Math.min(V - 1, Math.floor(V * u * u * u));
    }),
  );
}

export function tablesFrom(
  docs: readonly (readonly number[])[],
  V: number,
  options: { order?: 2 | 3; valueKind?: CoOccurrenceValueKind; minCount?: number; tokenizerHash?: string } = {},
): CoOccurrenceTables {
  const bytes = buildCoOccurrenceTablesSync(docs, {
    vocabSize: V,
    order: options.order ?? 3,
    valueKind: options.valueKind ?? 'count',
    minCount: options.minCount ?? 1,
    tokenizerHash: options.tokenizerHash,
  });
  return loadCoOccurrenceTables(bytes);
}

/** Brute-force n-gram counts of documents (keys "a,b" / "a,b,c"). */
export function bruteCounts(docs: readonly (readonly number[])[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of docs) {
    for (let i = 0; i + 1 < d.length; i++) {
      const k2 = `${d[i]},${d[i + 1]}`;
      m.set(k2, (m.get(k2) ?? 0) + 1);
      if (i + 2 < d.length) {
        const k3 = `${k2},${d[i + 2]}`;
        m.set(k3, (m.get(k3) ?? 0) + 1);
      }
    }
  }
  return m;
}
