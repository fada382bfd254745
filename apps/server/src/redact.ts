import { readFileSync } from 'node:fs';
import { HIDDEN, Redactor, urlPasswords } from '@cctv/redact';

/** The process' one redactor (see @cctv/redact): the log, every API answer and the integrations go through it. */
export const redactor = new Redactor();

/** Config keys whose values are secret wherever they sit in the tree (`bot_token`, `tokens`, `password`, …). */
const SECRET_KEY = /(^|_)(token|tokens|password|passwd|secret|private_key|api_key|apikey)$/i;

/**
 * Remembers the secret values of the running config: every string under a secret key, the
 * password of every URL in it, and the private key of a service-account file it names.
 * `redactSecrets` then scrubs them from any text, wherever they turn up.
 */
export function registerSecrets(config: unknown): void {
  redactor.replace(secretsOf(config));
}

/** The secret values of a config (see registerSecrets); a reload adds them to the ones already known. */
export function secretsOf(config: unknown): string[] {
  const found = new Set<string>();
  collect(config, false, found);
  return [...found];
}

/** Adds values that are secret but not in the config as written. */
export function addSecrets(values: readonly string[]): void {
  redactor.add(values);
}

/** Any text with the running config's secrets, URL passwords, bot tokens, keys and credentials replaced by `***`. */
export function redactSecrets(text: string): string {
  return redactor.redact(text);
}

/**
 * A deep copy of a JSON-like value (the config, a status body) as it may be shown: fields with
 * secret names (`bot_token`, `tokens`, `password`, …) replaced by `***`, and every other string
 * passed through `redactSecrets`.
 */
export function redactDeep<T>(value: T): T {
  return map(value, false, true) as T;
}

/** A deep copy of a JSON-like value (a status body, any API answer) with every string passed through `redactSecrets`. */
export function redactStrings<T>(value: T): T {
  return map(value, false, false) as T;
}

function map(value: unknown, secret: boolean, byKey: boolean): unknown {
  if (typeof value === 'string') return secret ? HIDDEN : redactSecrets(value);
  if (Array.isArray(value)) return value.map((item) => map(item, secret, byKey));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // Under a secret key, a `name` is a label ({"name": "dashboard", "token": "…"}), not the secret.
    for (const [key, child] of Object.entries(value)) out[key] = map(child, secret ? key !== 'name' : byKey && SECRET_KEY.test(key), byKey);
    return out;
  }
  return secret && value !== undefined && value !== null && typeof value !== 'boolean' ? HIDDEN : value;
}

function collect(value: unknown, secret: boolean, found: Set<string>, key = ''): void {
  if (typeof value === 'string') {
    if (secret) found.add(value);
    for (const password of urlPasswords(value)) found.add(password);
    if (key === 'credentials_file') for (const part of keyFileSecrets(value)) found.add(part);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, secret, found);
    return;
  }
  if (value && typeof value === 'object') {
    for (const [name, child] of Object.entries(value)) collect(child, secret ? name !== 'name' : SECRET_KEY.test(name), found, name);
  }
}

/** A service-account key file's private key (whole, and each line of it, as logs may wrap it) and its id. */
function keyFileSecrets(path: string): string[] {
  try {
    const key = JSON.parse(readFileSync(path, 'utf8')) as { private_key?: unknown; private_key_id?: unknown };
    const out: string[] = [];
    if (typeof key.private_key === 'string') {
      out.push(key.private_key, JSON.stringify(key.private_key).slice(1, -1));
      for (const line of key.private_key.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) out.push(line);
    }
    if (typeof key.private_key_id === 'string') out.push(key.private_key_id);
    return out;
  } catch {
    // No file (yet), or not a key file: the PEM pattern still catches a key in the text.
    return [];
  }
}
