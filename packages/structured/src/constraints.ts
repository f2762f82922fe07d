import { DynamoError, DynamoErrorCode, type TextTokenizer } from '@dynamojs/core';
import { type EngineOptions, grammarEngine } from './grammarEngine.js';
import { unenforcedKeywords } from './schemaSupport.js';
import type { XGrammarConstraint } from './xgrammarConstraint.js';

/** Options of {@link jsonSchemaConstraint} and {@link jsonConstraint}. */
export interface JsonOptions extends EngineOptions {
  /**
   * `'compact'` (default): one line, `", "` and `": "` separators — the fewest choices left to the
   * model, so the most forced tokens; `'any'`: any whitespace between elements.
   */
  readonly whitespace?: 'compact' | 'any';
  /**
   * Strict mode (default true): no properties or items the schema does not list (as if
   * `additionalProperties: false` / `unevaluatedItems: false` where the schema says nothing).
   */
  readonly strict?: boolean;
  /**
   * What to do with keywords the engine compiles without enforcing (`not`, `if` / `then` / `else`,
   * `uniqueItems`, `multipleOf`, `exclusiveMinimum` / `exclusiveMaximum`, `dependentRequired`,
   * `dependentSchemas`, `allOf` of several schemas): `'error'` (default) refuses the schema with
   * DYNAMO_GRAMMAR naming each use; `'ignore'` compiles it without them (the output may then violate
   * them: see `unenforcedKeywords(schema)`).
   */
  readonly unenforced?: 'error' | 'ignore';
}

/** A JSON schema: an object, `true` / `false`, or its JSON text. */
export type JsonSchema = Readonly<Record<string, unknown>> | boolean | string;

function schemaValue(schema: unknown): unknown {
  if (typeof schema === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(schema);
    } catch (error) {
      throw new DynamoError(DynamoErrorCode.GRAMMAR, `The JSON schema is not valid JSON: ${(error as Error).message}`, {
        details: { option: 'schema', engine: (error as Error).message },
      });
    }
    return schemaValue(parsed);
  }
  if (typeof schema === 'boolean') return schema;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new DynamoError(
      DynamoErrorCode.GRAMMAR,
      `A JSON schema is an object or a boolean (or its JSON text), not ${Array.isArray(schema) ? 'an array' : String(schema)}.`,
      { details: { option: 'schema', actual: schema } },
    );
  }
  return schema;
}

/**
 * Output that is JSON valid against `schema` (the subset XGrammar supports: types, properties and
 * required, enum / const, anyOf / oneOf, $ref / $defs, items / prefixItems, min/max items, string
 * length / pattern / format, integer and number ranges). A schema that is not JSON, or uses what
 * the engine does not support, is DYNAMO_GRAMMAR with the engine's message naming it; keywords it
 * would compile without enforcing are refused too, naming each (see `unenforced`).
 */
export async function jsonSchemaConstraint(
  tokenizer: TextTokenizer,
  schema: JsonSchema,
  options: JsonOptions = {},
): Promise<XGrammarConstraint> {
  const value = schemaValue(schema);
  const unenforced = unenforcedKeywords(value);
  if (unenforced.length > 0 && (options.unenforced ?? 'error') === 'error') {
    const list = unenforced.map((u) => `${u.keyword} (${u.at})`).join(', ');
    throw new DynamoError(
      DynamoErrorCode.GRAMMAR,
      `The JSON schema uses what the grammar engine (XGrammar) does not enforce: ${list}. Remove it, or pass { unenforced: 'ignore' } to generate without it.`,
      { details: { option: 'schema', unenforced } },
    );
  }
  const text = JSON.stringify(value);
  const engine = await grammarEngine(tokenizer, options);
  const compact = (options.whitespace ?? 'compact') === 'compact';
  return engine.compile('json-schema', 'json-schema', 'The JSON schema cannot be compiled', { option: 'schema' }, (c) =>
    c.compileJSONSchema(text, !compact, -1, compact ? [', ', ': '] : undefined, options.strict ?? true),
  );
}

