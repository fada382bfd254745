import { Elysia, t } from 'elysia';
import { Auth, SESSION_COOKIE } from '../auth.ts';
import { tooManyAttempts } from '../guard.ts';

const Unauthorized = t.Object({ error: t.Literal('unauthorized') });
const TooMany = t.Object({ error: t.Literal('too many failed attempts'), retry_after: t.Integer({ description: 'Seconds to wait (also in Retry-After)' }) });

/** The form posted by the login page, or JSON from a script. */
const Login = t.Object({ token: t.String({ minLength: 1, maxLength: 1024, description: 'One of server.auth.tokens', error: 'token: expected a string of 1 to 1024 characters' }) });

/**
 * The way in for browsers: a login page at `/login`, `POST /api/login` that sets an HttpOnly,
 * SameSite=Strict session cookie, and `POST /api/logout`. A form post is answered with a redirect
 * (relative, so a proxy's path prefix is kept); JSON with JSON.
 */
export function loginRoutes(auth: Auth) {
  return new Elysia({ name: 'login' })
    .get(
      '/login',
      ({ query, request, server, set }) => {
        // Nothing to log in to: straight to the dashboard.
        if (!auth.enabled) return redirect(set, './', 302);
        // A credential here (a cookie, ?token=, Bearer) is judged like on any other route.
        const verdict = auth.authenticate(request, new URL(request.url), server);
        const secure = auth.isHttps(request, server);
        if (verdict.outcome === 'ok') {
          // /login?token=… logs the browser in, as any page opened with ?token= does.
          if (verdict.via === 'query') set.headers['set-cookie'] = auth.sessionCookie(verdict.name, secure);
          return redirect(set, './', 302);
        }
        set.headers['content-type'] = 'text/html; charset=utf-8';
        set.headers['cache-control'] = 'no-store';
        set.headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        if (verdict.outcome !== 'anonymous' && request.headers.get('cookie')?.includes(`${SESSION_COOKIE}=`)) set.headers['set-cookie'] = Auth.clearCookie(secure);
        if (verdict.outcome === 'rate_limited') {
          const seconds = Math.ceil(verdict.retryAfterMs / 1000);
          set.status = 429;
          set.headers['retry-after'] = String(seconds);
          return loginPage(rateLimitedMessage(seconds));
        }
        if (verdict.outcome === 'refused') {
          set.status = 401;
          return loginPage(NOT_VALID);
        }
        return loginPage(query.error === 'rate_limited' ? rateLimitedMessage(query.retry_after ?? 60) : query.error ? NOT_VALID : '');
      },
      {
        query: t.Object({
          error: t.Optional(t.Union([t.Literal('unauthorized'), t.Literal('rate_limited')], { error: 'error: expected "unauthorized" or "rate_limited"' })),
          retry_after: t.Optional(t.Integer({ minimum: 0, maximum: 86_400, error: 'retry_after: expected a whole number from 0 to 86400' })),
          token: t.Optional(t.String({ description: 'A token: logs the browser in and goes to the dashboard' })),
        }),
        detail: { summary: 'The login page (a form that posts a token to api/login); 401 for a wrong credential, 429 once its address has failed too often', security: [] },
      },
    )
    .post(
      '/api/login',
      ({ body, request, server, set }) => {
        if (!auth.enabled) return { name: null, auth: false };
        const form = !(request.headers.get('content-type') ?? '').includes('json');
        const verdict = auth.judge(auth.checkToken(body.token), auth.clientAddress(request, server));
        switch (verdict.outcome) {
          case 'ok':
            set.headers['set-cookie'] = auth.sessionCookie(verdict.name, auth.isHttps(request, server));
            return form ? redirect(set, '../') : { name: verdict.name, auth: true };
          case 'rate_limited':
            return form ? redirect(set, `../login?error=rate_limited&retry_after=${Math.ceil(verdict.retryAfterMs / 1000)}`) : tooManyAttempts(set, verdict.retryAfterMs);
          default:
            if (form) return redirect(set, '../login?error=unauthorized');
            set.status = 401;
            return { error: 'unauthorized' as const };
        }
      },
      {
        body: Login,
        response: {
          200: t.Object({ name: t.Union([t.String(), t.Null()], { description: 'The token proved' }), auth: t.Boolean({ description: 'false: auth is off, nothing to log in to' }) }),
          303: t.String(),
          401: Unauthorized,
          429: TooMany,
        },
        detail: { summary: 'Log in with a token: sets a session cookie (HttpOnly, SameSite=Strict, 30 days; Secure over https). A form post is redirected to the dashboard', security: [] },
      },
    )
    .post(
      '/api/logout',
      ({ request, server, set }) => {
        if (auth.enabled) auth.revokeSession(request);
        set.headers['set-cookie'] = Auth.clearCookie(auth.isHttps(request, server));
        if (!(request.headers.get('content-type') ?? '').includes('json') && request.headers.get('accept')?.includes('text/html')) return redirect(set, '../login');
        return { logged_out: true };
      },
      {
        response: { 200: t.Object({ logged_out: t.Literal(true) }), 303: t.String() },
        detail: { summary: 'Log out: ends the session (its cookie never works again, restarts included) and removes the cookie', security: [] },
      },
    );
}

const NOT_VALID = 'That token is not valid.';

function rateLimitedMessage(seconds: number): string {
  return `Too many failed attempts: try again in ${seconds} s.`;
}

function redirect(set: { status?: number | string; headers: Record<string, string | number> }, location: string, status: 302 | 303 = 303) {
  set.status = status;
  set.headers.location = location;
  return '';
}

function loginPage(message: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
<meta name="referrer" content="no-referrer">
<title>CCTV · log in</title>
<style>
  body { font: 16px system-ui, sans-serif; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  form { display: grid; gap: .75rem; width: min(22rem, 90vw); }
  input, button { font: inherit; padding: .6rem .75rem; border-radius: .4rem; border: 1px solid #888; }
  button { cursor: pointer; }
  .error { color: #e5534b; margin: 0; }
</style>
</head>
<body>
<form method="post" action="api/login">
  <h1>CCTV</h1>
  <label for="token">Access token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required maxlength="1024" autofocus>
  ${message ? `<p class="error" role="alert">${message}</p>` : ''}
  <button type="submit">Log in</button>
</form>
</body>
</html>
`;
}
