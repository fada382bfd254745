import type { RgbImage } from '@cctv/frame-buffer';

/** How a model wants its input: Ultralytics' is RGB, 0-1, centred; YOLOX's is BGR, 0-255, top-left. */
export interface InputConvention {
  channelOrder: 'rgb' | 'bgr';
  pixelRange: '0-1' | '0-255';
  placement: 'centre' | 'top-left';
}

/** Where the source landed in the model input: input = source × scale + pad, per axis. */
export interface LetterboxTransform {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

/** The grey both Ultralytics and YOLOX fill the unused part of the square with. */
const PAD_LEVEL = 114;

/**
 * Resizes a frame into a model's input keeping its aspect ratio, fills the rest with grey, and
 * writes float32 CHW. One instance per model: the output tensor and the resize tables are reused,
 * and the grey border is painted only when the source size changes (the picture area is fully
 * rewritten on every call). Bilinear sampling as cv2.resize(INTER_LINEAR) does it, which is what
 * both Ultralytics and YOLOX pre-process with.
 */
export class Letterbox {
  /** [3, height, width] float32, overwritten by each apply(). */
  readonly tensor: Float32Array;
  readonly #norm: number;
  #sourceWidth = 0;
  #sourceHeight = 0;
  #transform: LetterboxTransform = { scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
  #resizedWidth = 0;
  #resizedHeight = 0;
  #columns: SamplingTable = emptyTable();
  #rows: SamplingTable = emptyTable();

  constructor(
    readonly width: number,
    readonly height: number,
    readonly convention: InputConvention,
  ) {
    this.tensor = new Float32Array(3 * width * height);
    this.#norm = convention.pixelRange === '0-1' ? 1 / 255 : 1;
  }

  apply(image: RgbImage): LetterboxTransform {
    if (image.width !== this.#sourceWidth || image.height !== this.#sourceHeight) this.#prepare(image.width, image.height);
    const { data } = image;
    const plane = this.width * this.height;
    const redPlane = this.convention.channelOrder === 'rgb' ? 0 : 2 * plane;
    const bluePlane = 2 * plane - redPlane;
    const out = this.tensor;
    const norm = this.#norm;
    const { first: columnA, second: columnB, weight: columnWeight } = this.#columns;
    const rows = this.#rows;
    const { padX, padY } = this.#transform;
    const resizedWidth = this.#resizedWidth;
    for (let y = 0; y < this.#resizedHeight; y++) {
      const rowA = rows.first[y]!;
      const rowB = rows.second[y]!;
      const wy = rows.weight[y]!;
      const wa = (1 - wy) * norm;
      const wb = wy * norm;
      let o = (y + padY) * this.width + padX;
      for (let x = 0; x < resizedWidth; x++, o++) {
        const a0 = rowA + columnA[x]!;
        const a1 = rowA + columnB[x]!;
        const b0 = rowB + columnA[x]!;
        const b1 = rowB + columnB[x]!;
        const wx = columnWeight[x]!;
        const r = (data[a0]! + (data[a1]! - data[a0]!) * wx) * wa + (data[b0]! + (data[b1]! - data[b0]!) * wx) * wb;
        const g = (data[a0 + 1]! + (data[a1 + 1]! - data[a0 + 1]!) * wx) * wa + (data[b0 + 1]! + (data[b1 + 1]! - data[b0 + 1]!) * wx) * wb;
        const b = (data[a0 + 2]! + (data[a1 + 2]! - data[a0 + 2]!) * wx) * wa + (data[b0 + 2]! + (data[b1 + 2]! - data[b0 + 2]!) * wx) * wb;
        out[redPlane + o] = r;
        out[plane + o] = g;
        out[bluePlane + o] = b;
      }
    }
    return this.#transform;
  }

  #prepare(sourceWidth: number, sourceHeight: number): void {
    const ratio = Math.min(this.width / sourceWidth, this.height / sourceHeight);
    const resizedWidth = Math.min(this.width, Math.max(1, Math.round(sourceWidth * ratio)));
    const resizedHeight = Math.min(this.height, Math.max(1, Math.round(sourceHeight * ratio)));
    // As Ultralytics' LetterBox: round(d - 0.1) puts the odd pixel of padding after the picture.
    const centred = this.convention.placement === 'centre';
    const padX = centred ? Math.max(0, Math.round((this.width - resizedWidth) / 2 - 0.1)) : 0;
    const padY = centred ? Math.max(0, Math.round((this.height - resizedHeight) / 2 - 0.1)) : 0;
    this.#columns = samplingTable(sourceWidth, resizedWidth, 3);
    this.#rows = samplingTable(sourceHeight, resizedHeight, sourceWidth * 3);
    this.tensor.fill(PAD_LEVEL * this.#norm);
    this.#sourceWidth = sourceWidth;
    this.#sourceHeight = sourceHeight;
    this.#resizedWidth = resizedWidth;
    this.#resizedHeight = resizedHeight;
    this.#transform = { scaleX: resizedWidth / sourceWidth, scaleY: resizedHeight / sourceHeight, padX, padY };
  }
}

/** Per output column (or row): byte offsets of the two source pixels (or rows) and the second's weight. */
interface SamplingTable {
  first: Int32Array;
  second: Int32Array;
  weight: Float32Array;
}

function emptyTable(): SamplingTable {
  return { first: new Int32Array(0), second: new Int32Array(0), weight: new Float32Array(0) };
}

/** cv2's INTER_LINEAR sampling along one axis: pixel centres aligned, edges clamped. */
function samplingTable(sourceSize: number, resizedSize: number, step: number): SamplingTable {
  const first = new Int32Array(resizedSize);
  const second = new Int32Array(resizedSize);
  const weight = new Float32Array(resizedSize);
  const scale = sourceSize / resizedSize;
  for (let i = 0; i < resizedSize; i++) {
    const position = (i + 0.5) * scale - 0.5;
    let index = Math.floor(position);
    let fraction = position - index;
    if (index < 0) [index, fraction] = [0, 0];
    if (index >= sourceSize - 1) [index, fraction] = [sourceSize - 1, 0];
    first[i] = index * step;
    second[i] = Math.min(index + 1, sourceSize - 1) * step;
    weight[i] = fraction;
  }
  return { first, second, weight };
}
