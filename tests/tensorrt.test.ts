import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeEngineFile } from '@cctv/detector';
import { startServer } from '@cctv/testbed';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxRuntimeShim } from '../native/build.ts';

/**
 * The user's story: model_path names a TensorRT engine. Where the shim (and so TensorRT) is
 * missing the server starts anyway and says why; with a same-named .onnx beside the engine it runs
 * that instead and says so. With a shim, the engine runs through bun:ffi in the detection Worker;
 * no GPU here, so the shim is native/onnxruntime_shim.c (the same C ABI over ONNX Runtime) and the
 * "engine" wraps an ONNX model, as packages/detector/test/tensorrt-backend.test.ts does.
 */
const colourPatches = resolve(import.meta.dirname, '../packages/detector/models/colour-patches-yolov8.onnx');
const header = { names: { 0: 'red', 1: 'green', 2: 'blue' }, imgsz: [320, 320], stride: 32, task: 'detect', batch: 1 };

interface ApiDetections {
  detections: Array<{ class_name: string }>;
}

describe('a TensorRT engine as model_path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-tensorrt-'));
  const engine = join(dir, 'best.engine');
  writeFileSync(engine, writeEngineFile(header, readFileSync(colourPatches)));
  const missingShim = join(dir, 'libcctv_trt.so');
  const notBuilt = `TensorRT unavailable: the TensorRT shim ${missingShim} is not built (run \`bun run build:native\` where TensorRT and CUDA are installed, or set CCTV_TRT_SHIM)`;
  let shim = '';
  beforeAll(() => {
    shim = buildOnnxRuntimeShim();
  });

  it('without the shim nor an .onnx beside it: detection failed with the reason; banner, log and video say and go on', async () => {
    const server = await startServer({ camera_url: 'demo:640x360', detection_enabled: true, model_path: engine }, { env: { CCTV_TRT_SHIM: missingShim } });
    try {
      const status = await server.waitForStatus((s) => s.detection.state === 'failed' && s.status === 'Streaming');
      expect(status.detection.reason).toBe(notBuilt);
      expect(server.output()).toContain(`Detect:  FAILED: ${notBuilt}`);
      expect(server.output()).toMatch(/error detection failed: TensorRT unavailable: the TensorRT shim/);
    } finally {
      await server.stop();
    }
  });

  it('without the shim, with best.onnx beside best.engine: runs that, and status, banner and log say why', async () => {
    const folder = mkdtempSync(join(dir, 'fallback-'));
    const fallbackEngine = join(folder, 'best.engine');
    copyFileSync(engine, fallbackEngine);
    copyFileSync(colourPatches, join(folder, 'best.onnx'));
    const server = await startServer({ camera_url: 'demo:640x360', detection_enabled: true, model_path: fallbackEngine }, { env: { CCTV_TRT_SHIM: missingShim } });
    try {
      const status = await server.waitForStatus((s) => s.detection.state === 'running' && s.detection.frames_detected > 0);
      expect(status.detection.backend).toBe(`onnxruntime-node 1.30.0 (cpu, 2 threads) — fallback: ${notBuilt}`);
      expect(status.detection.reason).toBe(`fallback to ${join(folder, 'best.onnx')}: ${notBuilt}`);
      expect(status.detection.model).toBe(fallbackEngine);
      expect(server.output()).toContain(`Detect:  ${fallbackEngine}: ${notBuilt}; falling back to ${join(folder, 'best.onnx')}`);
      expect(server.output()).toMatch(/warn +detection running: .*fallback: TensorRT unavailable/);
      const { detections } = await server.get<ApiDetections>('/api/detections');
      expect(detections.map((d) => d.class_name)).toContain('red');
    } finally {
      await server.stop();
    }
  });

  it('with a shim: the engine runs through bun:ffi in the detection Worker and finds the demo scene’s red box', async () => {
    const server = await startServer({ camera_url: 'demo:640x360', detection_enabled: true, model_path: engine }, { env: { CCTV_TRT_SHIM: shim } });
    try {
      const status = await server.waitForStatus((s) => s.detection.state === 'running' && s.detection.frames_detected > 0);
      expect(status.detection).toMatchObject({ backend: 'ONNX Runtime 1.30.0 via bun:ffi (cpu, 2 threads)', reason: null, layout: 'yolov8', input_size: { width: 320, height: 320 }, classes: 3 });
      expect(server.output()).toContain(`Detect:  ${engine} with TensorRT (${shim}), loading`);
      const { detections } = await server.get<ApiDetections>('/api/detections');
      expect(detections.map((d) => d.class_name)).toEqual(['red']);
    } finally {
      await server.stop();
    }
  });
});
