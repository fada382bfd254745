/** Something that writes a line; every line an integration writes passes through `Redactor` first. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const PATTERNS: Array<[RegExp, string]> = [
  // A Telegram bot token anywhere, with or without the /bot prefix of API URLs.
  [/(\/bot|\b)\d{5,}:[A-Za-z0-9_-]{30,}/g, '$1***'],
  // PEM private keys (a service account's private_key).
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '***'],
  // Bearer tokens and OAuth access tokens in echoed headers or bodies.
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1***'],
  [/("?access_token"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1***'],
  [/("?assertion"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1***'],
  // user:password@ in URLs.
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, '$1***@'],
];

/** Removes known secrets (the configured ones, and anything shaped like a token or key) from text. */
export class Redactor {
  readonly #secrets: string[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = secrets.filter((s): s is string => !!s && s.length >= 6).toSorted((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.replaceAll(secret, '***');
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }

  logger(log: Logger, prefix: string): Logger {
    return {
      info: (message) => log.info(this.redact(`${prefix}: ${message}`)),
      warn: (message) => log.warn(this.redact(`${prefix}: ${message}`)),
      error: (message) => log.error(this.redact(`${prefix}: ${message}`)),
    };
  }
}

/** True when the request certainly never reached the service (nothing listened), so a retry cannot duplicate it. */
export function neverArrived(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'ConnectionRefused' || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'FailedToOpenSocket') return true;
    if (typeof message === 'string' && /ECONNREFUSED|Connection refused|Unable to connect|FailedToOpenSocket/i.test(message)) return true;
    e = (e as { cause?: unknown; error?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return false;
}

/** The innermost useful message of a wrapped network error (grammY's HttpError, gaxios' GaxiosError, fetch's TypeError). */
export function networkReason(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof message === 'string' && message && !parts.includes(message)) parts.push(message);
    if (typeof code === 'string' && !parts.some((p) => p.includes(code))) parts.push(code);
    e = (e as { cause?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return parts.join(': ') || String(error);
}
