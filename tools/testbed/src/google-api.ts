import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Local stand-ins for Google, for tests: the OAuth 2.0 token endpoint (service-account JWT bearer
 * grant, RS256 signature checked against the key pair made here), the Sheets API v4 `values.get`
 * and `values.append` endpoints (Bearer token checked, Google's error envelope), and an Apps
 * Script-style web app (GET answers counts, POST takes rows; both answered through a 302 to an
 * echo URL, as script.google.com does).
 */

export interface GoogleRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface GoogleFailure {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Where a test can make a service fail: the token endpoint, the Sheets API, or the web app. */
export type GoogleService = 'token' | 'sheets' | 'webapp';

export interface FakeGoogle {
  port: number;
  /** The Sheets API root, for `sheets_config.api_root`. */
  apiRoot: string;
  tokenUri: string;
  webappUrl: string;
  spreadsheetId: string;
  /** Service-account email the token endpoint knows. */
  clientEmail: string;
  /** A service-account JSON key file for this server; `wrongKey`: signed with a key it does not know. */
  writeKeyFile(dir: string, options?: { wrongKey?: boolean; clientEmail?: string }): string;
  /** Fixed values answered for a range (`Counts!A2:B2`). */
  ranges: Map<string, unknown[][]>;
  /** Rows appended through the API, per range, in order. */
  appended: Map<string, unknown[][]>;
  /** The web app's answer to GET (the counts, or any text to test a bad answer). */
  webappCounts: unknown;
  /** Rows and crossing rows the web app holds (deduplicated by id, as the README's Apps Script does) and every POST body it got. */
  webappRows: Array<Record<string, unknown>>;
  webappCrossings: Array<Record<string, unknown>>;
  webappPosts: Array<{ rows?: Array<Record<string, unknown>>; crossings?: Array<Record<string, unknown>>; counts?: { inbound: number; outbound: number } }>;
  requests: GoogleRequest[];
  tokensIssued: number;
  failNext(service: GoogleService, count: number, failure: GoogleFailure): void;
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  down(): Promise<void>;
  up(): void;
  stop(): Promise<void>;
}

export function startGoogleApis(options: { port?: number } = {}): FakeGoogle {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = 'cctv-test@cctv-test-project.iam.gserviceaccount.com';
  const spreadsheetId = '1TestSpreadsheetIdAbCdEf';
  const tokens = new Map<string, number>();
  const failures = new Map<GoogleService, GoogleFailure[]>();
  let server: ReturnType<typeof Bun.serve> | undefined;

  const googleError = (code: number, status: string, message: string) => Response.json({ error: { code, message, status } }, { status: code });

  const state = {
    ranges: new Map<string, unknown[][]>(),
    appended: new Map<string, unknown[][]>(),
    webappCounts: { inbound: 0, outbound: 0 } as unknown,
    webappRows: [] as Array<Record<string, unknown>>,
    webappCrossings: [] as Array<Record<string, unknown>>,
    webappPosts: [] as FakeGoogle['webappPosts'],
    requests: [] as GoogleRequest[],
    tokensIssued: 0,
  };

  function failure(service: GoogleService): Response | undefined {
    const next = failures.get(service)?.shift();
    if (!next) return undefined;
    return new Response(typeof next.body === 'string' ? next.body : JSON.stringify(next.body), {
      status: next.status,
      headers: { 'content-type': typeof next.body === 'string' ? 'text/html' : 'application/json', ...next.headers },
    });
  }

  function checkAssertion(assertion: string): { ok: true } | { ok: false; status: number; error: string; description: string } {
    const parts = assertion.split('.');
    if (parts.length !== 3) return { ok: false, status: 400, error: 'invalid_grant', description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.' };
    const [header, claims] = parts.slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
    if (header.alg !== 'RS256') return { ok: false, status: 400, error: 'invalid_grant', description: 'Invalid JWT Signature.' };
    if (claims.iss !== clientEmail) return { ok: false, status: 401, error: 'invalid_client', description: 'The OAuth client was not found.' };
    const signed = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), keys.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signed) return { ok: false, status: 400, error: 'invalid_grant', description: 'Invalid JWT Signature.' };
    const now = Date.now() / 1000;
    if (claims.aud !== tokenUri() || !(claims.exp > now) || claims.iat > now + 60 || claims.exp - claims.iat > 3600) {
      return { ok: false, status: 400, error: 'invalid_grant', description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.' };
    }
    if (!String(claims.scope ?? '').split(' ').includes('https://www.googleapis.com/auth/spreadsheets')) return { ok: false, status: 400, error: 'invalid_scope', description: 'Invalid OAuth scope or ID token audience provided.' };
    return { ok: true };
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = request.method === 'GET' ? '' : await request.text();
    state.requests.push({ method: request.method, path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams), headers: Object.fromEntries(request.headers), body, at: Date.now() });

    if (url.pathname === '/token') {
      const refused = failure('token');
      if (refused) return refused;
      const form = new URLSearchParams(body);
      if (request.method !== 'POST' || form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        return Response.json({ error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' + form.get('grant_type') }, { status: 400 });
      }
      let checked: ReturnType<typeof checkAssertion>;
      try {
        checked = checkAssertion(form.get('assertion') ?? '');
      } catch {
        checked = { ok: false, status: 400, error: 'invalid_grant', description: 'Invalid JWT.' };
      }
      if (!checked.ok) return Response.json({ error: checked.error, error_description: checked.description }, { status: checked.status });
      const accessToken = `ya29.test-${randomBytes(16).toString('hex')}`;
      tokens.set(accessToken, Date.now() + 3599_000);
      state.tokensIssued++;
      return Response.json({ access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
    }

    // Apps Script: /macros/s/<id>/exec answers through a redirect to a one-time echo URL.
    if (url.pathname === '/macros/s/test-deployment/exec') {
      const refused = failure('webapp');
      if (refused) return refused;
      let answer: unknown;
      if (request.method === 'POST') {
        // The README's script: rows and crossings appended (an id it has is dropped), counts written into their cells.
        const post = JSON.parse(body) as FakeGoogle['webappPosts'][number];
        state.webappPosts.push(post);
        for (const row of post.rows ?? []) if (!state.webappRows.some((r) => r.id === row.id)) state.webappRows.push(row);
        for (const row of post.crossings ?? []) if (!state.webappCrossings.some((r) => r.id === row.id)) state.webappCrossings.push(row);
        if (post.counts) state.webappCounts = post.counts;
        answer = { ok: true };
      } else answer = state.webappCounts;
      const key = randomBytes(8).toString('hex');
      echoes.set(key, typeof answer === 'string' ? answer : JSON.stringify(answer));
      return new Response(null, { status: 302, headers: { location: `/macros/echo?user_content_key=${key}` } });
    }
    if (url.pathname === '/macros/echo') {
      const text = echoes.get(url.searchParams.get('user_content_key') ?? '');
      if (text === undefined || request.method !== 'GET') return new Response('Sorry, unable to open the file at this time.', { status: 404, headers: { 'content-type': 'text/html' } });
      const isJson = /^[[{]/.test(text);
      return new Response(text, { headers: { 'content-type': isJson ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8' } });
    }

    const api = /^\/v4\/spreadsheets\/([^/]+)\/values\/(.+?)(:append)?$/.exec(decodeURIComponent(url.pathname));
    if (api) {
      const [, id, range, append] = api as unknown as [string, string, string, string | undefined];
      const bearer = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
      if (!bearer || !((tokens.get(bearer) ?? 0) > Date.now())) {
        return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      }
      const refused = failure('sheets');
      if (refused) return refused;
      if (id !== spreadsheetId) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
      if (append) {
        if (request.method !== 'POST') return googleError(404, 'NOT_FOUND', 'Not found');
        const option = url.searchParams.get('valueInputOption');
        if (option !== 'RAW' && option !== 'USER_ENTERED') return googleError(400, 'INVALID_ARGUMENT', `Invalid valueInputOption: ${option ?? '(none)'}`);
        const { values } = JSON.parse(body) as { values: unknown[][] };
        const rows = state.appended.get(range) ?? [];
        const first = rows.length + 1;
        rows.push(...values);
        state.appended.set(range, rows);
        const sheet = range.includes('!') ? range.split('!')[0] : 'Sheet1';
        return Response.json({
          spreadsheetId,
          tableRange: `${sheet}!A1:G${first - 1}`,
          updates: { spreadsheetId, updatedRange: `${sheet}!A${first}:G${rows.length}`, updatedRows: values.length, updatedColumns: values[0]?.length ?? 0, updatedCells: values.length * (values[0]?.length ?? 0) },
        });
      }
      if (request.method === 'PUT') {
        // values.update: the cells of the range take the values given.
        const option = url.searchParams.get('valueInputOption');
        if (option !== 'RAW' && option !== 'USER_ENTERED') return googleError(400, 'INVALID_ARGUMENT', `Invalid valueInputOption: ${option ?? '(none)'}`);
        const { values } = JSON.parse(body) as { values: unknown[][] };
        state.ranges.set(range, values);
        return Response.json({ spreadsheetId, updatedRange: range, updatedRows: values.length, updatedColumns: values[0]?.length ?? 0, updatedCells: values.length * (values[0]?.length ?? 0) });
      }
      if (request.method !== 'GET') return googleError(404, 'NOT_FOUND', 'Not found');
      const values = state.ranges.get(range) ?? state.appended.get(range);
      if (values === undefined) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`);
      return Response.json({ range, majorDimension: 'ROWS', ...(values.length ? { values } : {}) });
    }
    return new Response('Not Found', { status: 404 });
  }

  const echoes = new Map<string, string>();
  const listen = (port: number) => Bun.serve({ port, hostname: '127.0.0.1', fetch: (request) => handle(request) });
  server = listen(options.port ?? 0);
  const port = server.port!;
  const root = `http://127.0.0.1:${port}`;
  const tokenUri = () => `${root}/token`;

  const fake: FakeGoogle = Object.assign(state, {
    port,
    apiRoot: `${root}/`,
    tokenUri: tokenUri(),
    webappUrl: `${root}/macros/s/test-deployment/exec`,
    spreadsheetId,
    clientEmail,
    writeKeyFile(dir: string, keyOptions: { wrongKey?: boolean; clientEmail?: string } = {}) {
      const privateKey: KeyObject = keyOptions.wrongKey ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : keys.privateKey;
      const key = {
        type: 'service_account',
        project_id: 'cctv-test-project',
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: keyOptions.clientEmail ?? clientEmail,
        client_id: '100000000000000000001',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: tokenUri(),
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        universe_domain: 'googleapis.com',
      };
      const path = join(dir, `service-account-${randomBytes(4).toString('hex')}.json`);
      writeFileSync(path, JSON.stringify(key, null, 2));
      return path;
    },
    failNext(service: GoogleService, count: number, f: GoogleFailure) {
      failures.set(service, [...(failures.get(service) ?? []), ...Array.from({ length: count }, () => f)]);
    },
    async waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`fake Google: ${what} not met within ${timeoutMs} ms; requests: ${state.requests.map((r) => `${r.method} ${r.path}`).slice(-20).join(', ')}`);
        await Bun.sleep(20);
      }
    },
    async down() {
      await server?.stop(true);
      server = undefined;
    },
    up() {
      server ??= listen(port);
    },
    async stop() {
      await server?.stop(true);
      server = undefined;
    },
  });
  return fake;
}
