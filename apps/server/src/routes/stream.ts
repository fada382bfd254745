import { MJPEG_HEADERS, mjpegResponse } from '@cctv/mjpeg';
import { Elysia, t } from 'elysia';
import type { Camera } from '../camera.ts';
import type { ServerState } from '../state.ts';
import { cameraOr404, CameraParams, UnknownCamera } from './cameras.ts';

const StreamQuery = t.Object({
  fps: t.Optional(t.Number({ minimum: 0.1, maximum: 60, description: 'Cap this viewer at N frames per second', error: 'fps: expected a number from 0.1 to 60' })),
});
const NoFrame = t.Object({ error: t.Literal('no frame yet'), status: t.String(), reason: t.Union([t.String(), t.Null()]) }, { additionalProperties: false });
const videoDetail = {
  responses: { 200: { description: 'One JPEG part per frame, each with Content-Length, X-Frame-Seq and X-Timestamp', content: { 'multipart/x-mixed-replace; boundary=frame': {} } } },
} as const;
const snapshotDetail = {
  responses: {
    200: { description: 'The JPEG, with X-Frame-Seq and X-Timestamp', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
    503: { description: 'No frame yet: { error, status, reason } with the camera state (Retry-After: 1)' },
  },
} as const;

/** A camera's live MJPEG for one viewer; an unwatched camera starts encoding when its first viewer comes. */
function video(state: ServerState, camera: Camera, fps: number | undefined, signal: AbortSignal): Response {
  const { response, client } = mjpegResponse(camera.frames, {
    maxFps: fps,
    keepaliveMs: state.config.server.stream_keepalive_s * 1000,
    signal,
    // The status card only while the camera has no picture: a streaming camera nobody watched has
    // no frame yet, and its first comes within a frame interval.
    placeholder: () => (camera.capture.state === 'Streaming' ? undefined : camera.placeholder),
  });
  camera.addViewer(client);
  return response;
}

/** A camera's newest frame as one JPEG, encoded on demand when nobody watches it. */
async function snapshot(camera: Camera, set: { status?: number | string; headers: Record<string, string | number> }) {
  const frame = await camera.snapshot();
  if (!frame) {
    set.status = 503;
    set.headers['retry-after'] = '1';
    return { error: 'no frame yet' as const, status: camera.capture.state, reason: camera.capture.reason };
  }
  return new Response(frame.jpeg, {
    headers: {
      'Content-Type': 'image/jpeg',
      'Cache-Control': MJPEG_HEADERS['Cache-Control']!,
      'X-Frame-Seq': String(frame.seq),
      'X-Timestamp': (frame.capturedAt / 1000).toFixed(3),
    },
  });
}

/** Live MJPEG and the latest frame: the seed's routes for the first camera, and the same for each camera by id. */
export function streamRoutes(state: ServerState) {
  return (
    new Elysia({ name: 'stream' })
      .get('/api/stream/video', ({ query, request }) => video(state, state.primary, query.fps, request.signal), {
        query: StreamQuery,
        detail: { summary: "The first camera's live video as multipart/x-mixed-replace JPEG parts (use as <img src>)", ...videoDetail },
      })
      // HEAD answered here: Elysia's own HEAD for a GET route reads the whole body to count its
      // length, which for an endless stream never ends and buffers frames until the client leaves.
      .head('/api/stream/video', () => new Response(null, { headers: MJPEG_HEADERS }), { detail: { hide: true } })
      .get('/api/stream/snapshot.jpg', ({ set }) => snapshot(state.primary, set), {
        response: { 503: NoFrame },
        detail: { summary: "The first camera's latest frame as one JPEG (503 until the first frame)", ...snapshotDetail },
      })
      .get(
        '/api/cameras/:id/stream/video',
        ({ params, query, request, set }) => {
          const camera = cameraOr404(state, params.id, set);
          return 'error' in camera ? camera : video(state, camera, query.fps, request.signal);
        },
        { params: CameraParams, query: StreamQuery, response: { 404: UnknownCamera }, detail: { summary: "A camera's live video as multipart/x-mixed-replace JPEG parts", ...videoDetail } },
      )
      .head('/api/cameras/:id/stream/video', ({ params, set }) => {
        const camera = cameraOr404(state, params.id, set);
        return 'error' in camera ? camera : new Response(null, { headers: MJPEG_HEADERS });
      }, { params: CameraParams, detail: { hide: true } })
      .get(
        '/api/cameras/:id/stream/snapshot.jpg',
        ({ params, set }) => {
          const camera = cameraOr404(state, params.id, set);
          return 'error' in camera ? camera : snapshot(camera, set);
        },
        { params: CameraParams, response: { 404: UnknownCamera, 503: NoFrame }, detail: { summary: "A camera's latest frame as one JPEG, encoded on demand when nobody watches it", ...snapshotDetail } },
      )
  );
}
