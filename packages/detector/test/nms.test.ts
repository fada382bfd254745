import { describe, expect, it } from 'vitest';
import { intersectionOverUnion, nonMaxSuppression } from '../src/index.ts';

const detection = (classId: number, confidence: number, x1: number, y1: number, x2: number, y2: number) => ({ classId, className: `c${classId}`, confidence, box: { x1, y1, x2, y2 } });

describe('intersectionOverUnion', () => {
  it('is 1 for the same box, 0 for disjoint or empty ones, and the ratio in between', () => {
    const box = { x1: 0, y1: 0, x2: 10, y2: 10 };
    expect(intersectionOverUnion(box, box)).toBe(1);
    expect(intersectionOverUnion(box, { x1: 10, y1: 0, x2: 20, y2: 10 })).toBe(0);
    expect(intersectionOverUnion(box, { x1: 5, y1: 5, x2: 5, y2: 5 })).toBe(0);
    expect(intersectionOverUnion(box, { x1: 5, y1: 0, x2: 15, y2: 10 })).toBeCloseTo(50 / 150);
  });
});

describe('nonMaxSuppression', () => {
  it('keeps the best of overlapping boxes of one class, best first', () => {
    const kept = nonMaxSuppression([detection(0, 0.6, 1, 1, 11, 11), detection(0, 0.9, 0, 0, 10, 10), detection(0, 0.8, 50, 50, 60, 60)], 0.45);
    expect(kept.map((d) => d.confidence)).toEqual([0.9, 0.8]);
  });

  it('never suppresses across classes', () => {
    const kept = nonMaxSuppression([detection(0, 0.9, 0, 0, 10, 10), detection(1, 0.8, 0, 0, 10, 10)], 0.45);
    expect(kept.map((d) => d.classId)).toEqual([0, 1]);
  });

  it('suppresses only above the IoU threshold', () => {
    // IoU of these two is 50 / 150 = 0.33.
    const boxes = [detection(0, 0.9, 0, 0, 10, 10), detection(0, 0.8, 5, 0, 15, 10)];
    expect(nonMaxSuppression(boxes, 0.45)).toHaveLength(2);
    expect(nonMaxSuppression(boxes, 0.3)).toHaveLength(1);
  });

  it('stops at the limit, keeping the best', () => {
    const boxes = [detection(0, 0.5, 0, 0, 10, 10), detection(1, 0.9, 0, 0, 10, 10), detection(2, 0.7, 0, 0, 10, 10)];
    expect(nonMaxSuppression(boxes, 0.45, 2).map((d) => d.confidence)).toEqual([0.9, 0.7]);
  });

  it('a suppressed box does not suppress others (greedy, in confidence order)', () => {
    // b overlaps a and c; a and c do not overlap: b goes, both a and c stay.
    const a = detection(0, 0.9, 0, 0, 10, 10);
    const b = detection(0, 0.8, 3, 0, 13, 10);
    const c = detection(0, 0.7, 8, 0, 18, 10);
    expect(nonMaxSuppression([c, b, a], 0.45)).toEqual([a, c]);
  });
});
