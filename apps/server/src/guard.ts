import { Elysia } from 'elysia';
import { Auth, SESSION_COOKIE } from './auth.ts';
import { SOCKET_IO_PATH, type LiveUpdates } from './socketio.ts';

/** Routes anyone may call: liveness for monitors, and the way in and out. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/api/health', '/login', '/api/login', '/api/logout']);

/**
 * Guards every route but PUBLIC_PATHS before routing, so a route added later is covered
 * without anyone remembering to: 401 `{"error":"unauthorized"}` without a valid token, 429 with
 * Retry-After once an address has failed too often, and a redirect to `login` for a browser
 * opening the dashboard. Socket.IO checks its own handshake (see `protectSocketIo`).
 */
export function authGuard(auth: Auth) {
  return new Elysia({ name: 'auth-guard' }).onRequest(({ request, set, server }) => {
    set.headers['x-content-type-options'] = 'nosniff';
    // A ?token= in a page's URL must not travel on to other sites in Referer.
    set.headers['referrer-policy'] = 'no-referrer';
    if (!auth.enabled) return;
    const url = new URL(request.url);
    const path = url.pathname;
    // Open only if the URL's path and the path Elysia's router will take from it both say so (see
    // routedPath). Socket.IO's one path checks its own handshake (a token may come in CONNECT).
    const open = (p: string) => PUBLIC_PATHS.has(p) || p === SOCKET_IO_PATH;
    if (open(path) && open(routedPath(request.url))) return;
    // (A CORS preflight, which carries no credentials, never gets here: the CORS plugin answers it first.)
    const address = auth.clientAddress(request, server);
    const credentials = auth.check(request, url);
    const wait = auth.limiter.blockedFor(address);
    if (credentials.presented && wait > 0) return tooManyAttempts(set, wait);
    if (credentials.name) {
      // A page opened with ?token= logs the browser in, so the page's own requests work too.
      if (credentials.via === 'query' && wantsPage(request)) set.headers['set-cookie'] = auth.sessionCookie(credentials.name, auth.isHttps(request));
      return;
    }
    if (credentials.presented) auth.limiter.fail(address);
    // A session from a token since removed: the browser drops it, and stops counting against its address.
    if (request.headers.get('cookie')?.includes(`${SESSION_COOKIE}=`)) set.headers['set-cookie'] = Auth.clearCookie(auth.isHttps(request));
    if (path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
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
 * Socket.IO's handshake takes a token as `auth: { token }`, as `?token=`, as a Bearer header or
 * in the session cookie. A request that carries a wrong one is refused before the Engine.IO
 * session opens; one that carries none may still send `auth.token` in its CONNECT packet, which
 * the middleware checks (and the client sees `connect_error` "unauthorized").
 */
export function protectSocketIo(live: LiveUpdates, auth: Auth): void {
  if (!auth.enabled) return;
  const addresses = new WeakMap<Request, string>();
  live.engine.opts.allowRequest = async (request, server) => {
    const address = auth.clientAddress(request, server);
    addresses.set(request, address);
    const credentials = auth.check(request);
    if (!credentials.presented) return;
    if (auth.limiter.blockedFor(address) > 0) throw 'too many failed attempts';
    if (credentials.name) return;
    auth.limiter.fail(address);
    throw 'unauthorized';
  };
  // Bun's engine has no remote address of its own; the handshake's `address` is what we found.
  live.engine.on('connection', (socket, request) => {
    (socket as unknown as { remoteAddress: string }).remoteAddress = addresses.get(request) ?? 'unknown';
  });
  live.io.use((socket, next) => {
    const { handshake } = socket;
    const address = handshake.address ?? 'unknown';
    const header = (name: string) => {
      const value = handshake.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const query = handshake.query.token;
    const credentials = auth.checkParts({
      token: (handshake.auth as { token?: unknown } | undefined)?.token,
      query: typeof query === 'string' ? query : undefined,
      authorization: header('authorization'),
      cookie: header('cookie'),
    });
    if (credentials.presented && auth.limiter.blockedFor(address) > 0) return next(new Error('too many failed attempts'));
    if (credentials.name) {
      socket.data.tokenName = credentials.name;
      return next();
    }
    if (credentials.presented) auth.limiter.fail(address);
    next(new Error('unauthorized'));
  });
}
