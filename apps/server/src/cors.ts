import { cors } from '@elysiajs/cors';
import { Elysia } from 'elysia';

/**
 * CORS from `server.cors_origins`: no list, no cross-origin grant at all (the browser keeps other
 * sites' pages out); listed origins are matched exactly and may send credentials; `"*"` grants
 * every origin but never with credentials (browsers refuse that pair, and it would be unsafe).
 */
export function corsFor(origins: readonly string[]) {
  if (origins.length === 0) return new Elysia({ name: 'cors-none' });
  const any = origins.includes('*');
  return cors({
    origin: any ? '*' : [...origins],
    credentials: !any,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposeHeaders: ['Retry-After', 'X-Frame-Seq', 'X-Timestamp', 'X-Encoded-At'],
    maxAge: 600,
  });
}
