import { Elysia } from 'elysia';
import { Auth, SESSION_COOKIE } from './auth.ts';
import { log } from './log.ts';
import type { LiveUpdates } from './socketio.ts';

/** Routes anyone may call: liveness for monitors, and the way in and out. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/api/health', '/login', '/api/login', '/api/logout']);

/**
 * Guards every route but PUBLIC_PATHS before routing, so a route added later is covered
 * without anyone remembering to, Socket.IO's handshake and polling included: 401
 * `{"error":"unauthorized"}` without a valid credential, 429 with Retry-After for a wrong one
 * once its address has failed too often, and a redirect to `login` for a browser opening the
 * dashboard. First of all, a request whose Host header makes no URL is answered 400.
 */
export function authGuard(auth: Auth) {
  let badHostLogged = false;
  return new Elysia({ name: 'auth-guard' }).onRequest(({ request, set, server }) => {
    set.headers['x-content-type-options'] = 'nosniff';
    // A ?token= in a page's URL must not travel on to other sites in Referer.
    set.headers['referrer-policy'] = 'no-referrer';
    // Bun builds request.url from the Host header: an empty or malformed one leaves no URL to read.
    const url = URL.parse(request.url);
    if (!url) {
      // Once per process: a client sending these in a loop must not flood the log.
      if (!badHostLogged) log.warn(`refusing requests whose Host header makes no URL (400), first from ${auth.clientAddress(request, server)}`);
      badHostLogged = true;
      set.status = 400;
      return { error: 'invalid header', parameter: 'host', expected: 'a host name or address, with an optional port' };
    }
    if (!auth.enabled) return;
    // Open only if the URL's path and the path Elysia's router will take from it both say so (see routedPath).
    if (PUBLIC_PATHS.has(url.pathname) && PUBLIC_PATHS.has(routedPath(request.url))) return;
    // (A CORS preflight, which carries no credentials, never gets here: the CORS plugin answers it first.)
    const verdict = auth.authenticate(request, url, server);
    if (verdict.outcome === 'ok') {
      // A page opened with ?token= logs the browser in, so the page's own requests work too.
      if (verdict.via === 'query' && wantsPage(request)) set.headers['set-cookie'] = auth.sessionCookie(verdict.name, auth.isHttps(request, server));
      return;
    }
    // A session that ended (logged out, expired, its token removed): the browser drops it.
    if (request.headers.get('cookie')?.includes(`${SESSION_COOKIE}=`)) set.headers['set-cookie'] = Auth.clearCookie(auth.isHttps(request, server));
    if (verdict.outcome === 'rate_limited') return tooManyAttempts(set, verdict.retryAfterMs);
    if (url.pathname === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
      // Relative, so it stays under a proxy's path prefix (/cctv/ → /cctv/login).
      set.status = 302;
      set.headers.location = 'login';
      set.headers['cache-control'] = 'no-store';
      return '';
    }
    set.status = 401;
    return { error: 'unauthorized' };
  });
}

export function tooManyAttempts(set: { status?: number | string; headers: Record<string, string | number> }, waitMs: number) {
  const seconds = Math.ceil(waitMs / 1000);
  set.status = 429;
  set.headers['retry-after'] = String(seconds);
  return { error: 'too many failed attempts' as const, retry_after: seconds };
}

/**
 * The path as Elysia 1.4's router reads it: from the first "/" at index 11 or later, which
 * assumes a host of 4 characters or more. With `Host: x`, `http://x/socket.io/?…` routes as
 * `/?…`, i.e. the dashboard; a guard that trusted the URL's own path would have let it through.
 */
export function routedPath(url: string): string {
  const start = url.indexOf('/', 11);
  if (start < 0) return '/';
  const query = url.indexOf('?', start + 1);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

function wantsPage(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * Most Engine.IO sessions one client address may hold at once while auth is off (with auth on,
 * the guard admits only handshakes with a credential). Each session keeps its handshake's headers
 * and buffers, and one whose client vanished lingers up to pingInterval + pingTimeout (45 s), so
 * without a cap one address could hold any number. 32 is many tabs behind one NAT.
 */
export const MAX_SESSIONS_PER_ADDRESS = 32;

/**
 * Socket.IO's side of the guard. Its handshake passed the guard like any request (a credential as
 * a cookie, `?token=` or a Bearer header: the CONNECT packet's `auth` comes too late, after the
 * session exists). Here each Engine.IO session learns its client's address, and with auth off an
 * address that holds MAX_SESSIONS_PER_ADDRESS sessions is refused another (403).
 */
export function protectSocketIo(live: LiveUpdates, auth: Auth): void {
  const sessions = new Map<string, number>();
  live.engine.on('connection', (socket, request, server) => {
    const address = auth.clientAddress(request, server);
    // Bun's engine has no remote address of its own; Socket.IO's handshake.address is this.
    (socket as unknown as { remoteAddress: string }).remoteAddress = address;
    if (auth.enabled) return;
    sessions.set(address, (sessions.get(address) ?? 0) + 1);
    socket.once('close', () => {
      const left = (sessions.get(address) ?? 1) - 1;
      if (left > 0) sessions.set(address, left);
      else sessions.delete(address);
    });
  });
  if (auth.enabled) return;
  // Called for every Engine.IO request; only a handshake (no sid yet) opens a session.
  live.engine.opts.allowRequest = async (request, server) => {
    if (new URL(request.url).searchParams.has('sid')) return;
    if ((sessions.get(auth.clientAddress(request, server)) ?? 0) >= MAX_SESSIONS_PER_ADDRESS) throw 'too many sessions from this address';
  };
}
