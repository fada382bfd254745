import { describe, expect, it } from 'vitest';
import { BoxKalman, KALMAN_STEP_MS } from '../src/kalman.ts';

/** A 40×100 box whose centre is at (x, y). */
const boxAt = (x: number, y: number, w = 40, h = 100) => ({ x1: x - w / 2, y1: y - h / 2, x2: x + w / 2, y2: y + h / 2 });
const centre = (b: { x1: number; y1: number; x2: number; y2: number }) => [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2] as const;

describe('BoxKalman', () => {
  it('starts at the measured box, at rest', () => {
    const filter = new BoxKalman(boxAt(100, 200));
    expect(filter.box()).toEqual(boxAt(100, 200));
    filter.predict(500, false);
    expect(filter.box()).toEqual(boxAt(100, 200));
  });

  it('learns a constant velocity and predicts the next position', () => {
    // 150 px/s to the right, 60 px/s down, seen at 15 fps.
    const filter = new BoxKalman(boxAt(100, 200));
    let at = 0;
    for (let frame = 1; frame <= 20; frame++) {
      filter.predict(1000 / 15, false);
      at = (frame * 1000) / 15;
      filter.update(boxAt(100 + 0.15 * at, 200 + 0.06 * at));
    }
    filter.predict(1000 / 15, false);
    const [x, y] = centre(filter.box());
    const next = at + 1000 / 15;
    expect(x).toBeCloseTo(100 + 0.15 * next, 0);
    expect(y).toBeCloseTo(200 + 0.06 * next, 0);
    // Velocity is kept per KALMAN_STEP_MS (1/30 s): 150 px/s is 5 px a step.
    expect(filter.mean[4]).toBeCloseTo(0.15 * KALMAN_STEP_MS, 1);
  });

  it('steps by elapsed time: frames at uneven intervals predict as well as even ones', () => {
    const gaps = [40, 250, 66, 120, 33, 200, 90, 66, 300, 50, 70, 140];
    const filter = new BoxKalman(boxAt(0, 300));
    let at = 0;
    for (const gap of gaps) {
      filter.predict(gap, false);
      at += gap;
      filter.update(boxAt(0.2 * at, 300));
    }
    filter.predict(400, false);
    expect(centre(filter.box())[0]).toBeCloseTo(0.2 * (at + 400), -1); // within 5 px after a 0.4 s blind step
  });

  it('grows more uncertain the longer it goes unseen', () => {
    const short = new BoxKalman(boxAt(0, 0));
    const long = new BoxKalman(boxAt(0, 0));
    short.predict(KALMAN_STEP_MS, false);
    long.predict(10 * KALMAN_STEP_MS, false);
    expect(long.covariance[0]).toBeGreaterThan(5 * short.covariance[0]!);
  });

  it('holds the size of a track it has lost, as ByteTrack does', () => {
    const filter = new BoxKalman(boxAt(100, 100, 40, 100));
    for (let i = 1; i <= 10; i++) {
      filter.predict(KALMAN_STEP_MS, false);
      filter.update(boxAt(100, 100, 40 - 2 * i, 100 - 5 * i));
    }
    const before = filter.box();
    filter.predict(30 * KALMAN_STEP_MS, true);
    const after = filter.box();
    expect(after.x2 - after.x1).toBeCloseTo(before.x2 - before.x1, 6);
    expect(after.y2 - after.y1).toBeCloseTo(before.y2 - before.y1, 6);
    const unheld = new BoxKalman(before);
    expect(unheld.box().y2 - unheld.box().y1).toBeGreaterThan(1);
  });

  it('agrees with the full 8×8 filter (ByteTrack’s matrices, BoT-SORT’s xywh noise)', () => {
    const measurements = [boxAt(10, 20), boxAt(14, 21, 42, 104), boxAt(19, 23, 41, 101), boxAt(25, 22, 43, 99)];
    const gaps = [50, 120, 33];
    const fast = new BoxKalman(measurements[0]!);
    const reference = fullFilter(measurements[0]!);
    gaps.forEach((gap, i) => {
      fast.predict(gap, false);
      reference.predict(gap / KALMAN_STEP_MS);
      fast.update(measurements[i + 1]!);
      reference.update(measurements[i + 1]!);
    });
    for (let i = 0; i < 8; i++) expect(fast.mean[i]).toBeCloseTo(reference.mean[i]!, 9);
    for (let i = 0; i < 4; i++) {
      expect(fast.covariance[3 * i]).toBeCloseTo(reference.cov[i]![i]!, 9);
      expect(fast.covariance[3 * i + 1]).toBeCloseTo(reference.cov[i]![i + 4]!, 9);
      expect(fast.covariance[3 * i + 2]).toBeCloseTo(reference.cov[i + 4]![i + 4]!, 9);
      for (let j = 0; j < 4; j++) if (j !== i) expect(reference.cov[i]![j]).toBeCloseTo(0, 12);
    }
  });
});

