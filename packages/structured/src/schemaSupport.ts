/**
 * JSON-schema keywords XGrammar compiles without enforcing them (checked against the engine: it
 * accepts output that violates them). A schema that uses one is refused by default
 * ({@link jsonSchemaConstraint}), naming each use, rather than silently producing output the
 * schema rejects.
 */
export const UNENFORCED_KEYWORDS = [
  'not',
  'if',
  'then',
  'else',
  'uniqueItems',
  'multipleOf',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'dependentRequired',
  'dependentSchemas',
] as const;

/** One use of an unenforced keyword: the keyword and its JSON pointer in the schema. */
export interface UnenforcedUse {
  readonly keyword: string;
  readonly at: string;
}

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_VALUES = [
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pointer(at: string, key: string | number): string {
  return `${at}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Every use of an {@link UNENFORCED_KEYWORDS} keyword (and of `allOf` with several schemas) in `schema`. */
export function unenforcedKeywords(schema: unknown, at = '#'): UnenforcedUse[] {
  const out: UnenforcedUse[] = [];
  const visit = (s: unknown, where: string): void => {
    if (!isObject(s)) return;
    for (const keyword of UNENFORCED_KEYWORDS) {
      if (s[keyword] === undefined) continue;
      if (keyword === 'uniqueItems' && s[keyword] !== true) continue;
      out.push({ keyword, at: pointer(where, keyword) });
    }
    if (Array.isArray(s.allOf) && s.allOf.length > 1) out.push({ keyword: 'allOf', at: pointer(where, 'allOf') });
    for (const key of SCHEMA_MAPS) {
      const map = s[key];
      if (isObject(map)) for (const [name, sub] of Object.entries(map)) visit(sub, pointer(pointer(where, key), name));
    }
    for (const key of SCHEMA_LISTS) {
      const list = s[key];
      if (Array.isArray(list)) {
        for (const [i, sub] of list.entries()) visit(sub, pointer(pointer(where, key), i));
      }
    }
    for (const key of SCHEMA_VALUES) {
      const sub = s[key];
      if (Array.isArray(sub)) {
        for (const [i, x] of sub.entries()) visit(x, pointer(pointer(where, key), i));
      } else {
        visit(sub, pointer(where, key));
      }
    }
  };
  visit(schema, at);
  return out;
}
