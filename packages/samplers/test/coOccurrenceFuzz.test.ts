/**
 * Fuzzing the table loader (tables may come from untrusted URLs): truncated, bit-flipped, random
 * and structurally mutated files. Nothing but a DynamoError with a table code escapes, and a file
 * that loads satisfies every invariant the look-ups rely on (no read out of bounds).
 */
import { DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bufferRangeReader,
  buildCoOccurrenceTablesSync,
  type CoOccurrenceTables,
  loadCoOccurrenceTables,
  loadCoOccurrenceTablesFrom,
  tableChecksum,
} from '../src/index.js';
import { randomDocs } from './dynamoFixtures.js';

const V = 30;
const base = buildCoOccurrenceTablesSync(randomDocs(V, 40, 30, 3), {
  vocabSize: V,
  minCount: 1,
  tokenizerHash: 'fuzz',
});
const baseCounts = buildCoOccurrenceTablesSync(randomDocs(V, 40, 30, 4), {
  vocabSize: V,
  minCount: 1,
  valueKind: 'count',
});

const ALLOWED = new Set<string>([DynamoErrorCode.TABLE_FORMAT, DynamoErrorCode.VOCAB_MISMATCH]);

/** Loads and, when it loads, checks every invariant; returns 'ok' or the error code. */
function tryLoad(bytes: Uint8Array, verifyChecksums = true): string {
  let t: CoOccurrenceTables;
  try {
    t = loadCoOccurrenceTables(bytes, { verifyChecksums });
  } catch (error) {
    if (!isDynamoError(error) || !ALLOWED.has(error.code)) throw error;
    return error.code;
  }
  checkInvariants(t);
  return 'ok';
}

function checkInvariants(t: CoOccurrenceTables): void {
  const Vt = t.vocabSize;
  expect(t.bigramOffsets.length).toBe(Vt + 1);
  expect(t.unigrams.length).toBe(Vt);
  for (let a = 0; a < Vt; a++) {
    const s = t.bigramOffsets[a] as number;
    const e = t.bigramOffsets[a + 1] as number;
    expect(s <= e && e <= t.bigramIds.length).toBe(true);
    for (let x = s; x < e; x++) {
      const b = t.bigramIds[x] as number;
      expect(b).toBeLessThan(Vt);
      expect(t.bigramValues[x]).toBeTypeOf('number');
      expect(t.findBigram(a, b)).toBe(x);
      if (t.trigramOffsets) {
        const ts = t.trigramOffsets[x] as number;
        const te = t.trigramOffsets[x + 1] as number;
        expect(ts <= te && te <= (t.trigramIds?.length ?? 0)).toBe(true);
        for (let y = ts; y < te; y++) {
          expect(t.trigramIds?.[y]).toBeLessThan(Vt);
          expect(t.trigramValues?.[y]).toBeTypeOf('number');
          expect(Number.isNaN(t.trigramLogPmi(a, b, y))).toBe(false);
        }
      }
    }
  }
}

/** Recomputes every checksum so structural validation (not the checksum) must catch mutations. */
function rechecksum(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  const directoryStart = dv.getUint32(12, true);
  const sections = dv.getUint32(116, true);
  if (sections > 16 || directoryStart + sections * 24 > out.byteLength) return out;
  for (let i = 0; i < sections; i++) {
    const e = directoryStart + i * 24;
    const offset = dv.getFloat64(e + 8, true);
    const length = dv.getFloat64(e + 16, true);
    if (
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(length) &&
      offset >= 0 &&
      offset + length <= out.byteLength
    ) {
      dv.setUint32(e + 4, tableChecksum(out.subarray(offset, offset + length)), true);
    }
  }
  const headerEnd = directoryStart + sections * 24;
  dv.setUint32(120, 0, true);
  dv.setUint32(120, tableChecksum(out.subarray(0, headerEnd)), true);
  return out;
}

describe('co-occurrence table loader fuzzing', () => {
  it('the valid files load', () => {
    expect(tryLoad(base)).toBe('ok');
    expect(tryLoad(baseCounts)).toBe('ok');
  });

  it('every truncation is a DYNAMO_TABLE_FORMAT error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.byteLength - 1 }), (cut) => {
        expect(tryLoad(base.slice(0, cut))).toBe(DynamoErrorCode.TABLE_FORMAT);
      }),
      { numRuns: 300 },
    );
  });

  it('bit flips: a typed error or a table that satisfies every invariant (with and without checksums)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(base, baseCounts),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (file, flips, verify) => {
          const bytes = file.slice();
          for (const [pos, bit] of flips) {
            const i = pos % bytes.byteLength;
            bytes[i] = (bytes[i] as number) ^ (1 << bit);
          }
          const result = tryLoad(bytes, verify);
          expect(['ok', ...ALLOWED]).toContain(result);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('structural mutations behind valid checksums are caught by validation', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(base, baseCounts),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (file, writes) => {
          const bytes = file.slice();
          for (const [pos, value] of writes) bytes[pos % bytes.byteLength] = value;
          expect(['ok', ...ALLOWED]).toContain(tryLoad(rechecksum(bytes)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random bytes (with or without a valid magic) are rejected', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.boolean(), (random, withMagic) => {
        const bytes = random.slice();
        if (withMagic && bytes.byteLength >= 12) {
          bytes.set(new TextEncoder().encode('DYNAMOCT'), 0);
          new DataView(bytes.buffer).setUint32(8, 1, true);
        }
        expect(tryLoad(bytes)).toBe(DynamoErrorCode.TABLE_FORMAT);
      }),
      { numRuns: 300 },
    );
  });

  it('the lazy loader rejects the same corruptions with typed errors only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), async (pos, value, cut) => {
        let bytes = base.slice();
        if (cut) bytes = bytes.slice(0, pos % bytes.byteLength);
        else bytes[pos % bytes.byteLength] = value;
        try {
          checkInvariants(await loadCoOccurrenceTablesFrom(bufferRangeReader(bytes)));
        } catch (error) {
          expect(isDynamoError(error) && ALLOWED.has(error.code)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
