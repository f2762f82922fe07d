import type { Constraint, TextTokenizer } from '@dynamojs/core';
import type { CallOptions } from './specTypes.js';

/** What a call's `responseFormat: { type: 'json', schema? }` asks for. */
export interface JsonResponse {
  /** The JSON schema the output must follow (absent: any JSON value). */
  readonly schema?: unknown;
}

/** The JSON response the call asks for, if any (`responseFormat.type === 'json'`). */
export function jsonResponseOf(call: CallOptions): JsonResponse | undefined {
  const format = call.responseFormat;
  if (format?.type !== 'json') return undefined;
  return format.schema === undefined ? {} : { schema: format.schema };
}

/** A compiled JSON response, and the schema keywords it could not enforce (`not`, `multipleOf`, …). */
export interface JsonResponseConstraint {
  readonly constraint: Constraint;
  /** `keyword (JSON pointer)` of each keyword the grammar does not enforce (reported as a warning). */
  readonly unenforced: readonly string[];
}

const compiled = new WeakMap<object, Map<string, Promise<JsonResponseConstraint>>>();

/**
 * The constraint that enforces a JSON response on the model's tokenizer (@dynamojs/structured,
 * loaded on first use): the schema's grammar, or any JSON. Compiled once per tokenizer and schema.
 * An invalid or unsupported schema rejects with DYNAMO_GRAMMAR naming what the engine refused;
 * keywords the engine compiles without enforcing (e.g. zod's `.positive()` → `exclusiveMinimum`)
 * are left out and listed in `unenforced`, which the provider reports as an `unsupported` warning.
 */
export function jsonResponseConstraint(
  tokenizer: TextTokenizer,
  response: JsonResponse,
): Promise<JsonResponseConstraint> {
  let byKey = compiled.get(tokenizer);
  if (byKey === undefined) {
    byKey = new Map();
    compiled.set(tokenizer, byKey);
  }
  const key = response.schema === undefined ? '' : JSON.stringify(response.schema);
  let constraint = byKey.get(key);
  if (constraint === undefined) {
    constraint = import('@dynamojs/structured').then(async (structured) => {
      if (response.schema === undefined)
        return { constraint: await structured.jsonConstraint(tokenizer), unenforced: [] };
      const schema = response.schema as Record<string, unknown>;
      const unenforced = structured.unenforcedKeywords(schema).map((u) => `${u.keyword} (${u.at})`);
      const c = await structured.jsonSchemaConstraint(tokenizer, schema, { unenforced: 'ignore' });
      return { constraint: c, unenforced };
    });
    byKey.set(key, constraint);
    const cache = byKey;
    constraint.catch(() => cache.delete(key));
  }
  return constraint;
}
