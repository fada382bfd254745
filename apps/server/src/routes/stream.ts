import { MJPEG_HEADERS, mjpegResponse } from '@cctv/mjpeg';
import { Elysia, t } from 'elysia';
import type { ServerState } from '../state.ts';

/** The live MJPEG stream and the latest frame as a JPEG. */
export function streamRoutes(state: ServerState) {
  return new Elysia({ name: 'stream' })
    .get(
      '/api/stream/video',
      ({ query, request }) => {
        const { response, client } = mjpegResponse(state.frames, {
          maxFps: query.fps,
          keepaliveMs: state.config.server.stream_keepalive_s * 1000,
          signal: request.signal,
          placeholder: () => state.pipeline.placeholder,
        });
        state.addViewer(client);
        return response;
      },
      {
        query: t.Object({
          fps: t.Optional(
            t.Number({ minimum: 0.1, maximum: 60, description: 'Cap this viewer at N frames per second', error: 'fps: expected a number from 0.1 to 60' }),
          ),
        }),
        detail: {
          summary: 'Live video as multipart/x-mixed-replace JPEG parts (use as <img src>)',
          responses: { 200: { description: 'One JPEG part per frame, each with Content-Length, X-Frame-Seq and X-Timestamp', content: { 'multipart/x-mixed-replace; boundary=frame': {} } } },
        },
      },
    )
    // HEAD answered here: Elysia's own HEAD for a GET route reads the whole body to count its
    // length, which for an endless stream never ends and buffers frames until the client leaves.
    .head('/api/stream/video', () => new Response(null, { headers: MJPEG_HEADERS }), { detail: { hide: true } })
    .get(
      '/api/stream/snapshot.jpg',
      ({ set }) => {
        const frame = state.frames.latest();
        if (!frame) {
          set.status = 503;
          set.headers['retry-after'] = '1';
          return { error: 'no frame yet', status: state.pipeline.status.state, reason: state.pipeline.status.reason };
        }
        return new Response(frame.jpeg, {
          headers: {
            'Content-Type': 'image/jpeg',
            'Cache-Control': MJPEG_HEADERS['Cache-Control']!,
            'X-Frame-Seq': String(frame.seq),
            'X-Timestamp': (frame.capturedAt / 1000).toFixed(3),
          },
        });
      },
      {
        detail: {
          summary: 'The latest frame as one JPEG (503 until the first frame)',
          responses: {
            200: { description: 'The JPEG, with X-Frame-Seq and X-Timestamp', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
            503: { description: 'No frame yet: { error, status, reason } with the camera state (Retry-After: 1)' },
          },
        },
      },
    );
}
