import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Type as t, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { OAuth2Client } from 'google-auth-library';

const ServiceAccountKeySchema = t.Object({
  type: t.Literal('service_account'),
  client_email: t.String({ minLength: 1 }),
  private_key: t.String({ minLength: 1 }),
  private_key_id: t.Optional(t.String()),
  token_uri: t.String({ minLength: 1 }),
});

/** The fields of a service-account JSON key file that the JWT flow needs. */
export type ServiceAccountKey = Static<typeof ServiceAccountKeySchema>;

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

/** Reads and checks a key file; errors name the file and the field, never the key itself. */
export function readServiceAccountKey(path: string): ServiceAccountKey {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as NodeJS.ErrnoException).code ?? 'not valid JSON';
    throw new Error(`service-account key ${path}: ${reason}`);
  }
  if (!Value.Check(ServiceAccountKeySchema, json)) {
    const fields = [...Value.Errors(ServiceAccountKeySchema, json)].map((e) => e.path.replace(/^\//, '') || '(top level)');
    throw new Error(`service-account key ${path}: expected a service-account JSON key (type "service_account" with client_email, private_key, token_uri); problem with: ${[...new Set(fields)].join(', ')}`);
  }
  return json;
}

/** The token endpoint said no, or could not be reached; `status` is its HTTP status (0: no answer). */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs?: number,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * The OAuth 2.0 JWT-bearer grant (RFC 7523) as Google documents it for service accounts: an RS256
 * assertion `{iss, scope, aud: token_uri, iat, exp}` POSTed to the key file's own `token_uri`.
 * google-auth-library's JWT client posts to a hard-coded https://oauth2.googleapis.com/token
 * (11.3.4: gtoken/getToken.js), so it cannot reach any other token_uri; we sign here and hand
 * the token to the library's OAuth2Client through its `refreshHandler`.
 */
export async function fetchServiceAccountToken(key: ServiceAccountKey, scopes: readonly string[], timeoutMs: number): Promise<{ access_token: string; expiry_date: number }> {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
  const claims = { iss: key.client_email, scope: scopes.join(' '), aud: key.token_uri, iat: now, exp: now + 3600 };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  let signature: Buffer;
  try {
    signature = sign('sha256', Buffer.from(unsigned), key.private_key);
  } catch (error) {
    throw new TokenError(`service-account private_key cannot sign (${(error as Error).message.split('\n')[0]})`, 400);
  }
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature.toString('base64url')}` });
  let response: Response;
  try {
    response = await fetch(key.token_uri, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  } catch (error) {
    throw new TokenError(`token endpoint ${key.token_uri} unreachable: ${(error as Error).message}`, 0, undefined, error);
  }
  const text = await response.text();
  let data: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    data = JSON.parse(text);
  } catch {}
  if (!response.ok || typeof data.access_token !== 'string') {
    const why = data.error ? `${data.error}${data.error_description ? `: ${data.error_description}` : ''}` : text.slice(0, 200) || response.statusText;
    throw new TokenError(`token endpoint ${key.token_uri} answered ${response.status}: ${why}`, response.ok ? 502 : response.status, retryAfterMs(response.headers.get('retry-after')));
  }
  const expiresIn = typeof data.expires_in === 'number' ? data.expires_in : 3600;
  return { access_token: data.access_token, expiry_date: Date.now() + expiresIn * 1000 };
}

/** An OAuth2Client (what @googleapis/sheets expects) that gets its tokens through the service-account flow above. */
export function serviceAccountClient(key: ServiceAccountKey, scopes: readonly string[], timeoutMs: number): OAuth2Client {
  const client = new OAuth2Client();
  client.refreshHandler = () => fetchServiceAccountToken(key, scopes, timeoutMs);
  return client;
}

/** `Retry-After` as milliseconds: seconds or an HTTP date. */
export function retryAfterMs(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
