import { Elysia, t } from 'elysia';
import type { ServerState } from '../state.ts';
import { StatusBody } from './status-body.ts';

/** Health, status and stats in the seed's shapes (the existing dashboard reads these). */
export function statusRoutes(state: ServerState) {
  return new Elysia({ name: 'status' })
    .get('/api/health', () => ({ status: 'healthy' as const, timestamp: new Date().toISOString() }), {
      response: t.Object({ status: t.Literal('healthy'), timestamp: t.String() }),
      detail: { summary: 'Liveness: answers while the process is up, whatever the camera does (needs no token)', security: [] },
    })
    .get('/api/status', () => state.status(), {
      response: StatusBody,
      detail: { summary: 'Camera state (Stopped, Connecting, Connected, Streaming, Reconnecting, Failed), fps, frame count' },
    })
    .get('/api/stats', () => state.stats(), {
      response: t.Object({ detection_count: t.Number(), fps: t.Number(), inbound: t.Number(), outbound: t.Number() }),
      detail: { summary: 'Counters for the dashboard' },
    });
}
