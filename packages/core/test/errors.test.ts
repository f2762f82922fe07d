import {
  checkEnum,
  checkInteger,
  checkNumber,
  checkTokenIds,
  DynamoError,
  isDynamoError,
  throwIfAborted,
} from '@dynamojs/core';
import { describe, expect, it } from 'vitest';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isDynamoError(e) ? e.code : `not a DynamoError: ${String(e)}`;
  }
  return undefined;
}

describe('DynamoError', () => {
  it('carries a stable code, details and cause, and serialises', () => {
    const cause = new Error('inner');
    const e = new DynamoError('DYNAMO_MODEL_FORMAT', 'bad', { details: { file: 'x.onnx' }, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('DYNAMO_MODEL_FORMAT');
    expect(e.details.file).toBe('x.onnx');
    expect(e.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ name: 'DynamoError', code: 'DYNAMO_MODEL_FORMAT' });
  });

  it('isDynamoError recognises copies from another package instance', () => {
    const foreign = Object.assign(new Error('x'), { name: 'DynamoError', code: 'DYNAMO_IO' });
    expect(isDynamoError(foreign)).toBe(true);
    expect(isDynamoError(foreign, 'DYNAMO_IO')).toBe(true);
    expect(isDynamoError(foreign, 'DYNAMO_ABORTED')).toBe(false);
    expect(isDynamoError(new Error('x'))).toBe(false);
    expect(isDynamoError(null)).toBe(false);
  });

  it('throwIfAborted', () => {
    const c = new AbortController();
    expect(codeOf(() => throwIfAborted(c.signal))).toBeUndefined();
    c.abort();
    expect(codeOf(() => throwIfAborted(c.signal))).toBe('DYNAMO_ABORTED');
  });
});

describe('option checks', () => {
  it('accept good values and name the option otherwise', () => {
    expect(checkNumber('epsilon', 0.5, { min: 0, max: 1 })).toBe(0.5);
    expect(checkInteger('topK', 50, { min: 1 })).toBe(50);
    expect(checkEnum('mode', 'ar', ['ar', 'dynamo'])).toBe('ar');
    for (const bad of [-0.1, 1.1, Number.NaN, Number.POSITIVE_INFINITY, '0.5', undefined]) {
      expect(codeOf(() => checkNumber('epsilon', bad, { min: 0, max: 1 }))).toBe('DYNAMO_INVALID_OPTION');
    }
    expect(codeOf(() => checkNumber('temperature', 0, { min: 0, minExclusive: true }))).toBe('DYNAMO_INVALID_OPTION');
    expect(codeOf(() => checkInteger('topK', 0.5, { min: 1 }))).toBe('DYNAMO_INVALID_OPTION');
    expect(codeOf(() => checkEnum('mode', 'fast', ['ar', 'dynamo']))).toBe('DYNAMO_INVALID_OPTION');
    try {
      checkNumber('epsilon', 2, { min: 0, max: 1 });
    } catch (e) {
      expect((e as Error).message).toContain('epsilon');
      expect((e as Error).message).toContain('2');
    }
  });

  it('checkTokenIds names the bad id', () => {
    expect(codeOf(() => checkTokenIds([1, 2, 3], 10))).toBeUndefined();
    expect(codeOf(() => checkTokenIds([1, 10], 10))).toBe('DYNAMO_TOKEN_OUT_OF_RANGE');
    expect(codeOf(() => checkTokenIds([-1], 10))).toBe('DYNAMO_TOKEN_OUT_OF_RANGE');
    expect(codeOf(() => checkTokenIds([1.5], 10))).toBe('DYNAMO_TOKEN_OUT_OF_RANGE');
  });
});
