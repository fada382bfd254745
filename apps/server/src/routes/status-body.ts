import { t, type Static } from 'elysia';

/**
 * The JSON bodies of the status routes and their Socket.IO twins. These schemas are the source
 * of the types the server builds them with, and every object is closed: the OpenAPI document
 * says exactly what is sent (tests/openapi.test.ts checks real answers against them).
 */
const closed = { additionalProperties: false } as const;
const nullable = <T extends Parameters<typeof t.Union>[0][number]>(schema: T, description?: string) => t.Union([schema, t.Null()], description ? { description } : {});
const CameraState = t.Union([t.Literal('Stopped'), t.Literal('Connecting'), t.Literal('Connected'), t.Literal('Streaming'), t.Literal('Reconnecting'), t.Literal('Failed')]);
const DetectionState = t.Union([t.Literal('off'), t.Literal('loading'), t.Literal('running'), t.Literal('failed')]);
const IntegrationState = t.Union([t.Literal('connected'), t.Literal('disconnected'), t.Literal('error'), t.Literal('disabled')]);

const integrationFields = {
  state: IntegrationState,
  last_success: nullable(t.String(), 'ISO time of the last successful call'),
  last_error: nullable(t.String(), 'The last failure, secrets removed'),
  queued: t.Integer({ description: 'Messages waiting in the outbox' }),
  dropped: t.Integer({ description: 'Messages dropped because the outbox was full, oldest first' }),
  rejected: t.Integer({ description: 'Messages the service refused for good' }),
};

export const IntegrationsBody = t.Object(
  {
    sheets: t.Object(
      {
        ...integrationFields,
        // One flat union with null: a nullable union of literals would reach the OpenAPI document as an enum without null.
        mode: t.Union([t.Literal('api'), t.Literal('webapp'), t.Null()], { description: 'Sheets API (service account) or Apps Script web app' }),
        counts_at: nullable(t.String(), 'When inbound/outbound were last read'),
      },
      closed,
    ),
    telegram: t.Object(integrationFields, closed),
    mqtt: t.Object(integrationFields, { ...closed, description: 'The MQTT broker link; queued: tracking events waiting for it' }),
  },
  closed,
);

export const DetectionStatusBody = t.Object(
  {
    enabled: t.Boolean(),
    state: DetectionState,
    reason: nullable(t.String(), 'Why detection failed; while running, why a fallback model runs instead'),
    model: t.String({ description: 'The model file' }),
    backend: nullable(t.String(), 'What runs it, e.g. "onnxruntime-node 1.30.0 (cpu, 2 threads)"'),
    layout: nullable(t.String(), 'The output layout read from the model: yolov5, yolov8, end2end or yolox'),
    input_size: nullable(t.Object({ width: t.Integer(), height: t.Integer() }, closed)),
    classes: t.Integer({ description: 'Classes the model knows' }),
    fps: t.Number({ description: 'Detections on this camera per second now' }),
    detect_ms: t.Number({ description: 'Mean pre-process + inference + post-process time (ms)' }),
    infer_ms: t.Number({ description: 'Mean inference time (ms)' }),
    frames_detected: t.Integer(),
  },
  closed,
);

const SecurityBody = t.Object(
  {
    auth: t.Boolean({ description: 'Token auth is on (server.auth.tokens is set)' }),
    exposed: t.Boolean({ description: 'server.host is not a loopback address: other machines can connect' }),
    trust_proxy: t.Boolean(),
    cors_origins: t.Array(t.String()),
    warning: nullable(t.String(), 'Set when the server is exposed without auth'),
  },
  { ...closed, description: 'Who can reach this server' },
);

