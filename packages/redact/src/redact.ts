/** What a hidden value is shown as. */
export const HIDDEN = '***';

/**
 * `scheme://user:password@` in any text. The password runs to the LAST `@` before the path: a raw
 * `@` in a password (`rtsp://admin:p@ss@host/…`, which ffmpeg and most cameras accept) must not
 * leave its tail showing. It stops at whitespace, `/`, `?`, `#` and `"` (the end of a URL in a
 * log line or a JSON string).
 */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:)[^\s/?#"]*@/gi;

/** Shapes of secrets that need no configuration to be recognised. */
const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // A Telegram bot token, bare or in an API URL (`/bot123456:AA…/sendPhoto`).
  [/(\bbot|\b)\d{5,}:[A-Za-z0-9_-]{30,}/g, `$1${HIDDEN}`],
  // PEM private keys (a service account's private_key), whole or cut off.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, HIDDEN],
  // Credentials in echoed URLs, headers and bodies: ?token=…, Bearer …, OAuth tokens and JWT assertions, our session cookie.
  [/([?&](?:token|access_token|auth_token)=)[^&\s#"'<>]+/gi, `$1${HIDDEN}`],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${HIDDEN}`],
  [/("?(?:access_token|refresh_token|id_token|assertion)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, `$1${HIDDEN}`],
  [/(cctv_session=)[^;\s"']+/g, `$1${HIDDEN}`],
];

/**
 * Literal secrets shorter than this are left to the patterns: replacing "123" everywhere would
 * mangle numbers in every line, and a 3-character secret is no secret.
 */
export const MIN_SECRET_LENGTH = 4;

/** Hides the password of every `scheme://user:password@` in a text. */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1${HIDDEN}@`);
}

/**
 * The password of a `scheme://user:password@host` URL as written, percent-decoded and
 * percent-encoded (each form may turn up in a decoder's or a library's messages).
 */
export function urlPasswords(text: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:([^\s/?#"]*)@/i.exec(text.trim());
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

/**
 * The one redaction rule of the project: known secret values (registered by whoever knows them:
 * the server's config, an integration's token) and anything shaped like a secret (URL passwords,
 * bot tokens, private keys, bearer and OAuth tokens, session cookies) become `***`.
 */
export class Redactor {
  #secrets: string[] = [];

  constructor(secrets: Iterable<string | null | undefined> = []) {
    this.add(secrets);
  }

  /** Adds secret values; empty and too-short ones are ignored (see MIN_SECRET_LENGTH). */
  add(secrets: Iterable<string | null | undefined>): void {
    const all = new Set(this.#secrets);
    for (const secret of secrets) if (secret && secret.length >= MIN_SECRET_LENGTH) all.add(secret);
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [...all].toSorted((a, b) => b.length - a.length);
  }

  /** Forgets every registered value and registers these instead (a reloaded config). */
  replace(secrets: Iterable<string | null | undefined>): void {
    this.#secrets = [];
    this.add(secrets);
  }

  redact(text: string): string {
    let out = redactUrl(text);
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.replaceAll(secret, HIDDEN);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }
}
