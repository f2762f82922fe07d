import { type ParseArgsConfig, parseArgs } from 'node:util';
import { checkEnum, checkInteger, checkNumber, DynamoError, DynamoErrorCode } from '@dynamojs/core';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking; its errors become DYNAMO_INVALID_OPTION naming the flag. */
export function parse(
  argv: readonly string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (cause) {
    const message = (cause as Error).message;
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, message.replace(/\.?$/, '. See --help.'), {
      details: { option: flag.replace(/^-+/, '') },
      cause,
    });
  }
}

function invalid(flag: string, expected: string, value: unknown): never {
  throw new DynamoError(
    DynamoErrorCode.INVALID_OPTION,
    `--${flag} must be ${expected}, got ${JSON.stringify(value)}.`,
    {
      details: { option: flag, expected, actual: value },
    },
  );
}

export function str(values: Record<string, unknown>, flag: string): string | undefined {
  const v = values[flag];
  return typeof v === 'string' ? v : undefined;
}

/** A number flag (validated with core's checkNumber under the flag's name). */
export function num(
  values: Record<string, unknown>,
  flag: string,
  range: { min?: number; max?: number; minExclusive?: boolean } = {},
): number | undefined {
  const v = str(values, flag);
  if (v === undefined) return undefined;
  if (v.trim() === '' || Number.isNaN(Number(v))) invalid(flag, 'a number', v);
  return checkNumber(`--${flag}`, Number(v), range);
}

export function int(
  values: Record<string, unknown>,
  flag: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  const v = str(values, flag);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) invalid(flag, 'an integer', v);
  return checkInteger(`--${flag}`, Number(v), range);
}

export function oneOf<T extends string>(
  values: Record<string, unknown>,
  flag: string,
  allowed: readonly T[],
): T | undefined {
  const v = str(values, flag);
  return v === undefined ? undefined : checkEnum(`--${flag}`, v, allowed);
}

/** A comma-separated list flag (also accepted repeated). */
export function list(values: Record<string, unknown>, flag: string): string[] | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(','));
  const out = parts.map((s) => s.trim()).filter((s) => s.length > 0);
  if (out.length === 0) invalid(flag, 'a non-empty comma-separated list', v);
  return out;
}

export function numList(
  values: Record<string, unknown>,
  flag: string,
  range: { min?: number; max?: number } = {},
): number[] | undefined {
  return list(values, flag)?.map((s) => {
    if (Number.isNaN(Number(s))) invalid(flag, 'a comma-separated list of numbers', s);
    return checkNumber(`--${flag}`, Number(s), range);
  });
}

export function intList(
  values: Record<string, unknown>,
  flag: string,
  range: { min?: number; max?: number } = {},
): number[] | undefined {
  return list(values, flag)?.map((s) => {
    if (!/^-?\d+$/.test(s)) invalid(flag, 'a comma-separated list of integers', s);
    return checkInteger(`--${flag}`, Number(s), range);
  });
}
