import { openapi } from '@elysiajs/openapi';
import { Elysia } from 'elysia';
import { SESSION_COOKIE } from './auth.ts';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/**
 * The HTTP API described from the routes' own schemas: the document at /api/openapi.json, a
 * reference page (Scalar, loaded from its CDN by the browser) at /api/docs. Off with
 * `server.openapi: false`; behind the same auth as every other route.
 */
export function openapiDocs(enabled: boolean, authEnabled: boolean) {
  if (!enabled) return new Elysia({ name: 'openapi-off' });
  return openapi({
    path: DOCS_PATH,
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
    // Relative to the page, so the page finds the document under a proxy's path prefix too.
    scalar: { url: 'openapi.json' },
  });
}
