import { Elysia, t } from 'elysia';
import type { Camera } from '../camera.ts';
import type { ServerState } from '../state.ts';
import { CameraListBody, DetectionsBody, StatusBody } from './status-body.ts';

export const UnknownCamera = t.Object({ error: t.Literal('unknown camera'), camera: t.String() }, { additionalProperties: false });
export const CameraParams = t.Object({ id: t.String({ maxLength: 64, description: 'A camera id from GET /api/cameras', error: 'id: expected a camera id' }) });

/**
 * The camera a per-camera route names, or the 404 it answers: `{"error":"unknown camera","camera":"…"}`.
 * The id is echoed only when it is a possible id, so nothing a client sends is reflected as is.
 */
export function cameraOr404(state: ServerState, id: string, set: { status?: number | string }): Camera | { error: 'unknown camera'; camera: string } {
  const camera = state.camera(id);
  if (camera) return camera;
  set.status = 404;
  return { error: 'unknown camera', camera: /^[a-z0-9_-]{1,32}$/.test(id) ? id : '(not an id)' };
}

/** Every camera, and each one's status and detections, as the seed's routes give them for the first. */
export function cameraRoutes(state: ServerState) {
  return new Elysia({ name: 'cameras' })
    .get('/api/cameras', () => state.cameraList(), {
      response: CameraListBody,
      detail: { summary: 'Every camera in config order: id, name, state, fps, size, viewers, detection' },
    })
    .get(
      '/api/cameras/:id/status',
      ({ params, set }) => {
        const camera = cameraOr404(state, params.id, set);
        return 'error' in camera ? camera : state.status(camera);
      },
      { params: CameraParams, response: { 200: StatusBody, 404: UnknownCamera }, detail: { summary: "One camera's status, as /api/status gives the first camera's" } },
    )
    .get(
      '/api/cameras/:id/detections',
      ({ params, set }) => {
        const camera = cameraOr404(state, params.id, set);
        return 'error' in camera ? camera : camera.detections();
      },
      { params: CameraParams, response: { 200: DetectionsBody, 404: UnknownCamera }, detail: { summary: "One camera's newest detections, as /api/detections gives the first camera's" } },
    );
}
