import { Elysia, t } from 'elysia';
import type { ServerState } from '../state.ts';

const Box = t.Object({ x1: t.Number(), y1: t.Number(), x2: t.Number(), y2: t.Number() }, { description: 'In source-image pixels' });

export const DetectionsBody = t.Object({
  seq: t.Union([t.Integer(), t.Null()], { description: 'The first served frame (X-Frame-Seq) drawn with these detections' }),
  timestamp: t.Union([t.String(), t.Null()], { description: 'Capture time of the analysed frame (ISO 8601)' }),
  width: t.Union([t.Integer(), t.Null()]),
  height: t.Union([t.Integer(), t.Null()]),
  detections: t.Array(t.Object({ class_id: t.Integer(), class_name: t.String(), confidence: t.Number(), box: Box })),
});

/** The newest detections as JSON. */
export function detectionRoutes(state: ServerState) {
  return new Elysia({ name: 'detections' }).get('/api/detections', () => state.detections(), {
    response: DetectionsBody,
    detail: { summary: 'The newest detections (empty while detection is off or has found nothing yet)' },
  });
}
