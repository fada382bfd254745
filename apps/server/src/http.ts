import { cors } from '@elysiajs/cors';
import { Elysia } from 'elysia';
import { statusRoutes } from './routes/status.ts';
import { streamRoutes } from './routes/stream.ts';
import { SOCKET_IO_PATH, type LiveUpdates } from './socketio.ts';
import type { ServerState } from './state.ts';

export function createApp(state: ServerState, live: LiveUpdates) {
  return new Elysia()
    .use(cors())
    .use(statusRoutes(state))
    .use(streamRoutes(state))
    .all(SOCKET_IO_PATH, ({ request, server }) => live.engine.handleRequest(request, server!));
}

export type App = ReturnType<typeof createApp>;

/** Listens on the configured address; Socket.IO's WebSocket handlers ride on the same Bun server. */
export function listen(app: App, live: LiveUpdates, host: string, port: number) {
  const { websocket, idleTimeout } = live.engine.handler();
  // reusePort off: a second server on a busy port must fail, not silently share its traffic.
  return app.listen({ hostname: host, port, websocket, idleTimeout, reusePort: false } as Parameters<App['listen']>[0]);
}
