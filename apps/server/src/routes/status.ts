import { Elysia, t } from 'elysia';
import type { ServerState } from '../state.ts';
import { StatsBody, StatusBody } from './status-body.ts';

/** Health, status and stats in the seed's shapes, for the first camera (the existing dashboard reads these). */
export function statusRoutes(state: ServerState) {
  return new Elysia({ name: 'status' })
    .get('/api/health', () => ({ status: 'healthy' as const, timestamp: new Date().toISOString() }), {
      response: t.Object({ status: t.Literal('healthy'), timestamp: t.String() }, { additionalProperties: false }),
      detail: { summary: 'Liveness: answers while the process is up, whatever the cameras do (needs no token)', security: [] },
    })
    .get('/api/status', () => state.status(), {
      response: StatusBody,
      detail: { summary: 'The first camera: state (Stopped, Connecting, Connected, Streaming, Reconnecting, Failed), fps, frame count, and the server around it' },
    })
    .get('/api/stats', () => state.stats(), {
      response: StatsBody,
      detail: { summary: 'Counters for the dashboard (the first camera)' },
    });
}
