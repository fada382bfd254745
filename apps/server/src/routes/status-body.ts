import { t } from 'elysia';

// Objects are open (additionalProperties): a field added to the status later is passed on, not
// stripped by response validation, before its schema here catches up.
const open = { additionalProperties: true } as const;
const nullable = <T extends Parameters<typeof t.Union>[0][number]>(schema: T, description?: string) => t.Union([schema, t.Null()], description ? { description } : {});
const State = t.Union([t.Literal('Stopped'), t.Literal('Connecting'), t.Literal('Connected'), t.Literal('Streaming'), t.Literal('Reconnecting'), t.Literal('Failed')]);

const IntegrationStatus = t.Object(
  {
    state: t.String({ description: 'connected, disconnected, error or disabled' }),
    last_success: nullable(t.String(), 'ISO time of the last successful call'),
    last_error: nullable(t.String(), 'The last failure, secrets removed'),
    queued: t.Number({ description: 'Messages waiting in the outbox' }),
    dropped: t.Number(),
    rejected: t.Number(),
  },
  open,
);

/** GET /api/status (and Socket.IO `status_update`): the seed's four fields first, then ours. */
export const StatusBody = t.Object(
  {
    status: State,
    fps: t.Number({ description: 'Frames per second served now (sliding 2 s window)' }),
    frame_count: t.Number(),
    last_update: nullable(t.String(), 'When the newest frame was captured (ISO 8601)'),
    camera: t.Object(
      {
        state: State,
        reason: nullable(t.String(), 'Why it is not streaming: the decoder’s own words, redacted'),
        decoder: nullable(t.Union([t.Literal('ffmpeg'), t.Literal('gstreamer'), t.Literal('in-process')]), 'What reads the camera: an ffmpeg or a gst-launch-1.0 child (rtsp://), or in-process (demo:)'),
        source: t.String({ description: 'camera_url with its password shown as ***' }),
        since: t.String({ description: 'When the current state began (ISO 8601)' }),
        reconnects: t.Number(),
        next_attempt_at: nullable(t.String(), 'When the next connection attempt is due, while Reconnecting'),
        width: nullable(t.Number()),
        height: nullable(t.Number()),
      },
      open,
    ),
    stream: t.Object({ clients: t.Number({ description: 'MJPEG viewers now' }), frames_dropped: t.Number(), buffer_size: t.Number() }, open),
    encoder: t.Object({ name: nullable(t.String(), 'What encodes the JPEGs (libjpeg-turbo or sharp), once chosen'), frames_encoded: t.Number(), frames_skipped: t.Number(), encode_ms: t.Number() }, open),
    detection: t.Optional(
      t.Object(
        {
          enabled: t.Boolean(),
          state: t.String({ description: 'off, loading, running or failed' }),
          reason: nullable(t.String()),
          model: nullable(t.String()),
          fps: t.Number(),
        },
        open,
      ),
    ),
    integrations: t.Optional(nullable(t.Object({ sheets: IntegrationStatus, telegram: IntegrationStatus }, open))),
    security: t.Object(
      {
        auth: t.Boolean({ description: 'Token auth is on (server.auth.tokens is set)' }),
        exposed: t.Boolean({ description: 'server.host is not a loopback address: other machines can connect' }),
        trust_proxy: t.Boolean(),
        cors_origins: t.Array(t.String()),
        warning: nullable(t.String(), 'Set when the server is exposed without auth'),
      },
      { ...open, description: 'Who can reach this server' },
    ),
  },
  open,
);