/** Any JSON value (XGrammar's built-in JSON grammar). */
export async function jsonConstraint(
  tokenizer: TextTokenizer,
  options: EngineOptions = {},
): Promise<XGrammarConstraint> {
  const engine = await grammarEngine(tokenizer, options);
  return engine.compile('json', 'json', 'The JSON grammar cannot be compiled', {}, (c) =>
    c.compileBuiltinJSONGrammar(),
  );
}

/**
 * Output that matches the regular expression `pattern` in full (ECMAScript-like syntax; no
 * lookaround or backreferences). Unsupported syntax is DYNAMO_GRAMMAR with the engine's message.
 */
export async function regexConstraint(
  tokenizer: TextTokenizer,
  pattern: string,
  options: EngineOptions = {},
): Promise<XGrammarConstraint> {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new DynamoError(DynamoErrorCode.GRAMMAR, 'A regular expression is a non-empty string.', {
      details: { option: 'regex', actual: pattern },
    });
  }
  const engine = await grammarEngine(tokenizer, options);
  return engine.compile('regex', 'regex', 'The regular expression cannot be compiled', { option: 'regex' }, (c) =>
    c.compileStructuralTag({ type: 'structural_tag', format: { type: 'regex', pattern } }),
  );
}

/** Options of {@link grammarConstraint}. */
export interface GrammarOptions extends EngineOptions {
  /** The root rule. Default `root`. */
  readonly root?: string;
}

/**
 * Output derived from an EBNF grammar (XGrammar's EBNF, which reads llama.cpp's GBNF: `::=`,
 * quoted strings, character classes, `* + ? {m,n}`, `#` comments). A grammar that does not parse
 * is DYNAMO_GRAMMAR with the engine's message (line and column).
 */
export async function grammarConstraint(
  tokenizer: TextTokenizer,
  grammar: string,
  options: GrammarOptions = {},
): Promise<XGrammarConstraint> {
  if (typeof grammar !== 'string' || grammar.trim().length === 0) {
    throw new DynamoError(DynamoErrorCode.GRAMMAR, 'A grammar is a non-empty EBNF string.', {
      details: { option: 'grammar', actual: grammar },
    });
  }
  const root = options.root ?? 'root';
  const engine = await grammarEngine(tokenizer, options);
  return engine.compile('grammar', 'grammar', 'The grammar cannot be compiled', { option: 'grammar' }, (c) =>
    c.compileGrammar(grammar, root),
  );
}

/** One way to say what the output must be (what the CLI and the AI SDK provider pass). */
export type ConstraintSpec =
  | { readonly jsonSchema: JsonSchema; readonly whitespace?: 'compact' | 'any'; readonly strict?: boolean }
  | { readonly json: true }
  | { readonly regex: string }
  | { readonly grammar: string; readonly root?: string };

/** The constraint a {@link ConstraintSpec} names. */
export function constraintFrom(
  tokenizer: TextTokenizer,
  spec: ConstraintSpec,
  options: EngineOptions = {},
): Promise<XGrammarConstraint> {
  const s = spec as Record<string, unknown>;
  if (s !== null && typeof s === 'object') {
    if ('jsonSchema' in s) {
      return jsonSchemaConstraint(tokenizer, s.jsonSchema as JsonSchema, {
        ...options,
        ...(s.whitespace !== undefined && { whitespace: s.whitespace as 'compact' | 'any' }),
        ...(s.strict !== undefined && { strict: s.strict as boolean }),
      });
    }
    if ('regex' in s) return regexConstraint(tokenizer, s.regex as string, options);
    if ('grammar' in s) {
      return grammarConstraint(tokenizer, s.grammar as string, {
        ...options,
        ...(s.root !== undefined && { root: s.root as string }),
      });
    }
    if (s.json === true) return jsonConstraint(tokenizer, options);
  }
  return Promise.reject(
    new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'A constraint is one of { jsonSchema }, { json: true }, { regex }, { grammar }.',
      { details: { option: 'constraint', actual: spec } },
    ),
  );
}
