import { Kind, type TSchema } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { ConfigSchema } from '../config.ts';
import { redactDeep } from '../redact.ts';
import type { ConfigReloader } from '../reload.ts';
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

const Ids = t.Array(t.String());
const Reloaded = t.Object(
  {
    reloaded: t.Literal(true),
    cameras: t.Object({ added: Ids, removed: Ids, restarted: Ids, unchanged: Ids }, { additionalProperties: false }),
    integrations: t.Union([t.Literal('restarted'), t.Literal('unchanged')]),
    restart_required: t.Array(t.String(), { description: 'Changed keys that are read only at start (server.*, data_dir): they apply at the next start' }),
  },
  { additionalProperties: false },
);
const Refused = t.Object(
  { reloaded: t.Literal(false), error: t.Literal('invalid config'), problems: t.Array(t.String(), { description: 'Each bad key, the value found and what was expected' }) },
  { additionalProperties: false },
);

/** The effective config (defaults < file < environment < flags), read-only, secrets hidden; and reloading it. */
export function configRoutes(state: ServerState, reloader: ConfigReloader) {
  return new Elysia({ name: 'config' })
    // The seed's camera_url answers for the first camera (as every seed route does), not the unused default beside a cameras map.
    .get('/api/config', () => redactDeep({ ...state.config, camera_url: state.primary.config.camera_url }), {
      response: EffectiveConfig,
      detail: {
        summary: 'The effective config (file, environment and flags over the defaults), with secrets (tokens, bot token, passwords in URLs) shown as "***"',
      },
    })
    .post(
      '/api/config/reload',
      async ({ set }) => {
        const result = await reloader.reload();
        if (!result.reloaded) set.status = 422;
        return result;
      },
      {
        response: { 200: Reloaded, 422: Refused },
        detail: {
          summary:
            'Reads the config file again (as SIGHUP does): added cameras start, removed ones stop, changed ones restart, the others and their viewers are not touched; an invalid file is refused (422) and the running config stays',
        },
      },
    );
}
