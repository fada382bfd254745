// Output layouts of the YOLO families, told apart by the output's shape (and metadata where the
// shape alone is ambiguous), and decoded into candidate boxes in model-input pixels.

export type OutputLayout = 'yolov5' | 'yolov8' | 'end2end' | 'yolox';

export interface LayoutInfo {
  layout: OutputLayout;
  classCount: number;
  /** Rows (v5, YOLOX, end-to-end) or columns (v8) of the output: one per candidate. */
  anchors: number;
}

export const LAYOUT_DESCRIPTIONS = 'YOLOv5 [1,N,5+nc], YOLOv8/11 [1,4+nc,N], end-to-end [1,K,6], YOLOX [1,N,5+nc] with N = Σ(size/stride)²';

/** Strides of the detection heads: 8, 16, 32 for P5 models; up to 64 for P6. */
export function headStrides(maxStride: number): number[] {
  const strides: number[] = [];
  for (let stride = 8; stride <= maxStride; stride *= 2) strides.push(stride);
  return strides;
}

/** Σ (height/stride × width/stride): one cell per position of each head's grid. */
function gridCells(inputWidth: number, inputHeight: number, strides: readonly number[]): number {
  return strides.reduce((sum, stride) => sum + Math.ceil(inputHeight / stride) * Math.ceil(inputWidth / stride), 0);
}

/**
 * Which layout an output of these dims is, or undefined when it is none. YOLOv5 and YOLOX share a
 * shape and differ in their row count: YOLOv5 has 3 anchors per cell, YOLOX one. A forced layout
 * is checked against the shape instead.
 */
export function identifyLayout(
  dims: readonly number[],
  input: { width: number; height: number; strides: readonly number[] },
  hints: { end2end?: boolean; forced?: OutputLayout },
): LayoutInfo | undefined {
  if (dims.length !== 3 || dims[0] !== 1) return undefined;
  const rows = dims[1]!;
  const columns = dims[2]!;
  const cells = gridCells(input.width, input.height, input.strides);
  const fits: Record<OutputLayout, LayoutInfo | undefined> = {
    end2end: columns === 6 ? { layout: 'end2end', classCount: 0, anchors: rows } : undefined,
    yolov8: rows >= 5 ? { layout: 'yolov8', classCount: rows - 4, anchors: columns } : undefined,
    yolov5: columns >= 6 ? { layout: 'yolov5', classCount: columns - 5, anchors: rows } : undefined,
    yolox: columns >= 6 && rows === cells ? { layout: 'yolox', classCount: columns - 5, anchors: rows } : undefined,
  };
  const wanted = hints.forced ?? (hints.end2end ? 'end2end' : undefined);
  if (wanted) return fits[wanted];
  if (columns === cells) return fits.yolov8;
  if (rows === 3 * cells) return fits.yolov5;
  if (rows === cells) return fits.yolox;
  return fits.end2end;
}

/** Boxes above the threshold, in input pixels (x1, y1, x2, y2), in arrays reused between calls. */
export interface Candidates {
  count: number;
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
}

/**
 * Turns one output tensor into candidates. Each candidate's class is its best-scoring class
 * (as Ultralytics does), so a class filter drops a bus rather than report it as its second guess.
 */
export class Decoder {
  readonly #candidates: Candidates;
  // yolov8: best score and class per anchor, filled class by class so reads stay sequential.
  readonly #bestScore: Float32Array;
  readonly #bestClass: Int32Array;
  // yolox: each row's grid cell and stride.
  readonly #cellX: Float32Array;
  readonly #cellY: Float32Array;
  readonly #cellStride: Float32Array;

  constructor(
    readonly info: LayoutInfo,
    input: { width: number; height: number; strides: readonly number[] },
  ) {
    const n = info.anchors;
    this.#candidates = { count: 0, boxes: new Float32Array(4 * n), scores: new Float32Array(n), classIds: new Int32Array(n) };
    const isV8 = info.layout === 'yolov8';
    this.#bestScore = new Float32Array(isV8 ? n : 0);
    this.#bestClass = new Int32Array(isV8 ? n : 0);
    const isYolox = info.layout === 'yolox';
    this.#cellX = new Float32Array(isYolox ? n : 0);
    this.#cellY = new Float32Array(isYolox ? n : 0);
    this.#cellStride = new Float32Array(isYolox ? n : 0);
    if (isYolox) {
      // Rows run head by head (stride 8 first), row-major within each head's grid.
      let row = 0;
      for (const stride of input.strides) {
        const columns = Math.ceil(input.width / stride);
        const rows = Math.ceil(input.height / stride);
        for (let y = 0; y < rows; y++) {
          for (let x = 0; x < columns; x++, row++) {
            this.#cellX[row] = x;
            this.#cellY[row] = y;
            this.#cellStride[row] = stride;
          }
        }
      }
    }
  }

