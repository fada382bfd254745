import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Config } from './config.ts';

/** The session cookie set by POST /api/login: it holds a value derived from the token, never the token. */
export const SESSION_COOKIE = 'cctv_session';
/** How long a login lasts in the browser. */
const SESSION_MAX_AGE_S = 30 * 24 * 3600;
/** Failed attempts one client address may make per window before it is refused for a while. */
export const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 60_000;

export interface NamedToken {
  name: string;
  token: string;
}

/** The configured tokens, named: a bare string is `token1`, `token2`, … by position. */
export function namedTokens(config: Config): NamedToken[] {
  return config.server.auth.tokens.map((entry, i) => (typeof entry === 'string' ? { name: `token${i + 1}`, token: entry } : entry));
}

/** What a request presented and whether it was good. */
export interface Credentials {
  /** The request carried at least one credential (header, query, cookie). */
  presented: boolean;
  /** The name of the token it proved, if any. */
  name?: string;
  via?: 'bearer' | 'query' | 'cookie' | 'handshake';
}

/** What a transport hands us to find the client address (Bun's server, or nothing). */
export interface AddressSource {
  requestIP(request: Request): { address: string } | null;
}

interface Known {
  name: string;
  tokenHash: Buffer;
  session: string;
  sessionHash: Buffer;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Token auth. Tokens are compared as SHA-256 digests with `timingSafeEqual` (equal lengths, so no
 * length leak), against every token with no early exit. Failed attempts are counted per client
 * address; `trust_proxy` decides whether that address may come from proxy headers.
 */
export class Auth {
  readonly enabled: boolean;
  readonly limiter = new FailureLimiter(MAX_FAILURES, FAILURE_WINDOW_MS);
  readonly #known: Known[];

  constructor(
    tokens: readonly NamedToken[],
    readonly trustProxy: boolean,
  ) {
    this.enabled = tokens.length > 0;
    this.#known = tokens.map(({ name, token }) => {
      const session = createHmac('sha256', token).update('cctv-session-v1').digest('base64url');
      return { name, tokenHash: sha256(token), session, sessionHash: sha256(session) };
    });
  }

  /** Cookie values of the configured tokens: as secret as the tokens (for redaction). */
  sessionValues(): string[] {
    return this.#known.map((k) => k.session);
  }

  /** The name of the token `presented` is, or undefined. */
  matchToken(presented: string): string | undefined {
    return this.#match(presented, 'tokenHash');
  }

  #match(presented: string, field: 'tokenHash' | 'sessionHash'): string | undefined {
    const digest = sha256(presented);
    let found: string | undefined;
    for (const known of this.#known) if (timingSafeEqual(digest, known[field]) && found === undefined) found = known.name;
    return found;
  }

  /** Checks every credential a request carries: `Authorization: Bearer`, `?token=`, the session cookie. */
  check(request: Request, url = new URL(request.url)): Credentials {
    return this.checkParts({
      authorization: request.headers.get('authorization'),
      query: url.searchParams.get('token'),
      cookie: request.headers.get('cookie'),
    });
  }

  /** The same check on parts taken apart already (a Socket.IO handshake); `token` is its `auth.token`. */
  checkParts(parts: { authorization?: string | null; query?: string | null; cookie?: string | null; token?: unknown }): Credentials {
    let presented = false;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(parts.authorization ?? '')?.[1];
    const session = readCookie(parts.cookie ?? '', SESSION_COOKIE);
    const candidates: Array<[string | undefined | null, 'tokenHash' | 'sessionHash', Credentials['via']]> = [
      [typeof parts.token === 'string' ? parts.token : undefined, 'tokenHash', 'handshake'],
      [bearer, 'tokenHash', 'bearer'],
      [parts.query, 'tokenHash', 'query'],
      [session, 'sessionHash', 'cookie'],
    ];
    if (parts.token !== undefined && typeof parts.token !== 'string') presented = true;
    if (parts.authorization && !bearer) presented = true;
    for (const [value, field, via] of candidates) {
      if (value === undefined || value === null) continue;
      presented = true;
      const name = value.length <= 1024 ? this.#match(value, field) : undefined;
      if (name) return { presented, name, via };
    }
    return { presented };
  }

  /**
   * Who is asking, for the failure count: the socket's address, or with `trust_proxy` the one
   * the proxy reports (CF-Connecting-IP, else the last X-Forwarded-For entry: the address the
   * proxy itself saw, which the client cannot forge).
   */
  clientAddress(request: Request, server: AddressSource | null | undefined): string {
    if (this.trustProxy) {
      const cf = request.headers.get('cf-connecting-ip')?.trim();
      if (cf && isIP(cf)) return cf;
      const forwarded = request.headers.get('x-forwarded-for')?.split(',').map((s) => s.trim()).filter(Boolean).at(-1);
      if (forwarded && isIP(forwarded)) return forwarded;
    }
    try {
      return server?.requestIP(request)?.address ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }

  /** The request came over https (directly, or per the trusted proxy): the cookie gets `Secure`. */
  isHttps(request: Request): boolean {
    if (request.url.startsWith('https:')) return true;
    if (!this.trustProxy) return false;
    const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    return proto === 'https' || /"scheme"\s*:\s*"https"/.test(request.headers.get('cf-visitor') ?? '');
  }

  /** Set-Cookie for a browser that proved token `name`. */
  sessionCookie(name: string, secure: boolean): string {
    const session = this.#known.find((k) => k.name === name)!.session;
    return `${SESSION_COOKIE}=${session}; Path=/; Max-Age=${SESSION_MAX_AGE_S}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }

  /** Set-Cookie that removes the session. */
  static clearCookie(secure: boolean): string {
    return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
}

function readCookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Failed attempts per client address in a sliding window. Bounded: at most `maxAddresses` are
 * remembered, the least recently failing forgotten first.
 */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly maxAddresses = 10_000,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const times = this.#recent(address, now);
    if (times.length < this.limit) return 0;
    return Math.max(1, times[times.length - this.limit]! + this.windowMs - now);
  }

  fail(address: string, now = Date.now()): void {
    const times = this.#recent(address, now);
    times.push(now);
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    // Re-inserted, so the map's order is least recently failing first.
    this.#failures.delete(address);
    this.#failures.set(address, times);
    while (this.#failures.size > this.maxAddresses) this.#failures.delete(this.#failures.keys().next().value!);
  }

  #recent(address: string, now: number): number[] {
    const times = this.#failures.get(address);
    if (!times) return [];
    const fresh = times.filter((t) => now - t < this.windowMs);
    if (fresh.length) this.#failures.set(address, fresh);
    else this.#failures.delete(address);
    return fresh;
  }
}

/** Loopback only: nothing off this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h) || h === '::ffff:127.0.0.1';
}

/** What /api/status and the banner say about who can reach the server. */
export function securityStatus(config: Config) {
  const auth = config.server.auth.tokens.length > 0;
  const exposed = !isLoopbackHost(config.server.host);
  const warning =
    !auth && exposed
      ? `no auth token is set and the server listens on ${config.server.host}: the stream, status and API are open to anyone who can reach port ${config.server.port}; set server.auth.tokens`
      : null;
  return { auth, exposed, trust_proxy: config.server.trust_proxy, cors_origins: [...config.server.cors_origins], warning };
}