/** GET /api/status, /api/cameras/:id/status and Socket.IO `status_update`: the seed's four fields first, then ours. */
export const StatusBody = t.Object(
  {
    status: CameraState,
    fps: t.Number({ description: 'Frames per second from the camera now (sliding 2 s window), after thinning to target_fps' }),
    frame_count: t.Integer({ description: 'Frames taken from the camera since start' }),
    last_update: nullable(t.String(), 'When the newest frame was captured (ISO 8601)'),
    camera: t.Object(
      {
        id: t.String({ description: 'The camera id (the key in `cameras`; "default" for a single camera_url)' }),
        name: t.String(),
        state: CameraState,
        reason: nullable(t.String(), 'Why it is not streaming: the decoder’s own words, redacted'),
        decoder: t.Union([t.Literal('ffmpeg'), t.Literal('gstreamer'), t.Literal('in-process'), t.Null()], { description: 'What decodes the camera: an ffmpeg or a gst-launch-1.0 child, or in-process (demo:)' }),
        source: t.String({ description: 'camera_url with its password shown as ***' }),
        since: t.String({ description: 'When the current state began (ISO 8601)' }),
        reconnects: t.Integer(),
        next_attempt_at: nullable(t.String(), 'When the next connection attempt is due, while Reconnecting'),
        width: nullable(t.Integer()),
        height: nullable(t.Integer()),
      },
      closed,
    ),
    stream: t.Object(
      {
        clients: t.Integer({ description: 'Viewers now (MJPEG and WebSocket)' }),
        frames_dropped: t.Integer({ description: 'Frames viewers skipped because they were behind' }),
        buffer_size: t.Integer(),
      },
      closed,
    ),
    encoder: t.Object(
      {
        name: nullable(t.String(), 'What encodes the JPEGs (libjpeg-turbo or sharp), once chosen'),
        frames_encoded: t.Integer({ description: 'JPEGs encoded: one per frame while anyone watches, none while nobody does' }),
        frames_skipped: t.Integer({ description: 'Frames replaced by a newer one while the encoder was busy' }),
        encode_ms: t.Number(),
      },
      closed,
    ),
    detection: DetectionStatusBody,
    integrations: nullable(IntegrationsBody),
    security: SecurityBody,
  },
  closed,
);

/** GET /api/cameras. */
export const CameraListBody = t.Array(
  t.Object(
    {
      id: t.String(),
      name: t.String(),
      status: CameraState,
      fps: t.Number(),
      width: nullable(t.Integer()),
      height: nullable(t.Integer()),
      viewers: t.Integer(),
      detection: t.Object({ state: DetectionState, fps: t.Number() }, closed),
    },
    closed,
  ),
);

/** GET /api/stats and Socket.IO `stats_update`: the seed's shape. */
export const StatsBody = t.Object(
  {
    detection_count: t.Integer({ description: 'Objects the newest detector result found' }),
    fps: t.Number(),
    inbound: t.Number({ description: 'From Google Sheets (0 when it is off)' }),
    outbound: t.Number({ description: 'From Google Sheets (0 when it is off)' }),
  },
  closed,
);

const Box = t.Object({ x1: t.Number(), y1: t.Number(), x2: t.Number(), y2: t.Number() }, { ...closed, description: 'In camera pixels' });

/** GET /api/detections, /api/cameras/:id/detections and Socket.IO `detections_update`. */
export const DetectionsBody = t.Object(
  {
    camera: t.String({ description: 'The camera id' }),
    seq: nullable(t.Integer(), 'The first served frame (X-Frame-Seq) drawn with these detections; null while no frame with them was served'),
    timestamp: nullable(t.String(), 'Capture time of the analysed frame (ISO 8601)'),
    media_time: nullable(
      t.Number(),
      "The analysed frame's media time (ms, the camera's clock): the access unit on /api/ws with this media time is the picture these boxes were found in; null for cameras whose own video is not passed through",
    ),
    width: nullable(t.Integer()),
    height: nullable(t.Integer()),
    detections: t.Array(
      t.Object(
        {
          class_id: t.Integer(),
          class_name: t.String(),
          track_id: nullable(t.Integer(), 'The tracked object this box belongs to ("person #12"); null until the tracker has confirmed it'),
          confidence: t.Number(),
          box: Box,
        },
        closed,
      ),
    ),
  },
  closed,
);

export type StatusBodyType = Static<typeof StatusBody>;
export type CameraListBodyType = Static<typeof CameraListBody>;
export type StatsBodyType = Static<typeof StatsBody>;
export type DetectionsBodyType = Static<typeof DetectionsBody>;
