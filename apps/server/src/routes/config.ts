import { Kind, type TSchema } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { ConfigSchema } from '../config.ts';
import { redactDeep } from '../redact.ts';
import type { ServerState } from '../state.ts';

/** Limits a redacted value need not meet ("***" is shorter than a token): only shapes are kept. */
const LIMITS = new Set(['minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems', 'format']);

/** A copy of a TypeBox schema without value limits, TypeBox's own symbol keys kept. */
function shapeOnly(schema: TSchema): TSchema {
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy);
    if (!value || typeof value !== 'object') return value;
    const out: Record<string | symbol, unknown> = {};
    for (const [key, child] of Object.entries(value)) if (!LIMITS.has(key)) out[key] = key === 'default' || key === 'examples' ? child : copy(child);
    for (const symbol of Object.getOwnPropertySymbols(value)) out[symbol] = (value as Record<symbol, unknown>)[symbol];
    return out;
  };
  const out = copy(schema) as TSchema;
  if (!out[Kind]) throw new Error('shapeOnly: not a TypeBox schema');
  return out;
}

const EffectiveConfig = shapeOnly(ConfigSchema);

/** The effective config (defaults < file < environment < flags), read-only, secrets hidden. */
export function configRoutes(state: ServerState) {
  return new Elysia({ name: 'config' }).get('/api/config', () => redactDeep(state.config), {
    response: EffectiveConfig,
    detail: {
      summary: 'The effective config (file, environment and flags over the defaults), with secrets (tokens, bot token, passwords in URLs) shown as "***"',
    },
  });
}
