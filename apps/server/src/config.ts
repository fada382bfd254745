import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { redactUrl } from '@cctv/capture';
import { Type as t, type Static, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';

/**
 * The one config schema. The seed's `config.json` keys load as they are; every field has a
 * description and a default, and the README's config table is generated from this (see
 * `bun run docs:config`).
 */
export const ConfigSchema = t.Object(
  {
    camera_url: t.String({
      minLength: 1,
      default: 'demo:',
      description:
        'Where the video comes from: rtsp://user:pass@host:554/path, http(s):// MJPEG, a video file path (looped at its real rate), /dev/videoN (V4L2), or demo: / demo:WIDTHxHEIGHT (a synthetic scene that needs nothing installed).',
    }),
    target_fps: t.Number({ minimum: 1, maximum: 60, default: 15, description: 'Frames per second taken from the camera and served; faster cameras are thinned.' }),
    jpeg_quality: t.Integer({ minimum: 1, maximum: 100, default: 65, description: 'JPEG quality of the served frames (each frame is encoded once for every viewer).' }),
    detection_enabled: t.Boolean({ default: false, description: 'Run YOLO object detection and draw boxes (not available yet: accepted and reported).' }),
    model_path: t.String({ default: 'models/best.onnx', description: 'YOLO model file used when detection is enabled (not available yet).' }),
    sheets_config: t.Object(
      {
        enabled: t.Optional(t.Boolean({ description: 'Turn the Google Sheets integration on or off.' })),
        webapp_url: t.Optional(t.String({ description: 'Apps Script web app URL polled for inbound/outbound counts.' })),
        poll_interval: t.Optional(t.Number({ minimum: 1, description: 'Seconds between polls of the web app.' })),
        credentials_file: t.Optional(t.String({ description: 'Service-account JSON key file for the Sheets API.' })),
        spreadsheet_id: t.Optional(t.String({ description: 'Spreadsheet to read counts from and append rows to.' })),
      },
      { default: {}, description: 'Google Sheets integration (not available yet: accepted and reported).' },
    ),
    telegram_config: t.Object(
      {
        enabled: t.Optional(t.Boolean({ description: 'Turn Telegram alerts on or off.' })),
        bot_token: t.Optional(t.String({ description: 'Bot token from @BotFather (kept secret).' })),
        chat_id: t.Optional(t.Union([t.String(), t.Integer()], { description: 'Chat that receives alerts and may send commands.' })),
      },
      { default: {}, description: 'Telegram alerts (not available yet: accepted and reported).' },
    ),
    server: t.Object(
      {
        port: t.Integer({ minimum: 1, maximum: 65535, default: 5001, description: 'HTTP port for the API, the stream and Socket.IO.' }),
        host: t.String({ minLength: 1, default: '0.0.0.0', description: 'Address to listen on (0.0.0.0: every interface; 127.0.0.1: this machine only).' }),
        stream_keepalive_s: t.Number({
          minimum: 1,
          maximum: 60,
          default: 5,
          description: 'While the camera is stalled, re-send the last frame this often so proxies and idle timeouts keep the stream open.',
        }),
      },
      { default: {}, additionalProperties: false, description: 'HTTP server.' },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[], origin: string) {
    super(`invalid config (${origin}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variable for a config key: `server.port` → `CCTV_SERVER_PORT`. */
export function envName(path: readonly string[]): string {
  return `CCTV_${path.join('_').toUpperCase()}`;
}

interface Leaf {
  path: string[];
  schema: TSchema;
}

/** Every scalar field of the schema, in declaration order. */
export function configLeaves(schema: TSchema = ConfigSchema, path: string[] = []): Leaf[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, child]) => configLeaves(child, [...path, key]));
  }
  return [{ path, schema }];
}

export interface LoadOptions {
  /** Config file; undefined means none (defaults, env and flags only). */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Values from command-line flags, applied last. */
  overrides?: { port?: number };
}

export interface LoadedConfig {
  config: Config;
  /** Where it came from, for the banner: the file, or "defaults". */
  origin: string;
}

/** Defaults < file < CCTV_* environment < flags; then validated as a whole. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const origin = options.file ? resolve(options.file) : 'built-in defaults';
  let raw: unknown = {};
  if (options.file) {
    if (!existsSync(origin)) throw new ConfigError([`config file not found: ${origin}`], origin);
    const text = readFileSync(origin, 'utf8');
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError([`not valid JSON: ${(error as Error).message}`], origin);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError([`the top level must be a JSON object of settings, got ${describe(raw)}`], origin);
    }
  }
  const value = structuredClone(raw) as Record<string, unknown>;
  const fromEnv = new Map<string, string>();
  for (const { path, schema } of configLeaves()) {
    const name = envName(path);
    const text = options.env?.[name];
    if (text === undefined) continue;
    setPath(value, path, parseEnvValue(text, schema));
    fromEnv.set(path.join('.'), name);
  }
  if (options.overrides?.port !== undefined) setPath(value, ['server', 'port'], options.overrides.port);

  // Check before defaults are filled in (Value.Default silently replaces a wrong-typed object such
  // as `"server": []`); a missing key is no error, since every key has a default.
  const found = [...Value.Errors(ConfigSchema, value)].filter((error) => error.value !== undefined);
  const problems = explain(found, fromEnv);
  if (problems.length) throw new ConfigError(problems, origin);
  return { config: Value.Default(ConfigSchema, value) as Config, origin };
}

function parseEnvValue(text: string, schema: TSchema): unknown {
  if (schema.type === 'integer' || schema.type === 'number') return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  if (schema.type === 'boolean') return /^(true|1|yes|on)$/i.test(text) ? true : /^(false|0|no|off)$/i.test(text) ? false : text;
  return text;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** One line per bad key: the key, the value found, what was expected. */
function explain(errors: ValueError[], fromEnv: Map<string, string>): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const error of errors) {
    const key = error.path.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
    if (seen.has(key)) continue;
    seen.add(key);
    const via = fromEnv.has(key) ? ` (from ${fromEnv.get(key)})` : '';
    if (error.message === 'Unexpected property') {
      const parent = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
      const known = knownKeys(parent);
      const name = key.slice(key.lastIndexOf('.') + 1);
      const guess = closest(name, known);
      lines.push(`${key}: unknown key${guess ? ` (did you mean "${guess}"?)` : ''}; expected one of: ${known.join(', ')}`);
      continue;
    }
    const shown = /token|password|secret|private_key/i.test(key) ? '(a hidden value)' : redactUrl(describe(error.value));
    lines.push(`${key}${via}: got ${shown}, expected ${expectation(error.schema)}`);
  }
  return lines;
}

function knownKeys(parentPath: string): string[] {
  let schema: TSchema = ConfigSchema;
  for (const key of parentPath ? parentPath.split('.') : []) schema = (schema.properties as Record<string, TSchema>)[key]!;
  return Object.keys(schema.properties ?? {});
}

function expectation(schema: TSchema): string {
  if (schema.anyOf) return (schema.anyOf as TSchema[]).map(expectation).join(' or ');
  const range = (unit: string) => {
    const { minimum: min, maximum: max } = schema as { minimum?: number; maximum?: number };
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
      return schema.minLength ? 'a non-empty string' : 'a string';
    case 'object':
      return 'an object of settings';
    default:
      return String(schema.type ?? 'a valid value');
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

/** The known key nearest to a misspelt one, if it is close enough to be a typo. */
function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
