import { join } from 'node:path';
import { fillRect, type Rgb, type RgbImage } from '@cctv/frame-buffer';
import sharp, { type Sharp } from 'sharp';
import { DataType, encodeModel } from '../scripts/onnx-writer.ts';
import { writeEngineFile } from '../src/engine-file.ts';
import { parsePythonLiteral } from '../src/metadata.ts';
import { readOnnxMetadata } from '../src/onnx-metadata.ts';

export const MODELS_DIR = join(import.meta.dirname, '..', 'models');

/** A committed colour-patch model (see scripts/colour-patch-models.ts). */
export function colourModel(layout: string): string {
  return join(MODELS_DIR, `colour-patches-${layout}.onnx`);
}

export async function decodeImage(input: string | Buffer | Sharp): Promise<RgbImage> {
  const pipeline = typeof input === 'string' || Buffer.isBuffer(input) ? sharp(input) : input;
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** A mid-grey frame (matches no colour-patch class) with solid rectangles on it. */
export function frameWithPatches(width: number, height: number, patches: readonly { x1: number; y1: number; x2: number; y2: number; colour: Rgb }[]): RgbImage {
  const image: RgbImage = { data: new Uint8Array(width * height * 3).fill(90), width, height };
  for (const { x1, y1, x2, y2, colour } of patches) fillRect(image, x1, y1, x2 - x1, y2 - y1, colour);
  return image;
}

export const RED: Rgb = [230, 30, 40];
export const GREEN: Rgb = [20, 220, 60];
export const BLUE: Rgb = [30, 50, 240];

/**
 * An engine file as Ultralytics' TensorRT exporter writes it, with an ONNX model as its "engine"
 * (what the ONNX Runtime shim deserializes): the metadata header holds the ONNX model's own
 * Ultralytics metadata, as json.dumps writes it (names {"0": "person"}, imgsz [640, 640], stride 32,
 * end2end true). Without a header when `header` is false or the model has no metadata (YOLOX).
 */
export function engineFromOnnx(onnx: Uint8Array, options: { header?: boolean } = {}): Uint8Array {
  const raw = readOnnxMetadata(onnx);
  if (options.header === false || !Object.keys(raw).length) return onnx;
  const metadata: Record<string, unknown> = { description: 'wrapped by test/helpers.ts', batch: 1 };
  for (const [key, text] of Object.entries(raw)) metadata[key] = ['names', 'imgsz', 'stride', 'end2end'].includes(key) ? parsePythonLiteral(text) : text;
  return writeEngineFile(metadata, onnx);
}

/** An ONNX model whose input size is dynamic ([1, 3, -1, -1]) and whose output passes it through: no size to read from it. */
export function dynamicSizeModel(): Uint8Array {
  return encodeModel({
    graphName: 'dynamic',
    nodes: [{ op: 'Identity', inputs: ['images'], outputs: ['output0'] }],
    initializers: [],
    inputs: [{ name: 'images', dataType: DataType.FLOAT, dims: [1, 3, -1, -1] }],
    outputs: [{ name: 'output0', dataType: DataType.FLOAT, dims: [1, 3, -1, -1] }],
    opset: 17,
    irVersion: 8,
  });
}
