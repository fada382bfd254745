import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { Config } from './config.ts';
import { AddressRanges, isLoopbackAddress } from './ip-ranges.ts';
import { SESSION_LIFETIME_S, Sessions, type Session } from './sessions.ts';

/** The session cookie set by POST /api/login: a signed session (see sessions.ts), never the token. */
export const SESSION_COOKIE = 'cctv_session';
/** Failed attempts one client address may make per window before its wrong credentials get 429. */
export const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 60_000;
/** Longer than any credential we issue or accept: not worth hashing. */
const MAX_CREDENTIAL_LENGTH = 1024;

export interface NamedToken {
  name: string;
  token: string;
}

/** The configured tokens, named: a bare string is `token1`, `token2`, … by position. */
export function namedTokens(config: Config): NamedToken[] {
  return config.server.auth.tokens.map((entry, i) => (typeof entry === 'string' ? { name: `token${i + 1}`, token: entry } : entry));
}

/** What a request presented and whether it was good (not yet judged: see `Auth.judge`). */
export interface Credentials {
  /** The request carried at least one credential (header, query, cookie, login form). */
  presented: boolean;
  /** The name of the token it proved, if any. */
  name?: string;
  via?: 'bearer' | 'query' | 'cookie' | 'login';
  /** The session it proved, when `via` is `cookie`. */
  session?: Session;
}

/** What the one judge of credentials decided. */
export type Verdict =
  | { outcome: 'anonymous' }
  | { outcome: 'ok'; name: string; via: NonNullable<Credentials['via']>; session?: Session }
  | { outcome: 'refused' }
  | { outcome: 'rate_limited'; retryAfterMs: number };

/** What a transport hands us to find the peer's address (Bun's server, or nothing). */
export interface AddressSource {
  requestIP(request: Request): { address: string } | null;
}

export interface AuthOptions {
  tokens: readonly NamedToken[];
  /** Believe a proxy's headers (client address, https)… */
  trustProxy: boolean;
  /** …when they come from loopback or from one of these addresses / CIDR ranges. */
  trustedProxies: readonly string[];
  /** Where the session secret and revoked sessions live; needed only with tokens. */
  dataDir: string;
}

interface Known {
  name: string;
  tokenHash: Buffer;
  /** Names the token inside its session cookies. */
  tokenId: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Token auth. Tokens are compared as SHA-256 digests with `timingSafeEqual` (equal lengths, so no
 * length leak), against every token with no early exit; a browser then holds a signed session
 * cookie. Every credential check goes through `judge`, which counts failures per client address.
 */
export class Auth {
  readonly enabled: boolean;
  readonly #limiter = new FailureLimiter(MAX_FAILURES, FAILURE_WINDOW_MS);
  readonly #known: Known[];
  readonly #sessions: Sessions | undefined;
  readonly #trustProxy: boolean;
  readonly #trustedProxies: AddressRanges;

  constructor(options: AuthOptions) {
    this.enabled = options.tokens.length > 0;
    this.#trustProxy = options.trustProxy;
    this.#trustedProxies = new AddressRanges(options.trustedProxies);
    const sessions = this.enabled ? Sessions.open(options.dataDir) : undefined;
    this.#sessions = sessions;
    this.#known = sessions ? options.tokens.map(({ name, token }) => ({ name, tokenHash: sha256(token), tokenId: sessions.tokenId(token) })) : [];
  }

  static fromConfig(config: Config): Auth {
    const { server } = config;
    return new Auth({ tokens: namedTokens(config), trustProxy: server.trust_proxy, trustedProxies: server.trusted_proxies, dataDir: resolve(config.data_dir) });
  }

  /** The name of the token `presented` is, or undefined. */
  #matchToken(presented: string): string | undefined {
    if (presented.length > MAX_CREDENTIAL_LENGTH) return undefined;
    const digest = sha256(presented);
    let found: string | undefined;
    for (const known of this.#known) if (timingSafeEqual(digest, known.tokenHash) && found === undefined) found = known.name;
    return found;
  }

  /** A session cookie's value, if it holds a live session of a token still configured. */
  #matchSession(value: string): { name: string; session: Session } | undefined {
    if (value.length > MAX_CREDENTIAL_LENGTH) return undefined;
    const session = this.#sessions?.verify(value);
    const known = session && this.#known.find((k) => k.tokenId === session.tokenId);
    return known && session ? { name: known.name, session } : undefined;
  }

