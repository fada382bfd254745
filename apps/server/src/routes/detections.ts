import { Elysia } from 'elysia';
import type { ServerState } from '../state.ts';
import { DetectionsBody } from './status-body.ts';

/** The first camera's newest detections as JSON (the seed's single-camera route). */
export function detectionRoutes(state: ServerState) {
  return new Elysia({ name: 'detections' }).get('/api/detections', () => state.primary.detections(), {
    response: DetectionsBody,
    detail: { summary: "The first camera's newest detections (empty while detection is off or has found nothing yet)" },
  });
}
