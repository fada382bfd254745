// The TensorRT backend's whole path (bun:ffi binding, engine-file header, buffers, float16 in and
// out, decoding) run for real against native/onnxruntime_shim.c: the same C ABI as the TensorRT
// shim, over ONNX Runtime on the CPU, with ONNX bytes as the "engine". It must find exactly what
// the onnxruntime-node backend finds in the same frames.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireFixtures } from '@cctv/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxRuntimeShim } from '../../../native/build.ts';
import { buildColourPatchModel, COLOUR_PATCH_LAYOUTS } from '../scripts/colour-patch-models.ts';
import {
  backendForModel,
  COCO_CLASSES,
  createTensorRtBackendLoader,
  DetectorError,
  loadDetector,
  onnxBeside,
  TensorRtUnavailableError,
  tensorRtShimPath,
  writeEngineFile,
  type Detection,
  type DetectorOptions,
  type RgbImage,
} from '../src/index.ts';
import { BLUE, colourModel, decodeImage, dynamicSizeModel, engineFromOnnx, frameWithPatches, GREEN, MODELS_DIR, RED } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'detector-tensorrt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let shim = '';
beforeAll(() => {
  shim = buildOnnxRuntimeShim();
});

function writeFile(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const FRAMES: RgbImage[] = [
  frameWithPatches(1280, 720, [
    { x1: 100, y1: 200, x2: 300, y2: 400, colour: RED },
    { x1: 1000, y1: 40, x2: 1280, y2: 120, colour: BLUE },
  ]),
  frameWithPatches(720, 1280, [
    { x1: 0, y1: 0, x2: 80, y2: 160, colour: GREEN },
    { x1: 400, y1: 900, x2: 712, y2: 1272, colour: RED },
  ]),
  frameWithPatches(640, 640, []),
];

async function withDetectors(options: [DetectorOptions, DetectorOptions], use: (ffi: Awaited<ReturnType<typeof loadDetector>>, onnx: Awaited<ReturnType<typeof loadDetector>>) => Promise<void>) {
  // One after the other: two sessions at once would only compete for the same two cores.
  const ffi = await loadDetector(options[0]);
  const onnx = await loadDetector(options[1]).catch(async (error: unknown) => {
    await ffi.dispose();
    throw error;
  });
  try {
    await use(ffi, onnx);
  } finally {
    await Promise.all([ffi.dispose(), onnx.dispose()]);
  }
}

describe('TensorRT backend through bun:ffi, on the ONNX Runtime shim', () => {
  it.each(COLOUR_PATCH_LAYOUTS)('%s: an Ultralytics-style engine file finds exactly what the ONNX model finds', async (layout) => {
    const onnxPath = colourModel(layout);
    const labelsPath = layout === 'yolox' ? join(MODELS_DIR, 'colour-patches.labels') : undefined;
    const enginePath = writeFile(`colour-${layout}.engine`, engineFromOnnx(readFileSync(onnxPath)));
    await withDetectors([{ modelPath: enginePath, tensorRtShim: shim, labelsPath }, { modelPath: onnxPath, labelsPath }], async (ffi, onnx) => {
      expect(ffi.backend).toEqual({ name: 'ONNX Runtime 1.30.0 via bun:ffi', executionProviders: ['cpu'], intraOpNumThreads: 2 });
      expect(onnx.backend.name).toBe('onnxruntime-node 1.30.0');
      expect([ffi.layout, ffi.inputWidth, ffi.inputHeight, ffi.classNames]).toEqual([onnx.layout, onnx.inputWidth, onnx.inputHeight, onnx.classNames]);
      expect(ffi.inputConvention).toEqual(onnx.inputConvention);
      for (const frame of FRAMES) expect(await ffi.detect(frame)).toEqual(await onnx.detect(frame));
      expect((await ffi.detect(FRAMES[0]!)).map((d) => d.className)).toEqual(['red', 'blue']);
    });
  });

  it("takes class names and input size from the engine file's header, not from what it wraps", async () => {
    const onnx = readFileSync(colourModel('yolov8'));
    const path = writeFile('renamed.engine', writeEngineFile({ names: { 0: 'cherry', 1: 'lime', 2: 'sky' }, imgsz: [320, 320], stride: 32, task: 'detect' }, onnx));
    const detector = await loadDetector({ modelPath: path, tensorRtShim: shim });
    expect(detector.classNames).toEqual(['cherry', 'lime', 'sky']);
    expect((await detector.detect(FRAMES[0]!)).map((d) => d.className)).toEqual(['cherry', 'sky']);
    await detector.dispose();
  });

  it('a plain engine without a header: names from a labels file, else "class N" (COCO for 80 classes)', async () => {
    const path = writeFile('plain.engine', engineFromOnnx(readFileSync(colourModel('yolov5')), { header: false }));
    const unnamed = await loadDetector({ modelPath: path, tensorRtShim: shim });
    expect(unnamed.classNames).toEqual(['class 0', 'class 1', 'class 2']);
    expect((await unnamed.detect(FRAMES[0]!)).map((d) => d.className)).toEqual(['class 0', 'class 2']);
    await unnamed.dispose();
    const labelled = await loadDetector({ modelPath: path, tensorRtShim: shim, labelsPath: join(MODELS_DIR, 'colour-patches.labels') });
    expect(labelled.classNames).toEqual(['red', 'green', 'blue']);
    await labelled.dispose();
  });

  it('feeds an engine that takes float16 input: the pre-processed frame is narrowed, and finds the same', async () => {
    const path = writeFile('half-input.engine', engineFromOnnx(buildColourPatchModel('yolov8', { halfInput: true })));
    await withDetectors([{ modelPath: path, tensorRtShim: shim }, { modelPath: colourModel('yolov8') }], async (half, full) => {
      for (const frame of FRAMES) expect(await half.detect(frame)).toEqual(await full.detect(frame));
    });
    const backend = await createTensorRtBackendLoader({ shimPath: shim })(path, { intraOpNumThreads: 1, executionProviders: ['cpu'], spinWait: false });
    expect(backend.input).toEqual({ name: 'images', dims: [1, 3, 320, 320], type: 'float16' });
    await backend.dispose();
  });

  it('widens float16 outputs, and reads outputs in place: the same array on every run, no copy per run', async () => {
    const path = writeFile('half-output.engine', engineFromOnnx(readFileSync(colourModel('yolov8-half-output'))));
    const backend = await createTensorRtBackendLoader({ shimPath: shim })(path, { intraOpNumThreads: 1, executionProviders: ['cpu'], spinWait: false });
    expect(backend.outputs).toEqual([{ name: 'output0', dims: [1, 7, 2100], type: 'float16' }]);
    expect(backend.metadata.names).toBe('{"0":"red","1":"green","2":"blue"}');
    const input = new Float32Array(3 * 320 * 320).fill(0.5);
    const [first] = await backend.run(input, [1, 3, 320, 320]);
    input.fill(0, 0, 320 * 320); // red channel 0, green and blue 0.5: no class
    const [second] = await backend.run(input, [1, 3, 320, 320]);
    expect(second!.data).toBe(first!.data);
    expect(second!.dims).toEqual([1, 7, 2100]);
    expect(second!.data).toBeInstanceOf(Float32Array);
    await expect(backend.run(new Float32Array(10), [1, 3, 320, 320])).rejects.toThrow('input "images" takes 1228800 bytes, got 40');
    await backend.dispose();
  });

  it('sets a dynamic input size from the header imgsz before the first run', async () => {
    const dynamic = dynamicSizeModel();
    const path = writeFile('dynamic.engine', writeEngineFile({ imgsz: [48, 64] }, dynamic));
    const error = await loadDetector({ modelPath: path, tensorRtShim: shim }).catch((e: unknown) => e);
    // The identity model is no detector: what matters is that the run happened at 64×48 and its output shape was read back.
    expect((error as Error).message).toBe(`model ${path}: output shape [1,3,48,64] is none of: YOLOv5 [1,N,5+nc], YOLOv8/11 [1,4+nc,N], end-to-end [1,K,6], YOLOX [1,N,5+nc] with N = Σ(size/stride)² (input 64×48)`);
  });

  it('runs in a Worker, as the server runs it', async () => {
    const path = writeFile('worker.engine', engineFromOnnx(readFileSync(colourModel('end2end'))));
    const worker = new Worker(new URL('./tensorrt-worker.ts', import.meta.url));
    const answer = new Promise<{ backend?: string; detections?: Detection[]; error?: string }>((done) => (worker.onmessage = (event) => done(event.data)));
    worker.postMessage({ modelPath: path, shim, frame: FRAMES[0] });
    const { backend, detections, error } = await answer;
    worker.terminate();
    expect(error).toBeUndefined();
    expect(backend).toBe('ONNX Runtime 1.30.0 via bun:ffi');
    expect(detections!.map((d) => [d.className, Math.round(d.box.x1), Math.round(d.box.y1), Math.round(d.box.x2), Math.round(d.box.y2)])).toEqual([
      ['red', 100, 200, 300, 400],
      ['blue', 1000, 40, 1280, 120],
    ]);
  });
});

const fixtures = requireFixtures('models/yolov8n_int8.onnx', 'models/yolox_nano.onnx', 'images/bus.jpg', 'images/zidane.jpg');

describe.skipIf(!fixtures)('fixture models as engine files', () => {
  const [yolov8Path, yoloxPath, busPath, zidanePath] = fixtures ?? [];
  /** Same detections: classes and order alike, scores and boxes within float rounding. */
  const expectSame = (found: Detection[], expected: Detection[]) => {
    expect(found.map((d) => d.className)).toEqual(expected.map((d) => d.className));
    found.forEach((d, i) => {
      const e = expected[i]!;
      expect(Math.abs(d.confidence - e.confidence)).toBeLessThan(1e-5);
      for (const key of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(d.box[key] - e.box[key])).toBeLessThan(0.01);
    });
  };

  it('yolov8n_int8 (with Ultralytics metadata header): the same detections as the ONNX backend on bus.jpg and zidane.jpg', async () => {
    const path = writeFile('yolov8n_int8.engine', engineFromOnnx(readFileSync(yolov8Path!)));
    await withDetectors([{ modelPath: path, tensorRtShim: shim, confidence: 0.3 }, { modelPath: yolov8Path!, confidence: 0.3 }], async (ffi, onnx) => {
      expect(ffi.classNames).toEqual(COCO_CLASSES);
      for (const image of [busPath!, zidanePath!]) {
        const frame = await decodeImage(image);
        const found = await ffi.detect(frame);
        expectSame(found, await onnx.detect(frame));
        expect(found.length).toBeGreaterThanOrEqual(3);
      }
    });
  });

  it('yolox_nano (a plain engine, no header): the same detections as the ONNX backend', async () => {
    const path = writeFile('yolox_nano.plan', readFileSync(yoloxPath!));
    await withDetectors([{ modelPath: path, tensorRtShim: shim, confidence: 0.3 }, { modelPath: yoloxPath!, confidence: 0.3 }], async (ffi, onnx) => {
      expect([ffi.layout, ffi.inputWidth, ffi.classNames.length]).toEqual(['yolox', 416, 80]);
      for (const image of [busPath!, zidanePath!]) {
        const frame = await decodeImage(image);
        expectSame(await ffi.detect(frame), await onnx.detect(frame));
      }
    });
  });
});

describe('choosing the backend', () => {
  it('by file extension unless told', () => {
    expect(backendForModel('models/best.engine')).toBe('tensorrt');
    expect(backendForModel('models/best.PLAN')).toBe('tensorrt');
    expect(backendForModel('models/best.onnx')).toBe('onnxruntime');
    expect(backendForModel('models/best.bin', 'tensorrt')).toBe('tensorrt');
    expect(backendForModel('models/best.engine', 'onnxruntime')).toBe('onnxruntime');
    expect(onnxBeside('models/best.engine')).toBe('models/best.onnx');
  });

  it("backend: 'tensorrt' opens a file of any name with TensorRT", async () => {
    const path = writeFile('model.bin', engineFromOnnx(readFileSync(colourModel('yolov8'))));
    const detector = await loadDetector({ modelPath: path, backend: 'tensorrt', tensorRtShim: shim });
    expect(detector.backend.name).toBe('ONNX Runtime 1.30.0 via bun:ffi');
    await detector.dispose();
  });

  it('the shim path: the option, else CCTV_TRT_SHIM, else native/build/libcctv_trt.so', () => {
    expect(tensorRtShimPath('x/lib.so', { CCTV_TRT_SHIM: '/elsewhere.so' })).toBe(resolve('x/lib.so'));
    expect(tensorRtShimPath(undefined, { CCTV_TRT_SHIM: '/elsewhere.so' })).toBe('/elsewhere.so');
    expect(tensorRtShimPath(undefined, {})).toBe(resolve(import.meta.dirname, '../../../native/build/libcctv_trt.so'));
  });
});

describe('when TensorRT cannot run the engine', () => {
  const missingShim = join(dir, 'no-such-shim.so');

  async function loadError(options: DetectorOptions): Promise<Error> {
    const error = await loadDetector(options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DetectorError);
    return error as Error;
  }

  it('no shim: says it is not built and how to build it', async () => {
    const path = writeFile('no-shim.engine', engineFromOnnx(readFileSync(colourModel('yolov8'))));
    const error = await loadError({ modelPath: path, tensorRtShim: missingShim });
    expect(error).toBeInstanceOf(TensorRtUnavailableError);
    expect(error.message).toBe(`TensorRT unavailable: the TensorRT shim ${missingShim} is not built (run \`bun run build:native\` where TensorRT and CUDA are installed, or set CCTV_TRT_SHIM)`);
  });

  it('a shim that does not load (here: not a library): the loader’s own words', async () => {
    const notALibrary = writeFile('not-a-library.so', new TextEncoder().encode('not an ELF file'));
    const path = writeFile('bad-shim.engine', engineFromOnnx(readFileSync(colourModel('yolov8'))));
    const error = await loadError({ modelPath: path, tensorRtShim: notALibrary });
    expect(error).toBeInstanceOf(TensorRtUnavailableError);
    expect(error.message).toMatch(new RegExp(`^TensorRT unavailable: cannot load the TensorRT shim ${notALibrary}: .+`));
  });

  it("an engine the runtime refuses: the runtime's message, with the path", async () => {
    const path = writeFile('corrupt.engine', writeEngineFile({ imgsz: [320, 320] }, new TextEncoder().encode('not an engine at all')));
    const error = await loadError({ modelPath: path, tensorRtShim: shim });
    expect(error.message).toMatch(new RegExp(`^cannot load model ${path} with ONNX Runtime 1\\.30\\.0: CreateSessionFromArray failed: .*protobuf parsing failed`, 'i'));
  });

  it('falls back to the same-named .onnx beside the engine when asked, and says why', async () => {
    const folder = mkdtempSync(join(dir, 'fallback-'));
    const enginePath = join(folder, 'best.engine');
    writeFileSync(enginePath, engineFromOnnx(readFileSync(colourModel('yolov8'))));
    // Without the option, or without a .onnx beside it, the error stands.
    expect((await loadError({ modelPath: enginePath, tensorRtShim: missingShim, onnxFallback: false })).message).toMatch(/^TensorRT unavailable: /);
    expect((await loadError({ modelPath: enginePath, tensorRtShim: missingShim, onnxFallback: true })).message).toMatch(/^TensorRT unavailable: /);

    copyFileSync(colourModel('yolov8'), join(folder, 'best.onnx'));
    const detector = await loadDetector({ modelPath: enginePath, tensorRtShim: missingShim, onnxFallback: true });
    expect(detector.modelPath).toBe(join(folder, 'best.onnx'));
    expect(detector.backend).toEqual({
      name: 'onnxruntime-node 1.30.0',
      executionProviders: ['cpu'],
      intraOpNumThreads: 2,
      fallback: `TensorRT unavailable: the TensorRT shim ${missingShim} is not built (run \`bun run build:native\` where TensorRT and CUDA are installed, or set CCTV_TRT_SHIM)`,
    });
    expect((await detector.detect(FRAMES[0]!)).map((d) => d.className)).toEqual(['red', 'blue']);
    await detector.dispose();

    // An engine TensorRT cannot deserialize (another version or GPU) falls back the same way.
    writeFileSync(enginePath, writeEngineFile({}, new TextEncoder().encode('built for another GPU')));
    const refused = await loadDetector({ modelPath: enginePath, tensorRtShim: shim, onnxFallback: true });
    expect(refused.backend.fallback).toMatch(/^cannot load model .*best\.engine with ONNX Runtime 1\.30\.0: CreateSessionFromArray failed/);
    await refused.dispose();
  });
});
