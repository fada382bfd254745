import type { TSchema } from '@sinclair/typebox';

/**
 * What a schema accepts, in words, for the "expected …" of an error: `a whole number from 1 to
 * 65535`, `"auto", "onnxruntime" or "tensorrt"`. The one describer for config files and HTTP
 * input, so both say the same thing of the same rule. `x-expected` on a schema overrides it.
 */
export function expectedValue(schema: TSchema, fallback = 'a valid value'): string {
  if (typeof schema['x-expected'] === 'string') return schema['x-expected'];
  const anyOf = schema.anyOf as TSchema[] | undefined;
  if (anyOf?.length && anyOf.every((choice) => 'const' in choice)) return orList(anyOf.map((choice) => JSON.stringify(choice.const)));
  if (anyOf?.length) return orList(anyOf.map((choice) => expectedValue(choice)));
  const { minimum: min, maximum: max, minLength, maxLength } = schema as { minimum?: number; maximum?: number; minLength?: number; maxLength?: number };
  const range = (unit: string) => {
    if (min !== undefined && max !== undefined) return `${unit} from ${min} to ${max}`;
    if (min !== undefined) return `${unit} ≥ ${min}`;
    if (max !== undefined) return `${unit} ≤ ${max}`;
    return unit;
  };
  switch (schema.type) {
    case 'integer':
      return range('a whole number');
    case 'number':
      return range('a number');
    case 'boolean':
      return 'true or false';
    case 'string':
      if (schema.pattern && Array.isArray(schema.examples)) return `a string like ${(schema.examples as string[]).map((e) => JSON.stringify(e)).join(' or ')}`;
      if (minLength !== undefined && maxLength !== undefined) return `a string of ${minLength} to ${maxLength} characters`;
      if (minLength === 1) return 'a non-empty string';
      if (minLength) return `a string of at least ${minLength} characters`;
      return 'a string';
    case 'object':
      return 'an object';
    case 'array':
      return `a list, each item ${expectedValue(schema.items as TSchema)}`;
    default:
      return fallback;
  }
}

function orList(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : (items[0] ?? '');
}
