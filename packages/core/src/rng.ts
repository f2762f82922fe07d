import { DynamoError, DynamoErrorCode } from './errors.js';

/** A seedable source of uniform random numbers in [0, 1). */
export interface Rng {
  /** The next uniform number in [0, 1). */
  next(): number;
}

/** A seeded RNG whose state can be saved and restored (reproducible runs, forks). */
export interface SeededRng extends Rng {
  readonly seed: number;
  /** An independent copy that continues from the same state. */
  clone(): SeededRng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Xoshiro128 implements SeededRng {
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, state?: readonly [number, number, number, number]) {
    this.seed = seed;
    if (state) {
      [this.a, this.b, this.c, this.d] = state;
    } else {
      const sm = splitmix32(seed);
      this.a = sm();
      this.b = sm();
      this.c = sm();
      this.d = sm();
    }
  }

  next(): number {
    // xoshiro128** (Blackman & Vigna), 32-bit state words.
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result / 4294967296;
  }

  clone(): SeededRng {
    return new Xoshiro128(this.seed, [this.a, this.b, this.c, this.d]);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A fast, seedable RNG (xoshiro128**). The same seed gives the same sequence in Node and every
 * browser. Without a seed, one is drawn from Math.random.
 */
export function createRng(seed?: number): SeededRng {
  const s = seed === undefined ? Math.floor(Math.random() * 4294967296) : seed;
  if (!Number.isFinite(s)) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `seed must be a finite number, got ${String(seed)}.`, {
      details: { option: 'seed', actual: seed },
    });
  }
  return new Xoshiro128(Math.trunc(s) >>> 0);
}
