/**
 * A small JSON-schema validator for the structured-output tests (the keywords their schemas use:
 * type, properties, required, additionalProperties, enum, const, string length, integer / number
 * ranges, items, min/max items). Returns the first violation, or undefined.
 */
export function schemaViolation(value: unknown, schema: Record<string, unknown>, path = '$'): string | undefined {
  if (
    schema.enum !== undefined &&
    !(schema.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value))
  ) {
    return `${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`;
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value))
    return `${path}: not the const`;
  const type = schema.type as string | undefined;
  switch (type) {
    case undefined:
      return undefined;
    case 'string': {
      if (typeof value !== 'string') return `${path}: not a string`;
      const n = [...value].length;
      if (typeof schema.maxLength === 'number' && n > schema.maxLength)
        return `${path}: longer than ${schema.maxLength}`;
      if (typeof schema.minLength === 'number' && n < schema.minLength)
        return `${path}: shorter than ${schema.minLength}`;
      return undefined;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value)))
        return `${path}: not an ${type}`;
      if (typeof schema.minimum === 'number' && value < schema.minimum) return `${path}: below ${schema.minimum}`;
      if (typeof schema.maximum === 'number' && value > schema.maximum) return `${path}: above ${schema.maximum}`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${path}: not a boolean`;
    case 'null':
      return value === null ? undefined : `${path}: not null`;
    case 'array': {
      if (!Array.isArray(value)) return `${path}: not an array`;
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
        return `${path}: over ${schema.maxItems} items`;
      if (typeof schema.minItems === 'number' && value.length < schema.minItems)
        return `${path}: under ${schema.minItems} items`;
      const items = schema.items as Record<string, unknown> | undefined;
      if (items !== undefined) {
        for (let i = 0; i < value.length; i++) {
          const v = schemaViolation(value[i], items, `${path}[${i}]`);
          if (v !== undefined) return v;
        }
      }
      return undefined;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path}: not an object`;
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const key of (schema.required ?? []) as string[]) {
        if (!(key in value)) return `${path}: missing ${key}`;
      }
      for (const [key, v] of Object.entries(value)) {
        const sub = properties[key];
        // strict mode: no properties the schema does not list
        if (sub === undefined) return `${path}: unexpected property ${key}`;
        const violation = schemaViolation(v, sub, `${path}.${key}`);
        if (violation !== undefined) return violation;
      }
      return undefined;
    }
    default:
      return `${path}: the test validator does not know type ${type}`;
  }
}
