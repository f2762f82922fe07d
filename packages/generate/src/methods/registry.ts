import { DynamoError, DynamoErrorCode, invalidOption, type MultiTokenModel, type Sampler } from '@dynamojs/core';
import { BUILTIN_METHODS } from './builtins.js';
import type { DecodingMethod, RegisterOptions } from './decodingMethod.js';

/** The registered methods, in registration order (lookups try the latest first). */
const methods: DecodingMethod[] = [...BUILTIN_METHODS];

/**
 * Registers a decoding method under its name. Returns a function that unregisters it. Throws
 * DYNAMO_INVALID_OPTION for a malformed method, or a name already taken (unless `replace`).
 */
export function registerDecodingMethod(method: DecodingMethod, options: RegisterOptions = {}): () => void {
  if (typeof method !== 'object' || method === null) invalidOption('method', 'a DecodingMethod object', method);
  if (typeof method.name !== 'string' || method.name.length === 0) {
    invalidOption('method.name', 'a non-empty string', method.name);
  }
  if (typeof method.mode !== 'string' || method.mode.length === 0) {
    invalidOption('method.mode', 'a non-empty string', method.mode);
  }
  if (typeof method.createStrategy !== 'function') {
    invalidOption('method.createStrategy', 'a function (ctx) => DecodeStrategy', method.createStrategy);
  }
  const at = methods.findIndex((m) => m.name === method.name);
  if (at >= 0) {
    if (options.replace !== true) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `A decoding method named "${method.name}" is already registered (pass { replace: true } to replace it).`,
        { details: { option: 'method.name', actual: method.name } },
      );
    }
    methods.splice(at, 1);
  }
  methods.push(method);
  return () => {
    const i = methods.indexOf(method);
    if (i >= 0) methods.splice(i, 1);
  };
}

/** Every registered method, in registration order. */
export function decodingMethods(): readonly DecodingMethod[] {
  return [...methods];
}

/** The registered method of that name, if any. */
export function decodingMethod(name: string): DecodingMethod | undefined {
  return methods.find((m) => m.name === name);
}

/** The modes the registered methods serve (each once, in registration order). */
export function decodingModes(): string[] {
  return [...new Set(methods.map((m) => m.mode))];
}

/** The mode a sampler asks for when none is given: the latest method it implies, else `'ar'`. */
export function impliedMode(sampler: Sampler): string {
  for (let i = methods.length - 1; i >= 0; i--) {
    const m = methods[i] as DecodingMethod;
    if (m.impliedBy?.(sampler) === true) return m.mode;
  }
  return 'ar';
}

/** The method that decodes `mode` with this sampler and model: the latest registered that accepts. */
export function methodFor(mode: string, sampler: Sampler, model: MultiTokenModel): DecodingMethod | undefined {
  for (let i = methods.length - 1; i >= 0; i--) {
    const m = methods[i] as DecodingMethod;
    if (m.mode === mode && (m.accepts === undefined || m.accepts(sampler, model))) return m;
  }
  return undefined;
}