/** The textbook filter with 8×8 matrices: x' = Fx, P' = FPFᵀ + Q·dt; K = PHᵀ(HPHᵀ + R)⁻¹. */
function fullFilter(box: { x1: number; y1: number; x2: number; y2: number }) {
  const [p, v] = [1 / 20, 1 / 160];
  const z = (b: typeof box) => [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2, b.x2 - b.x1, b.y2 - b.y1];
  const m0 = z(box);
  const mean = [...m0, 0, 0, 0, 0];
  const scale = (w: number, h: number) => [w, h, w, h];
  const s0 = scale(m0[2]!, m0[3]!);
  const cov = diag([...s0.map((s) => (2 * p * s) ** 2), ...s0.map((s) => (10 * v * s) ** 2)]);
  const self = {
    mean,
    cov,
    predict(dt: number) {
      const s = scale(self.mean[2]!, self.mean[3]!);
      const F = identity(8);
      for (let i = 0; i < 4; i++) F[i]![i + 4] = dt;
      self.mean = multiplyVector(F, self.mean);
      const Q = diag([...s.map((x) => (p * x) ** 2 * dt), ...s.map((x) => (v * x) ** 2 * dt)]);
      self.cov = add(multiply(multiply(F, self.cov), transpose(F)), Q);
    },
    update(b: typeof box) {
      const s = scale(self.mean[2]!, self.mean[3]!);
      const H = identity(8).slice(0, 4);
      const S = add(multiply(multiply(H, self.cov), transpose(H)), diag(s.map((x) => (p * x) ** 2)));
      const K = multiply(multiply(self.cov, transpose(H)), inverseDiagonal(S));
      const innovation = z(b).map((zi, i) => zi - self.mean[i]!);
      self.mean = self.mean.map((mi, i) => mi + K[i]!.reduce((sum, k, j) => sum + k * innovation[j]!, 0));
      self.cov = subtract(self.cov, multiply(multiply(K, S), transpose(K)));
    },
  };
  return self;
}
type Matrix = number[][];
const identity = (n: number): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const diag = (values: number[]): Matrix => values.map((x, i) => values.map((_, j) => (i === j ? x : 0)));
const transpose = (a: Matrix): Matrix => a[0]!.map((_, j) => a.map((row) => row[j]!));
const multiply = (a: Matrix, b: Matrix): Matrix => a.map((row) => b[0]!.map((_, j) => row.reduce((sum, x, k) => sum + x * b[k]![j]!, 0)));
const multiplyVector = (a: Matrix, x: number[]) => a.map((row) => row.reduce((sum, v, k) => sum + v * x[k]!, 0));
const add = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((x, j) => x + b[i]![j]!));
const subtract = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((x, j) => x - b[i]![j]!));
/** S is diagonal here (that is the point of the test above); asserts it and inverts it. */
function inverseDiagonal(s: Matrix): Matrix {
  s.forEach((row, i) => row.forEach((x, j) => i !== j && expect(x).toBeCloseTo(0, 12)));
  return s.map((row, i) => row.map((x, j) => (i === j ? 1 / x : 0)));
}