  /** `allowed[c]` is 1 for classes to keep (undefined keeps all). */
  decode(data: Float32Array, confidence: number, allowed: Uint8Array | undefined): Candidates {
    const c = this.#candidates;
    c.count = 0;
    switch (this.info.layout) {
      case 'yolov8':
        this.#decodeV8(data, confidence, allowed);
        break;
      case 'end2end':
        this.#decodeEndToEnd(data, confidence, allowed);
        break;
      default:
        this.#decodeRows(data, confidence, allowed);
    }
    return c;
  }

  #push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number): void {
    const c = this.#candidates;
    const i = c.count++;
    c.boxes[4 * i] = x1;
    c.boxes[4 * i + 1] = y1;
    c.boxes[4 * i + 2] = x2;
    c.boxes[4 * i + 3] = y2;
    c.scores[i] = score;
    c.classIds[i] = classId;
  }

  /** [1, 4 + nc, N]: rows cx, cy, w, h, then one row of scores per class; no objectness. */
  #decodeV8(data: Float32Array, confidence: number, allowed: Uint8Array | undefined): void {
    const n = this.info.anchors;
    const best = this.#bestScore;
    const bestClass = this.#bestClass;
    best.fill(-Infinity);
    for (let cls = 0; cls < this.info.classCount; cls++) {
      for (let i = 0, o = (4 + cls) * n; i < n; i++, o++) {
        const score = data[o]!;
        if (score > best[i]!) {
          best[i] = score;
          bestClass[i] = cls;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const score = best[i]!;
      if (score < confidence) continue;
      const cls = bestClass[i]!;
      if (allowed && !allowed[cls]) continue;
      const cx = data[i]!;
      const cy = data[n + i]!;
      const halfW = data[2 * n + i]! / 2;
      const halfH = data[3 * n + i]! / 2;
      this.#push(cx - halfW, cy - halfH, cx + halfW, cy + halfH, score, cls);
    }
  }

  /**
   * [1, N, 5 + nc]: cx, cy, w, h, objectness, class scores; score = objectness × class score.
   * YOLOv5 boxes are in input pixels; YOLOX's relative to their cell: centre (d + cell) × stride,
   * size exp(log) × stride.
   */
  #decodeRows(data: Float32Array, confidence: number, allowed: Uint8Array | undefined): void {
    const classCount = this.info.classCount;
    const width = 5 + classCount;
    const isYolox = this.info.layout === 'yolox';
    for (let i = 0, o = 0; i < this.info.anchors; i++, o += width) {
      const objectness = data[o + 4]!;
      if (objectness < confidence) continue; // class scores are ≤ 1, so the product cannot pass
      let cls = 0;
      let best = data[o + 5]!;
      for (let k = 1; k < classCount; k++) {
        const score = data[o + 5 + k]!;
        if (score > best) {
          best = score;
          cls = k;
        }
      }
      const score = objectness * best;
      if (score < confidence || (allowed && !allowed[cls])) continue;
      let cx = data[o]!;
      let cy = data[o + 1]!;
      let w = data[o + 2]!;
      let h = data[o + 3]!;
      if (isYolox) {
        const stride = this.#cellStride[i]!;
        cx = (cx + this.#cellX[i]!) * stride;
        cy = (cy + this.#cellY[i]!) * stride;
        w = Math.exp(w) * stride;
        h = Math.exp(h) * stride;
      }
      this.#push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, cls);
    }
  }

  /** [1, K, 6]: x1, y1, x2, y2, score, class; the model has already suppressed duplicates. */
  #decodeEndToEnd(data: Float32Array, confidence: number, allowed: Uint8Array | undefined): void {
    for (let i = 0, o = 0; i < this.info.anchors; i++, o += 6) {
      const score = data[o + 4]!;
      const cls = Math.round(data[o + 5]!);
      if (score < confidence || (allowed && !allowed[cls])) continue;
      this.#push(data[o]!, data[o + 1]!, data[o + 2]!, data[o + 3]!, score, cls);
    }
  }
}
