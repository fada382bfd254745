import { Elysia, t } from 'elysia';
import { Auth } from '../auth.ts';
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
      ({ query, request, set }) => {
        // Nothing to log in to, or already in: straight to the dashboard.
        if (!auth.enabled || auth.check(request).name) {
          set.status = 302;
          set.headers.location = './';
          return '';
        }
        set.headers['content-type'] = 'text/html; charset=utf-8';
        set.headers['cache-control'] = 'no-store';
        set.headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        return loginPage(query.error === 'rate_limited' ? `Too many failed attempts: try again in ${query.retry_after ?? 60} s.` : query.error ? 'That token is not valid.' : '');
      },
      {
        query: t.Object({
          error: t.Optional(t.Union([t.Literal('unauthorized'), t.Literal('rate_limited')], { error: 'error: expected "unauthorized" or "rate_limited"' })),
          retry_after: t.Optional(t.Integer({ minimum: 0, maximum: 86_400, error: 'retry_after: expected a whole number from 0 to 86400' })),
        }),
        detail: { summary: 'The login page (a form that posts a token to api/login)', security: [] },
      },
    )
    .post(
      '/api/login',
      ({ body, request, server, set }) => {
        if (!auth.enabled) return { name: null, auth: false };
        const form = !(request.headers.get('content-type') ?? '').includes('json');
        const address = auth.clientAddress(request, server);
        const rateLimited = (waitMs: number) =>
          form ? redirect(set, `../login?error=rate_limited&retry_after=${Math.ceil(waitMs / 1000)}`) : tooManyAttempts(set, waitMs);
        const wait = auth.limiter.blockedFor(address);
        if (wait > 0) return rateLimited(wait);
        const name = auth.matchToken(body.token);
        if (!name) {
          auth.limiter.fail(address);
          if (form) return redirect(set, '../login?error=unauthorized');
          set.status = 401;
          return { error: 'unauthorized' as const };
        }
        set.headers['set-cookie'] = auth.sessionCookie(name, auth.isHttps(request));
        if (form) return redirect(set, '../');
        return { name, auth: true };
      },
      {
        body: Login,
        response: {
          200: t.Object({ name: t.Union([t.String(), t.Null()], { description: 'The token proved' }), auth: t.Boolean({ description: 'false: auth is off, nothing to log in to' }) }),
          303: t.String(),
          401: Unauthorized,
          429: TooMany,
        },
        detail: { summary: 'Log in with a token: sets the session cookie (HttpOnly, SameSite=Strict; Secure over https). A form post is redirected to the dashboard', security: [] },
      },
    )
    .post(
      '/api/logout',
      ({ request, set }) => {
        set.headers['set-cookie'] = Auth.clearCookie(auth.isHttps(request));
        if (!(request.headers.get('content-type') ?? '').includes('json') && request.headers.get('accept')?.includes('text/html')) return redirect(set, '../login');
        return { logged_out: true };
      },
      {
        response: { 200: t.Object({ logged_out: t.Literal(true) }), 303: t.String() },
        detail: { summary: 'Log out: removes the session cookie', security: [] },
      },
    );
}

function redirect(set: { status?: number | string; headers: Record<string, string | number> }, location: string) {
  set.status = 303;
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
