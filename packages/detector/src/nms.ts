import type { Detection } from '@cctv/frame-buffer';

type Box = Detection['box'];

/** Intersection over union of two boxes; 0 when either is empty. */
export function intersectionOverUnion(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const intersection = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * Class-aware greedy non-maximum suppression: highest confidence first, a box is dropped when it
 * overlaps a kept box of the same class by more than `iouThreshold`. Returns the kept ones, best
 * first, at most `limit` of them.
 */
export function nonMaxSuppression<T extends Pick<Detection, 'classId' | 'confidence' | 'box'>>(detections: readonly T[], iouThreshold: number, limit = Infinity): T[] {
  const sorted = [...detections].sort((a, b) => b.confidence - a.confidence);
  const kept: T[] = [];
  for (const candidate of sorted) {
    if (kept.length >= limit) break;
    const overlapped = kept.some((k) => k.classId === candidate.classId && intersectionOverUnion(k.box, candidate.box) > iouThreshold);
    if (!overlapped) kept.push(candidate);
  }
  return kept;
}
