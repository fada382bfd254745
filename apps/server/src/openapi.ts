import { openapi } from '@elysiajs/openapi';
import { Elysia } from 'elysia';
import { SESSION_COOKIE } from './auth.ts';
import { DASHBOARD_FILES } from './routes/dashboard-files.ts';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';
/** Scalar's standalone browser bundle, from our own @scalar/api-reference dependency. */
export const API_REFERENCE_SCRIPT_PATH = '/vendor/scalar-api-reference.js';

/**
 * What the reference page may load: our own origin only. Scalar injects its styles inline; its
 * "test request" client calls this API (connect-src). No CDN, no fonts, no telemetry elsewhere.
 */
const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Scalar's settings: the document beside the page (relative, so a proxy's path prefix is kept), and nothing fetched from Scalar's servers. */
const SCALAR_CONFIGURATION = {
  url: 'openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
};

/**
 * The HTTP API described from the routes' own schemas: the document at /api/openapi.json, a
 * reference page (Scalar, served from our own copy of its bundle) at /api/docs. Off with
 * `server.openapi: false`; behind the same auth as every other route.
 */
export function openapiDocs(enabled: boolean, authEnabled: boolean) {
  if (!enabled) return new Elysia({ name: 'openapi-off' });
  return new Elysia({ name: 'openapi-docs' })
    .use(
      openapi({
        // The plugin's own page loads Scalar from a CDN; ours (below) from this server.
        provider: null,
        specPath: OPENAPI_PATH,
        // Keep /api/stream/snapshot.jpg: the plugin leaves out paths with a dot unless told not to.
        exclude: { staticFile: false },
        documentation: {
          info: {
            title: 'CCTV stream server',
            version: '0.1.0',
            description:
              'One Bun process from camera to browser: live MJPEG, status and detections over REST, the same pushed over Socket.IO at /socket.io/ (status_update, stats_update, detections_update; request_stats).',
          },
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <token>' },
              query: { type: 'apiKey', in: 'query', name: 'token', description: '?token=<token> (for <img src> and links)' },
              cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Set by POST /api/login' },
            },
          },
          security: authEnabled ? [{ bearer: [] }, { query: [] }, { cookie: [] }] : [],
        },
      }),
    )
    .get(DOCS_PATH, () => new Response(DOCS_PAGE, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': DOCS_CSP } }), {
      detail: { hide: true },
    })
    .get(API_REFERENCE_SCRIPT_PATH, ({ request }) => apiReferenceScript(request), { detail: { hide: true } });
}

// A JSON island (type application/json: data, never run), read by Scalar's bundle at start.
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>CCTV stream server · API</title>
</head>
<body>
<script id="api-reference" type="application/json" data-configuration='${JSON.stringify(SCALAR_CONFIGURATION)}'></script>
<script src="..${API_REFERENCE_SCRIPT_PATH}"></script>
</body>
</html>
`;

let scriptTag: Promise<string> | undefined;

/**
 * The bundle (~5 MB) with an ETag of its content, so a browser that has it gets a 304 instead of
 * the whole file again (Bun sends no validator for a file of its own).
 */
async function apiReferenceScript(request: Request): Promise<Response> {
  const file = Bun.file(DASHBOARD_FILES.apiReference);
  scriptTag ??= file.arrayBuffer().then((bytes) => `"${Bun.hash(bytes).toString(36)}"`);
  const etag = await scriptTag;
  const headers = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', etag };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(file, { headers });
}
