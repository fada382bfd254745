import { describe, expect, it } from 'vitest';
import { Decoder, headStrides, identifyLayout, type Candidates, type LayoutInfo } from '../src/decode.ts';

const input640 = { width: 640, height: 640, strides: headStrides(32) };

/** The candidates as plain rows, rounded: [x1, y1, x2, y2, score, class]. */
function rows(c: Candidates): number[][] {
  return Array.from({ length: c.count }, (_, i) => [...c.boxes.subarray(4 * i, 4 * i + 4), c.scores[i]!, c.classIds[i]!].map((v) => Math.round(v * 1000) / 1000));
}

describe('identifyLayout', () => {
  it('tells the families apart by shape', () => {
    expect(identifyLayout([1, 84, 8400], input640, {})).toEqual({ layout: 'yolov8', classCount: 80, anchors: 8400 });
    expect(identifyLayout([1, 25200, 85], input640, {})).toEqual({ layout: 'yolov5', classCount: 80, anchors: 25200 });
    expect(identifyLayout([1, 8400, 85], input640, {})).toEqual({ layout: 'yolox', classCount: 80, anchors: 8400 });
    expect(identifyLayout([1, 3549, 85], { width: 416, height: 416, strides: [8, 16, 32] }, {})).toMatchObject({ layout: 'yolox' });
    expect(identifyLayout([1, 300, 6], input640, {})).toEqual({ layout: 'end2end', classCount: 0, anchors: 300 });
  });

  it('a one-class YOLOv5 is [1,N,6] too: told from end-to-end by N, or by the end2end metadata', () => {
    expect(identifyLayout([1, 25200, 6], input640, {})).toMatchObject({ layout: 'yolov5', classCount: 1 });
    expect(identifyLayout([1, 25200, 6], input640, { end2end: true })).toMatchObject({ layout: 'end2end' });
  });

  it('counts cells for non-square inputs and P6 models', () => {
    expect(identifyLayout([1, 84, 80 * 48 + 40 * 24 + 20 * 12], { width: 640, height: 384, strides: headStrides(32) }, {})).toMatchObject({ layout: 'yolov8' });
    expect(identifyLayout([1, 84, 8400 + 100], input640, {})).toBeUndefined();
    expect(identifyLayout([1, 84, 8400 + 100], { ...input640, strides: headStrides(64) }, {})).toMatchObject({ layout: 'yolov8' });
  });

  it('refuses other shapes, and a forced layout the shape cannot be', () => {
    expect(identifyLayout([1, 7, 9], input640, {})).toBeUndefined();
    expect(identifyLayout([84, 8400], input640, {})).toBeUndefined();
    expect(identifyLayout([2, 84, 8400], input640, {})).toBeUndefined();
    expect(identifyLayout([1, 25200, 85], input640, { forced: 'yolox' })).toBeUndefined();
    expect(identifyLayout([1, 25200, 85], input640, { forced: 'yolov5' })).toMatchObject({ layout: 'yolov5' });
  });
});

describe('Decoder', () => {
  it('yolov8: centre/size to corners, best class, no objectness; threshold and class filter', () => {
    const info: LayoutInfo = { layout: 'yolov8', classCount: 2, anchors: 4 };
    // Columns are anchors; rows cx, cy, w, h, class 0, class 1.
    const output = Float32Array.from([
      [100, 200, 300, 400], // cx
      [50, 60, 70, 80], // cy
      [20, 40, 60, 80], // w
      [10, 20, 30, 40], // h
      [0.9, 0.1, 0.3, 0.24], // class 0
      [0.2, 0.8, 0.29, 0.0], // class 1
    ].flat());
    const decoder = new Decoder(info, input640);
    expect(rows(decoder.decode(output, 0.25, undefined))).toEqual([
      [90, 45, 110, 55, 0.9, 0],
      [180, 50, 220, 70, 0.8, 1],
      [270, 55, 330, 85, 0.3, 0],
    ]);
    expect(rows(decoder.decode(output, 0.5, undefined)).map((r) => r[4])).toEqual([0.9, 0.8]);
    // Anchor 2's best class is 0 (0.3): filtering to class 1 drops it rather than report its 0.29.
    expect(rows(decoder.decode(output, 0.25, Uint8Array.from([0, 1])))).toEqual([[180, 50, 220, 70, 0.8, 1]]);
  });

  it('yolov5: score = objectness × class score, boxes already in pixels', () => {
    const info: LayoutInfo = { layout: 'yolov5', classCount: 2, anchors: 3 };
    const output = Float32Array.from([
      [100, 100, 20, 20, 0.9, 0.5, 0.9],
      [200, 200, 40, 40, 0.2, 1.0, 0.0], // objectness under the threshold
      [300, 300, 10, 10, 0.6, 0.4, 0.1], // 0.6 × 0.4 = 0.24: under
    ].flat());
    expect(rows(new Decoder(info, input640).decode(output, 0.25, undefined))).toEqual([[90, 90, 110, 110, 0.81, 1]]);
  });

  it('yolox: cell-relative centres and log sizes, rows head by head', () => {
    const input = { width: 64, height: 64, strides: [8, 16, 32] }; // 8×8 + 4×4 + 2×2 = 84 cells
    const info: LayoutInfo = { layout: 'yolox', classCount: 1, anchors: 84 };
    const output = new Float32Array(84 * 6);
    const set = (row: number, values: number[]) => output.set(values, row * 6);
    set(8 * 2 + 3, [0.5, 0.5, Math.log(2), Math.log(1), 1, 0.9]); // stride 8, cell (3, 2)
    set(64 + 4 * 1 + 2, [0, 0, 0, 0, 0.8, 1]); // stride 16, cell (2, 1)
    set(80 + 3, [0.25, 0.75, Math.log(0.5), Math.log(0.5), 0.7, 1]); // stride 32, cell (1, 1)
    expect(rows(new Decoder(info, input).decode(output, 0.25, undefined))).toEqual([
      [20, 16, 36, 24, 0.9, 0], // centre (3.5 × 8, 2.5 × 8), size 16 × 8
      [24, 8, 40, 24, 0.8, 0], // centre (32, 16), size 16 × 16
      [32, 48, 48, 64, 0.7, 0], // centre (1.25 × 32, 1.75 × 32), size 16 × 16
    ]);
  });

  it('end-to-end: rows taken as they are, threshold and class filter applied', () => {
    const info: LayoutInfo = { layout: 'end2end', classCount: 0, anchors: 3 };
    const output = Float32Array.from([
      [10, 20, 30, 40, 0.95, 2],
      [50, 60, 70, 80, 0.5, 0],
      [0, 0, 0, 0, 0, 0], // padding row
    ].flat());
    const decoder = new Decoder(info, input640);
    expect(rows(decoder.decode(output, 0.25, undefined))).toEqual([
      [10, 20, 30, 40, 0.95, 2],
      [50, 60, 70, 80, 0.5, 0],
    ]);
    expect(rows(decoder.decode(output, 0.25, Uint8Array.from([1, 0, 0])))).toEqual([[50, 60, 70, 80, 0.5, 0]]);
  });
});
