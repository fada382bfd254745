import { Elysia } from 'elysia';
import { METRICS_PATH, type Metrics } from '../metrics.ts';

/** GET /metrics: Prometheus' scrape, behind the same auth as the API (Prometheus sends `Authorization: Bearer <token>`). */
export function metricsRoutes(metrics: Metrics) {
  return new Elysia({ name: 'metrics' }).get(
    METRICS_PATH,
    async () => new Response(await metrics.scrape(), { headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } }),
    {
      detail: {
        summary: 'Prometheus metrics in the text exposition format: every camera (label `camera`), the integrations\' outboxes, the process',
        responses: {
          200: {
            description: 'cctv_* families (see the README\'s Prometheus section), process_* and nodejs_*',
            content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
          },
        },
      },
    },
  );
}