  /** Reads every credential a request carries: `Authorization: Bearer`, `?token=`, the session cookie. */
  check(request: Request, url: URL): Credentials {
    const authorization = request.headers.get('authorization');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const query = url.searchParams.get('token');
    const cookie = readCookie(request.headers.get('cookie') ?? '', SESSION_COOKIE);
    const presented = authorization !== null || query !== null || cookie !== undefined;
    for (const [value, via] of [[bearer, 'bearer'], [query, 'query']] as const) {
      const name = value ? this.#matchToken(value) : undefined;
      if (name) return { presented, name, via };
    }
    const found = cookie ? this.#matchSession(cookie) : undefined;
    if (found) return { presented, name: found.name, via: 'cookie', session: found.session };
    return { presented };
  }

  /** Reads a token typed into the login form (or posted as JSON). */
  checkToken(token: string): Credentials {
    const name = this.#matchToken(token);
    return name ? { presented: true, name, via: 'login' } : { presented: true };
  }

  /**
   * The one judge of credentials, for every route, /login, /api/login and the Socket.IO handshake:
   * none presented → anonymous (not counted); a good one → ok, always, even from an address that
   * failed often (behind a tunnel one address may be every visitor); a wrong one → a failure
   * counted against `address`, refused, or rate-limited once that address has failed too often.
   */
  judge(credentials: Credentials, address: string, now = Date.now()): Verdict {
    if (!credentials.presented) return { outcome: 'anonymous' };
    if (credentials.name && credentials.via) return { outcome: 'ok', name: credentials.name, via: credentials.via, session: credentials.session };
    const blocked = this.#limiter.blockedFor(address, now) > 0;
    // Counted while blocked too, so a guesser who keeps on stays blocked.
    this.#limiter.fail(address, now);
    return blocked ? { outcome: 'rate_limited', retryAfterMs: this.#limiter.blockedFor(address, now) } : { outcome: 'refused' };
  }

  /** `check` and `judge` in one, for a request that may carry credentials anywhere. */
  authenticate(request: Request, url: URL, server: AddressSource | null | undefined): Verdict {
    return this.judge(this.check(request, url), this.clientAddress(request, server));
  }

  /**
   * Who is asking, for the failure count: the peer's address; or, with `trust_proxy` and a peer
   * that is a trusted proxy (loopback, or in `trusted_proxies`), the address that proxy reports:
   * CF-Connecting-IP, else X-Forwarded-For read from the right, past every trusted proxy.
   */
  clientAddress(request: Request, server: AddressSource | null | undefined): string {
    const peer = peerAddress(request, server);
    if (!this.#fromTrustedProxy(peer)) return peer;
    const cf = request.headers.get('cf-connecting-ip')?.trim();
    if (cf && isIP(cf)) return cf;
    let client = peer;
    const forwarded = (request.headers.get('x-forwarded-for') ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
    for (const hop of forwarded.toReversed()) {
      if (!isIP(hop)) break;
      client = hop;
      if (!this.#isTrustedProxy(hop)) break;
    }
    return client;
  }

  /** The request came over https (directly, or per a trusted proxy): the cookie gets `Secure`. */
  isHttps(request: Request, server: AddressSource | null | undefined): boolean {
    if (request.url.startsWith('https:')) return true;
    if (!this.#fromTrustedProxy(peerAddress(request, server))) return false;
    const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    return proto === 'https' || /"scheme"\s*:\s*"https"/.test(request.headers.get('cf-visitor') ?? '');
  }

  #fromTrustedProxy(peer: string): boolean {
    return this.#trustProxy && this.#isTrustedProxy(peer);
  }

  #isTrustedProxy(address: string): boolean {
    return isLoopbackAddress(address) || this.#trustedProxies.has(address);
  }

  /** Set-Cookie with a new session for a browser that proved token `name`. */
  sessionCookie(name: string, secure: boolean): string {
    const known = this.#known.find((k) => k.name === name)!;
    return `${SESSION_COOKIE}=${this.#sessions!.issue(known.tokenId)}; Path=/; Max-Age=${SESSION_LIFETIME_S}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }

  /** Logs out the session a request's cookie holds (if it holds one): that cookie never works again. */
  revokeSession(request: Request): void {
    const cookie = readCookie(request.headers.get('cookie') ?? '', SESSION_COOKIE);
    const found = cookie ? this.#matchSession(cookie) : undefined;
    if (found) this.#sessions!.revoke(found.session);
  }

  /** Set-Cookie that removes the session. */
  static clearCookie(secure: boolean): string {
    return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
}

/** The address of the connection itself ('unknown' where the transport has none). */
function peerAddress(request: Request, server: AddressSource | null | undefined): string {
  try {
    return server?.requestIP(request)?.address ?? 'unknown';
  } catch {
    return 'unknown';
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
