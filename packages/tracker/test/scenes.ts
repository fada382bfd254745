// Synthetic scenes: boxes of people and things at given feet positions, frames at given times.
import type { Detection } from '@cctv/frame-buffer';
import type { TrackerFrame } from '../src/index.ts';

export const FRAME_MS = 1000 / 15;

/** A box whose bottom-centre (feet) is at (x, y). */
export function boxAtFeet(x: number, y: number, w = 60, h = 160) {
  return { x1: x - w / 2, y1: y - h, x2: x + w / 2, y2: y };
}

export function person(x: number, y: number, confidence = 0.85, size: { w?: number; h?: number } = {}): Detection {
  return { classId: 0, className: 'person', confidence, box: boxAtFeet(x, y, size.w, size.h) };
}

export function car(x: number, y: number, confidence = 0.85): Detection {
  return { classId: 2, className: 'car', confidence, box: boxAtFeet(x, y, 200, 120) };
}

export function bicycle(x: number, y: number, confidence = 0.8): Detection {
  return { classId: 1, className: 'bicycle', confidence, box: boxAtFeet(x, y, 70, 90) };
}

/** Deterministic noise in [-amplitude, amplitude] (a linear congruential generator). */
export function noise(seed: number): (amplitude: number) => number {
  let state = seed;
  return (amplitude) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31) * 2 * amplitude - amplitude;
  };
}

/**
 * Frames for the counter without the tracker: each `walk` is one confirmed track's feet positions
 * per frame (undefined: not seen in that frame); the track ends `endAfter` frames after its last
 * position (as the tracker would report it, maxAge later), or never.
 */
export function walks(tracks: ReadonlyArray<{ id: number; className?: string; path: ReadonlyArray<readonly [number, number] | undefined>; endAfter?: number }>, frameMs = FRAME_MS): TrackerFrame[] {
  const length = Math.max(...tracks.map((t) => t.path.length + (t.endAfter ?? 0) + 1));
  const frames: TrackerFrame[] = [];
  for (let f = 0; f < length; f++) {
    const at = f * frameMs;
    const frame: TrackerFrame = { at, detections: [], observations: [], events: [] };
    for (const { id, className = 'person', path, endAfter } of tracks) {
      const feet = path[f];
      if (feet) frame.observations.push({ trackId: id, classId: className === 'person' ? 0 : 2, className, box: boxAtFeet(feet[0], feet[1]), confidence: 0.9, isBest: false });
      const last = path.findLastIndex((p) => p !== undefined);
      if (endAfter !== undefined && f === last + endAfter) {
        const summary = { trackId: id, classId: 0, className, firstSeenAt: 0, lastSeenAt: last * frameMs, frames: 1, bestConfidence: 0.9, best: { at: 0, box: boxAtFeet(0, 0), confidence: 0.9 } };
        frame.events.push({ type: 'end', track: summary });
      }
    }
    frames.push(frame);
  }
  return frames;
}

/** Feet positions from a to b in `steps` equal steps (both ends included). */
export function straight(a: readonly [number, number], b: readonly [number, number], steps: number): Array<[number, number]> {
  return Array.from({ length: steps + 1 }, (_, i) => [a[0] + ((b[0] - a[0]) * i) / steps, a[1] + ((b[1] - a[1]) * i) / steps]);
}
