import { Elysia } from 'elysia';
import { Auth } from './auth.ts';
import { corsFor } from './cors.ts';
import { jsonErrors } from './errors.ts';
import { authGuard, protectSocketIo } from './guard.ts';
import { openapiDocs } from './openapi.ts';
import { configRoutes } from './routes/config.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { cameraRoutes } from './routes/cameras.ts';
import { countingRoutes } from './routes/counting.ts';
import { detectionRoutes } from './routes/detections.ts';
import { loginRoutes } from './routes/login.ts';
import { statusRoutes } from './routes/status.ts';
import { streamRoutes } from './routes/stream.ts';
import { scrubResponses } from './scrub.ts';
import { LIVE_VIDEO_BACKPRESSURE_BYTES, LIVE_VIDEO_PATH, LiveVideo } from './live-video.ts';
import type { Metrics } from './metrics.ts';
import { metricsRoutes } from './routes/metrics.ts';
import type { ConfigReloader } from './reload.ts';
import { SOCKET_IO_PATH, type LiveUpdates } from './socketio.ts';
import type { ServerState } from './state.ts';

export function createApp(state: ServerState, live: LiveUpdates, video: LiveVideo, reloader: ConfigReloader, metrics: Metrics) {
  const { server } = state.config;
  const auth = Auth.fromConfig(state.config);
  protectSocketIo(live, auth);
  return new Elysia()
    // Order matters: short JSON errors everywhere, CORS preflights answered, then the auth guard.
    .use(jsonErrors())
    .use(corsFor(server.cors_origins))
    .use(authGuard(auth))
    .use(scrubResponses())
    .use(loginRoutes(auth))
    .use(configRoutes(state, reloader))
    .use(openapiDocs(server.openapi, auth.enabled))
    .use(statusRoutes(state))
    .use(streamRoutes(state))
    .use(detectionRoutes(state))
    .use(cameraRoutes(state))
    .use(countingRoutes(state, reloader))
    .use(metricsRoutes(metrics))
    .use(dashboardRoutes())
    .all(SOCKET_IO_PATH, ({ request, server }) => live.engine.handleRequest(request, server!), {
      // Socket.IO's own protocol, not a REST route: described in the document's description instead.
      detail: { hide: true },
    })
    .get(
      LIVE_VIDEO_PATH,
      ({ request, server, set }) => {
        if (video.upgrade(request, server!)) return;
        set.status = 426;
        set.headers.upgrade = 'websocket';
        return { error: 'expected a WebSocket upgrade' };
      },
      // A WebSocket protocol, not a REST route: described in the README and in live-video.ts.
      { detail: { hide: true } },
    );
}

export type App = ReturnType<typeof createApp>;

/** Listens on the configured address; Socket.IO's and the live video's WebSockets ride on the same Bun server. */
export function listen(app: App, live: LiveUpdates, video: LiveVideo, host: string, port: number) {
  // maxRequestBodySize: Socket.IO's own 1 MB limit for every body (Bun's default is 128 MB, and /api/login takes anyone's).
  const { websocket: engine, idleTimeout, maxRequestBodySize } = live.engine.handler();
  // One Bun server has one set of WebSocket handlers: each socket says at its upgrade whose it is.
  const websocket = {
    maxPayloadLength: engine.maxPayloadLength,
    backpressureLimit: LIVE_VIDEO_BACKPRESSURE_BYTES,
    open: (ws: Bun.ServerWebSocket<unknown>) => (LiveVideo.owns(ws) ? video.open(ws) : engine.open(ws as never)),
    message: (ws: Bun.ServerWebSocket<unknown>, message: string | Buffer) => (LiveVideo.owns(ws) ? video.message(ws, message) : engine.message(ws as never, message as never)),
    drain: (ws: Bun.ServerWebSocket<unknown>) => (LiveVideo.owns(ws) ? video.drain(ws) : undefined),
    close: (ws: Bun.ServerWebSocket<unknown>, code: number, reason: string) => (LiveVideo.owns(ws) ? video.close(ws) : engine.close(ws as never, code, reason)),
  };
  // reusePort off: a second server on a busy port must fail, not silently share its traffic.
  return app.listen({ hostname: host, port, websocket, idleTimeout, maxRequestBodySize, reusePort: false } as Parameters<App['listen']>[0]);
}
