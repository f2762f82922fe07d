import { DynamoError, DynamoErrorCode } from './errors.js';

/**
 * Small validators shared by every package, so an out-of-range option always fails the same way:
 * a DynamoError with code DYNAMO_INVALID_OPTION naming the option, the expected range and the value.
 */

/**
 * Throws DYNAMO_INVALID_OPTION: `Option "<option>" must be <expected>, got <actual>.` — the one way
 * every package reports a bad option (details: option, expected, actual). Without `actual` the
 * message names no value.
 */
export function invalidOption(option: string, expected: string, ...value: [actual?: unknown]): never {
  const actual = value[0];
  throw new DynamoError(
    DynamoErrorCode.INVALID_OPTION,
    `Option "${option}" must be ${expected}${value.length > 0 ? `, got ${describe(actual)}` : ''}.`,
    { details: { option, expected, actual } },
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Object.prototype.toString.call(value);
}

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  /** Exclusive bounds instead of inclusive. */
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

/** A finite number within the range (inclusive unless told otherwise). */
export function checkNumber(option: string, value: unknown, range: NumberRange = {}): number {
  const { min, max, minExclusive = false, maxExclusive = false } = range;
  const lo = min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`;
  const hi = max === undefined ? '' : `${maxExclusive ? '<' : '≤'} ${max}`;
  const expected = `a finite number${lo || hi ? ` ${[lo, hi].filter(Boolean).join(' and ')}` : ''}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) invalidOption(option, expected, value);
  if (min !== undefined && (minExclusive ? value <= min : value < min)) invalidOption(option, expected, value);
  if (max !== undefined && (maxExclusive ? value >= max : value > max)) invalidOption(option, expected, value);
  return value;
}

/** An integer within the range (inclusive). */
export function checkInteger(option: string, value: unknown, range: { min?: number; max?: number } = {}): number {
  const { min, max } = range;
  const bounds = [min === undefined ? '' : `≥ ${min}`, max === undefined ? '' : `≤ ${max}`].filter(Boolean);
  const expected = `an integer${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) invalidOption(option, expected, value);
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) invalidOption(option, expected, value);
  return value;
}

/** One of a fixed set of strings. */
export function checkEnum<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalidOption(option, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
  return value as T;
}

/** A boolean, or `fallback` when undefined. */
export function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalidOption(option, 'a boolean', value);
  return value;
}

/** Milliseconds from a monotonic clock (`performance.now()` where there is one, else `Date.now()`). */
export const now: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();

/** Checks every id is an integer in [0, vocabSize). */
export function checkTokenIds(ids: ArrayLike<number>, vocabSize: number, what = 'token id'): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new DynamoError(
        DynamoErrorCode.TOKEN_OUT_OF_RANGE,
        `${what} ${String(id)} at index ${i} is outside the vocabulary [0, ${vocabSize}).`,
        { details: { index: i, actual: id, expected: `[0, ${vocabSize})` } },
      );
    }
  }
}
