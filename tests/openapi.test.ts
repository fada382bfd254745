import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer, type RunningServer } from '@cctv/testbed';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The OpenAPI document is generated from the routes' own schemas, and those schemas are closed:
// every real answer must validate against what the document says, with no field it does not name.
const PATCH_MODEL = resolve(import.meta.dirname, '../packages/detector/models/colour-patches-yolov8.onnx');
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cctv-openapi-'));
  server = await startServer({
    cameras: {
      door: { camera_url: 'demo:640x360', detection_enabled: true, model_path: PATCH_MODEL, lines: [{ name: 'middle', from: [320, 0], to: [320, 360] }], zones: [{ name: 'left', points: [[0, 0], [200, 0], [200, 360], [0, 360]] }] },
      yard: { camera_url: 'rtsp://127.0.0.1:1/nothing' },
    },
    data_dir: dataDir,
  });
  // Something in every body: detections, an event, a crossing, a camera that cannot connect.
  await server.waitForStatus((s) => s.detection.frames_detected > 3, 30_000);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(await server.get('/api/events')).events[0]?.lines.length) await Bun.sleep(300);
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the OpenAPI document', () => {
  it('describes every real JSON answer exactly: each validates against its 200 schema, and the status objects are closed', async () => {
    const document = await server.get('/api/openapi.json');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'openapi', components: document.components ?? {} });
    const schemaOf = (path: string) => {
      const schema = document.paths[path]?.get?.responses?.['200']?.content?.['application/json']?.schema;
      expect(schema, `a 200 JSON schema for ${path}`).toBeDefined();
      // Component references resolve inside the document.
      return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
    };
    const answers: Array<[string, string]> = [
      ['/api/status', '/api/status'],
      ['/api/stats', '/api/stats'],
      ['/api/detections', '/api/detections'],
      ['/api/health', '/api/health'],
      ['/api/cameras', '/api/cameras'],
      ['/api/cameras/{id}/status', '/api/cameras/door/status'],
      ['/api/cameras/{id}/status', '/api/cameras/yard/status'],
      ['/api/cameras/{id}/detections', '/api/cameras/door/detections'],
      ['/api/cameras/{id}/areas', '/api/cameras/door/areas'],
      ['/api/counts', '/api/counts'],
      ['/api/events', '/api/events'],
      ['/api/config', '/api/config'],
    ];
    for (const [path, url] of answers) {
      const body = await server.get(url);
      const validate = ajv.compile(schemaOf(path));
      expect(validate(body) ? [] : validate.errors, `${url}: ${JSON.stringify(body).slice(0, 300)}`).toEqual([]);
    }
    // Closed: a field the document does not name is refused (so none can slip in unannounced).
    const status = await server.get('/api/status');
    const validateStatus = ajv.compile(schemaOf('/api/status'));
    expect(validateStatus({ ...status, extra: 1 })).toBe(false);
    expect(validateStatus({ ...status, detection: { ...status.detection, extra: 1 } })).toBe(false);
    // Every field of the body is described, with the detection fields the status really has.
    const detection = schemaOf('/api/status').properties.detection;
    expect(Object.keys(detection.properties).toSorted()).toEqual(Object.keys(status.detection).toSorted());
    expect(Object.keys(detection.properties)).toHaveLength(12);
  });
});
