/** An axis-aligned box in image pixels (y down), as detections carry it. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export type Point = readonly [x: number, y: number];

export function boxArea(box: Box): number {
  return Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1);
}

/** Intersection over union of two boxes; 0 when either is empty. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const intersection = w * h;
  const union = boxArea(a) + boxArea(b) - intersection;
  return union > 0 ? intersection / union : 0;
}

/** The bottom-centre of a box: where a standing person's feet or a vehicle's wheels touch the ground. */
export function bottomCentre(box: Box): Point {
  return [(box.x1 + box.x2) / 2, box.y2];
}

/**
 * Signed distance in pixels from the line through `from`→`to` to `p`: (d × (p − from)) / |d| with
 * d = to − from, the 2-D cross product in image coordinates (y down). Positive and negative are
 * the line's two sides; see the README's direction rule.
 */
export function signedDistance(from: Point, to: Point, p: Point): number {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  return (dx * (p[1] - from[1]) - dy * (p[0] - from[0])) / Math.hypot(dx, dy);
}

/**
 * Where the move a→b meets the line from→to, as a fraction along from→to (0 at `from`, 1 at
 * `to`); a and b must lie on opposite sides. The crossing counts only for a fraction in [0, 1].
 */
export function crossingFraction(from: Point, to: Point, a: Point, b: Point): number {
  const da = signedDistance(from, to, a);
  const db = signedDistance(from, to, b);
  const t = da / (da - db);
  const x = a[0] + (b[0] - a[0]) * t;
  const y = a[1] + (b[1] - a[1]) * t;
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  return ((x - from[0]) * dx + (y - from[1]) * dy) / (dx * dx + dy * dy);
}

/** Even-odd rule (a ray to +x); a point exactly on an edge may fall either way. */
export function insidePolygon(points: readonly Point[], p: Point): boolean {
  const [x, y] = p;
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i]!;
    const [xj, yj] = points[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
