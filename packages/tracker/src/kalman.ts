import type { Box } from './geometry.ts';

/**
 * ByteTrack's noise levels are per frame of 30 fps video (MOT17); a step of elapsed time is
 * measured in these units, so the filter behaves as ByteTrack's at 30 fps and scales to any rate.
 */
export const KALMAN_STEP_MS = 1000 / 30;
/** ByteTrack's (and BoT-SORT's) weights: position and velocity noise as fractions of the box's size. */
const STD_POSITION = 1 / 20;
const STD_VELOCITY = 1 / 160;
const MIN_SIZE = 1;

/**
 * Constant-velocity Kalman filter on a box's centre, width and height (cx, cy, w, h and their
 * velocities), BoT-SORT's state (ByteTrack's is aspect and height; width fits boxes better).
 *
 * With ByteTrack's diagonal process and measurement noise, the 8-dimensional filter never couples
 * one coordinate with another: it is exactly four 1-D position/velocity filters, each with its own
 * 2×2 covariance. Written that way it does the same arithmetic as the 8×8 matrices without the
 * zeros. Noise on cx and w scales with the width, on cy and h with the height.
 */
export class BoxKalman {
  /** cx, cy, w, h, then their velocities in pixels per KALMAN_STEP_MS. */
  readonly mean = new Float64Array(8);
  /** Per coordinate i: variance of the position [3i], position–velocity covariance [3i+1], velocity variance [3i+2]. */
  readonly covariance = new Float64Array(12);

  constructor(box: Box) {
    const z = measurement(box);
    for (let i = 0; i < 4; i++) {
      const scale = z[i & 1 ? 3 : 2]!;
      this.mean[i] = z[i]!;
      this.covariance[3 * i] = (2 * STD_POSITION * scale) ** 2;
      this.covariance[3 * i + 2] = (10 * STD_VELOCITY * scale) ** 2;
    }
  }

  /**
   * Moves the state `elapsedMs` ahead. Process noise grows linearly with the elapsed time (a random
   * walk), so a gap of three frames is as uncertain as three predictions of one. `holdSize` stops
   * the width and height changing, as ByteTrack does for a track it has lost (else an unseen box
   * keeps growing or shrinks to nothing).
   */
  predict(elapsedMs: number, holdSize: boolean): void {
    const dt = Math.max(0, elapsedMs) / KALMAN_STEP_MS;
    if (dt === 0) return;
    const { mean, covariance: p } = this;
    if (holdSize) mean[6] = mean[7] = 0;
    const width = mean[2]!;
    const height = mean[3]!;
    for (let i = 0; i < 4; i++) {
      const scale = i & 1 ? height : width;
      const qPosition = (STD_POSITION * scale) ** 2 * dt;
      const qVelocity = (STD_VELOCITY * scale) ** 2 * dt;
      mean[i]! += mean[i + 4]! * dt;
      const [pp, pv, vv] = [p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!];
      p[3 * i] = pp + 2 * dt * pv + dt * dt * vv + qPosition;
      p[3 * i + 1] = pv + dt * vv;
      p[3 * i + 2] = vv + qVelocity;
    }
    mean[2] = Math.max(MIN_SIZE, mean[2]!);
    mean[3] = Math.max(MIN_SIZE, mean[3]!);
  }

  /** Corrects the state with a measured box. */
  update(box: Box): void {
    const z = measurement(box);
    const { mean, covariance: p } = this;
    const width = mean[2]!;
    const height = mean[3]!;
    for (let i = 0; i < 4; i++) {
      const r = (STD_POSITION * (i & 1 ? height : width)) ** 2;
      const [pp, pv, vv] = [p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!];
      const s = pp + r;
      const gainPosition = pp / s;
      const gainVelocity = pv / s;
      const innovation = z[i]! - mean[i]!;
      mean[i]! += gainPosition * innovation;
      mean[i + 4]! += gainVelocity * innovation;
      p[3 * i] = (1 - gainPosition) * pp;
      p[3 * i + 1] = (1 - gainPosition) * pv;
      p[3 * i + 2] = vv - gainVelocity * pv;
    }
    mean[2] = Math.max(MIN_SIZE, mean[2]!);
    mean[3] = Math.max(MIN_SIZE, mean[3]!);
  }

  /** The estimated box. */
  box(): Box {
    const [cx, cy, w, h] = this.mean as unknown as [number, number, number, number];
    return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
  }
}

function measurement(box: Box): [number, number, number, number] {
  const w = Math.max(MIN_SIZE, box.x2 - box.x1);
  const h = Math.max(MIN_SIZE, box.y2 - box.y1);
  return [(box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2, w, h];
}
