import { LineSchema, ZoneSchema } from '@cctv/tracker';
import { Elysia, t, type Static } from 'elysia';
import type { ConfigReloader } from '../reload.ts';
import type { ServerState } from '../state.ts';
import { eventJson } from '../tracking.ts';
import { cameraOr404, CameraParams, UnknownCamera } from './cameras.ts';

const closed = { additionalProperties: false } as const;
const nullable = <T extends Parameters<typeof t.Union>[0][number]>(schema: T, description?: string) => t.Union([schema, t.Null()], description ? { description } : {});
const ByClass = t.Record(t.String(), t.Integer(), { description: 'Counts by class name, e.g. {"person": 3}' });
const InOut = t.Object({ in: ByClass, out: ByClass }, closed);

/** GET /api/counts and Socket.IO `counts_update`. */
export const CountsBody = t.Object(
  {
    day: t.String({ description: 'Today, local time (YYYY-MM-DD): "today" counts start at its midnight' }),
    daily_reset: t.Boolean({ description: 'inbound/outbound (and /api/stats) are today\'s counts; false: since counting began' }),
    inbound: nullable(t.Integer(), 'Every camera\'s lines, "in", summed; null when no camera has a line'),
    outbound: nullable(t.Integer(), 'Every camera\'s lines, "out", summed; null when no camera has a line'),
    cameras: t.Record(
      t.String(),
      t.Object(
        {
          lines: t.Record(t.String(), t.Object({ today: InOut, total: InOut }, closed)),
          zones: t.Record(t.String(), t.Object({ occupancy: ByClass, entered_today: ByClass, entered_total: ByClass }, closed)),
        },
        closed,
      ),
      { description: 'Cameras with lines or zones, by id' },
    ),
  },
  closed,
);
export type CountsBodyType = Static<typeof CountsBody>;

/** One tracked object's life (GET /api/events, Socket.IO `event`). */
export const EventBody = t.Object(
  {
    id: t.Integer(),
    camera: t.String(),
    track_id: t.Integer({ description: 'Its number on its camera ("person #12")' }),
    class_name: t.String(),
    started_at: t.String({ description: 'When it was first seen (ISO 8601)' }),
    ended_at: nullable(t.String(), 'When it was last seen; null while it is still tracked'),
    best_confidence: t.Number(),
    best_at: nullable(t.String(), 'When its best snapshot was taken (largest × most confident)'),
    lines: t.Array(t.Object({ line: t.String(), direction: t.Union([t.Literal('in'), t.Literal('out')]), at: t.String() }, closed)),
    zones: t.Array(t.Object({ zone: t.String(), entered_at: t.String(), left_at: nullable(t.String()) }, closed)),
    snapshot: nullable(t.String(), 'Its best snapshot, relative to the dashboard: api/events/<id>/snapshot.jpg'),
  },
  closed,
);

const Areas = t.Object({ lines: t.Array(LineSchema), zones: t.Array(ZoneSchema) }, { additionalProperties: false, description: 'A camera\'s counting lines and zones, in its pixels' });
const NotSaved = t.Object({ error: t.String(), problems: t.Optional(t.Array(t.String())) }, closed);
const NoEvent = t.Object({ error: t.Literal('unknown event'), id: t.Integer() }, closed);
const Iso = (description: string) => t.Optional(t.String({ format: 'date-time', description, error: `${description.split(' ')[0]}: expected an ISO 8601 time, e.g. 2026-12-05T10:00:00Z` }));

/** Counts, tracked objects' events and each camera's counting lines and zones. */
export function countingRoutes(state: ServerState, reloader: ConfigReloader) {
  return new Elysia({ name: 'counting' })
    .get('/api/counts', () => state.counts(), {
      response: CountsBody,
      detail: { summary: 'Counts per camera and line (in and out by class, today and since counting began), zone occupancy now and entries, and the site\'s inbound/outbound' },
    })
    .get(
      '/api/events',
      ({ query }) => ({
        events: state.store
          .list({
            camera: query.camera,
            className: query.class,
            after: query.after ? Date.parse(query.after) : undefined,
            before: query.before ? Date.parse(query.before) : undefined,
            limit: query.limit ?? 50,
          })
          .map(eventJson),
      }),
      {
        query: t.Object({
          camera: t.Optional(t.String({ maxLength: 64, description: 'Only this camera\'s' })),
          class: t.Optional(t.String({ maxLength: 64, description: 'Only objects of this class' })),
          after: Iso('after: events going on after this time'),
          before: Iso('before: events that started before this time'),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, description: 'At most this many, newest first (default 50)', error: 'limit: expected a whole number from 1 to 1000' })),
        }),
        response: t.Object({ events: t.Array(EventBody) }, closed),
        detail: { summary: 'Tracked objects\' events, newest first: class, start, end, best confidence, lines crossed, zones entered, best snapshot' },
      },
    )
    .get(
      '/api/events/:id/snapshot.jpg',
      ({ params, set }) => {
        const jpeg = state.store.snapshotOf(params.id);
        if (!jpeg) {
          set.status = 404;
          return { error: 'unknown event' as const, id: params.id };
        }
        return new Response(new Uint8Array(jpeg), { headers: { 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=60' } });
      },
      {
        params: t.Object({ id: t.Integer({ minimum: 1, error: 'id: expected an event id' }) }),
        response: { 404: NoEvent },
        detail: {
          summary: 'An event\'s best snapshot: the whole frame where its object was largest and most confident, boxes drawn',
          responses: { 200: { description: 'The JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } } },
        },
      },
    )
    .get(
      '/api/cameras/:id/areas',
      ({ params, set }) => {
        const camera = cameraOr404(state, params.id, set);
        return 'error' in camera ? camera : camera.tracking.areas;
      },
      { params: CameraParams, response: { 200: Areas, 404: UnknownCamera }, detail: { summary: 'A camera\'s counting lines and zones, in its pixels' } },
    )
    .put(
      '/api/cameras/:id/areas',
      async ({ params, body, set }) => {
        const camera = cameraOr404(state, params.id, set);
        if ('error' in camera) return camera;
        const saved = await reloader.saveAreas(camera.id, body);
        if ('error' in saved) {
          set.status = saved.status;
          return { error: saved.error, ...(saved.problems ? { problems: saved.problems } : {}) };
        }
        return state.camera(camera.id)?.tracking.areas ?? body;
      },
      {
        params: CameraParams,
        body: Areas,
        response: { 200: Areas, 404: UnknownCamera, 409: NotSaved, 422: NotSaved },
        detail: { summary: 'Saves a camera\'s counting lines and zones into the config file and counts on them at once (the video is not restarted)' },
      },
    );
}
