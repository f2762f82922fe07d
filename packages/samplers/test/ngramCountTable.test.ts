import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountTable } from '../src/tables/countTable.js';

describe('CountTable (the builder counting table)', () => {
  it('counts like a Map, across growth and pruning, for keys up to 2^53', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.maxSafeNat()), { maxLength: 400 }),
        fc.integer({ min: 0, max: 3 }),
        (keys, floor) => {
          const table = new CountTable(16);
          const map = new Map<number, number>();
          for (const k of keys) {
            table.increment(k);
            map.set(k, (map.get(k) ?? 0) + 1);
          }
          expect(table.size).toBe(map.size);
          for (const [k, c] of map) expect(table.get(k)).toBe(c);
          expect(table.get(-1)).toBe(0);
          table.prune(floor);
          const kept = [...map].filter(([, c]) => c > floor);
          expect(table.size).toBe(kept.length);
          for (const [k, c] of map) expect(table.get(k)).toBe(c > floor ? c : 0);
          const sorted = table.sortedEntries(1);
          expect(Array.from(sorted.keys)).toEqual(kept.map(([k]) => k).sort((a, b) => a - b));
          expect(Array.from(sorted.counts)).toEqual([...kept].sort((a, b) => a[0] - b[0]).map(([, c]) => c));
        },
      ),
      { numRuns: 200 },
    );
  });
});
