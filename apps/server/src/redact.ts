import { readFileSync } from 'node:fs';
import { redactUrl } from '@cctv/capture';

/** What a hidden value is shown as. */
export const HIDDEN = '***';

/** Config keys whose values are secret wherever they sit in the tree (`bot_token`, `tokens`, `password`, …). */
const SECRET_KEY = /(^|_)(token|tokens|password|passwd|secret|private_key|api_key|apikey)$/i;

/** Shapes of secrets that need no config to be recognised. */
const PATTERNS: Array<[RegExp, string]> = [
  // A Telegram bot token, bare or in an API URL (`/bot123456:AA…/sendPhoto`).
  [/(\bbot|\b)\d{5,}:[A-Za-z0-9_-]{30,}/g, `$1${HIDDEN}`],
  // PEM private keys (a service account's private_key), whole or cut off.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, HIDDEN],
  // Credentials in echoed URLs and headers: ?token=…, Bearer …, our session cookie.
  [/([?&](?:token|access_token|auth_token)=)[^&\s#"'<>]+/gi, `$1${HIDDEN}`],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${HIDDEN}`],
  [/(cctv_session=)[^;\s"']+/g, `$1${HIDDEN}`],
];

/** Literal secrets shorter than this are left to the patterns: replacing "1234" everywhere would mangle numbers. */
const MIN_LITERAL = 4;

let literals: string[] = [];

/**
 * Remembers the secret values of the running config: every string under a secret key, the
 * password of every URL in it, and the private key of a service-account file it names.
 * `redactSecrets` then scrubs them from any text, wherever they turn up.
 */
export function registerSecrets(config: unknown): void {
  const found = new Set<string>();
  collect(config, false, found);
  literals = [];
  addSecrets([...found]);
}

/** Adds values that are secret but not in the config as written (e.g. session cookies derived from tokens). */
export function addSecrets(values: readonly string[]): void {
  const all = new Set(literals);
  for (const value of values) if (value.length >= MIN_LITERAL) all.add(value);
  // Longest first, so a secret that contains another is replaced whole.
  literals = [...all].toSorted((a, b) => b.length - a.length);
}

/** Any text with the running config's secrets, URL passwords, bot tokens, keys and credentials replaced by `***`. */
export function redactSecrets(text: string): string {
  let out = redactUrl(text);
  for (const secret of literals) if (out.includes(secret)) out = out.replaceAll(secret, HIDDEN);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
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

/** The password of a `scheme://user:password@host` URL, as written and percent-decoded. */
function urlPasswords(text: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s@/]*)@/i.exec(text.trim());
  if (!match?.[1]) return [];
  const raw = match[1];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Not valid percent-encoding: the raw form is what shows.
  }
  return [...new Set([raw, decoded, encodeURIComponent(decoded)])];
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
