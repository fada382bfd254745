import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCropModel } from '../scripts/crop-model.ts';
import { DetectorError, loadDetector, ModelNotFoundError } from '../src/index.ts';
import { colourModel, dynamicSizeModel } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'detector-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeCropModel(name: string, options: { rows: number; columns: number; metadata?: Record<string, string> }): string {
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, buildCropModel({ name, ...options }));
  return path;
}

async function loadError(options: Parameters<typeof loadDetector>[0]): Promise<DetectorError> {
  const error = await loadDetector(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DetectorError);
  return error as DetectorError;
}

describe('loadDetector errors name the problem', () => {
  it('a missing model file: where it looked, and where to read how to make one', async () => {
    const path = join(dir, 'nope.onnx');
    const error = await loadError({ modelPath: path });
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.message).toBe(`model file not found: ${path}; models/README.md says where models go and how to export one`);
  });

  it('a missing model file at a relative path: the absolute path it looked at, from the working directory', async () => {
    const error = await loadError({ modelPath: 'models/nope.onnx' });
    expect((error as ModelNotFoundError).resolvedPath).toBe(join(process.cwd(), 'models', 'nope.onnx'));
    expect(error.message).toBe(
      `model file not found: ${join(process.cwd(), 'models', 'nope.onnx')} (a relative path is taken from the working directory); models/README.md says where models go and how to export one`,
    );
  });

  it('a missing labels file', async () => {
    const path = join(dir, 'nope.labels');
    expect((await loadError({ modelPath: colourModel('yolov8'), labelsPath: path })).message).toBe(`labels file not found: ${path}`);
  });

  it("a corrupt model file: onnxruntime's message, with the path", async () => {
    const path = join(dir, 'corrupt.onnx');
    writeFileSync(path, 'this is not a protobuf, let alone a model');
    const { message } = await loadError({ modelPath: path });
    expect(message.startsWith(`cannot load model ${path}: `)).toBe(true);
    expect(message).toMatch(/protobuf parsing failed/i);
  });

  it('an output shape no layout has', async () => {
    const path = writeCropModel('unknown-layout', { rows: 7, columns: 9 });
    expect((await loadError({ modelPath: path })).message).toBe(
      `model ${path}: output shape [1,7,9] is none of: YOLOv5 [1,N,5+nc], YOLOv8/11 [1,4+nc,N], end-to-end [1,K,6], YOLOX [1,N,5+nc] with N = Σ(size/stride)² (input 32×32)`,
    );
  });

  it('an end2end model whose output is not [1,K,6]', async () => {
    const path = writeCropModel('not-end2end', { rows: 7, columns: 9, metadata: { end2end: 'True' } });
    expect((await loadError({ modelPath: path })).message).toBe(`model ${path}: output shape [1,7,9] is not the end-to-end [1,K,6] its metadata (end2end) declares (input 32×32)`);
  });

  it('a forced layout the output does not fit', async () => {
    const path = writeCropModel('not-yolox', { rows: 7, columns: 9 });
    expect((await loadError({ modelPath: path, layout: 'yolox' })).message).toMatch(/output shape \[1,7,9\] does not fit the yolox layout the options ask for \(input 32×32\); the layouts are: YOLOv5/);
  });

  it('a dynamic input size with no imgsz metadata', async () => {
    const path = join(dir, 'dynamic.onnx');
    writeFileSync(path, dynamicSizeModel());
    expect((await loadError({ modelPath: path })).message).toMatch(/input "images" has a dynamic size .* and no imgsz metadata; export it with a fixed size/);
  });

  it('metadata that is not what Ultralytics writes', async () => {
    const path = writeCropModel('bad-metadata', { rows: 7, columns: 9, metadata: { imgsz: "'big'" } });
    expect((await loadError({ modelPath: path })).message).toBe(`model ${path}: metadata "imgsz" is "'big'", expected input size: an integer or [height, width]`);
    const unparsable = writeCropModel('unparsable-metadata', { rows: 7, columns: 9, metadata: { names: "{0: 'person'" } });
    expect((await loadError({ modelPath: unparsable })).message).toMatch(/metadata "names" is not a Python or JSON literal: expected "," or "}"/);
  });

  it('a class filter naming a class the model lacks', async () => {
    expect((await loadError({ modelPath: colourModel('yolov8'), classes: ['purple'] })).message).toBe(
      `classes: "purple" is not one of the model's 3 classes (ids 0-2: red, green, blue)`,
    );
    expect((await loadError({ modelPath: colourModel('yolov8'), classes: [3] })).message).toMatch(/^classes: 3 is not one of/);
  });

  it('out-of-range numbers', async () => {
    expect((await loadError({ modelPath: colourModel('yolov8'), confidence: 1.5 })).message).toBe('confidence is 1.5, expected a number from 0 to 1');
    expect((await loadError({ modelPath: colourModel('yolov8'), intraOpNumThreads: 0 })).message).toBe('intraOpNumThreads is 0, expected an integer from 1 to 1024');
  });

  it('an execution provider this build lacks', async () => {
    expect((await loadError({ modelPath: colourModel('yolov8'), executionProviders: ['tensorrt-does-not-exist'] })).message).toMatch(/^cannot load model .*colour-patches-yolov8\.onnx: /);
  });
});

describe('detect() errors', () => {
  it('a frame whose bytes do not match its size', async () => {
    const detector = await loadDetector({ modelPath: colourModel('yolov8') });
    await expect(detector.detect({ data: new Uint8Array(10), width: 4, height: 4 })).rejects.toThrow('image is 4×4 with 10 bytes; expected packed RGB, 48 bytes');
    await detector.dispose();
    await expect(detector.detect({ data: new Uint8Array(48), width: 4, height: 4 })).rejects.toThrow(/is disposed/);
  });
});
