import type { Detection } from '@cctv/frame-buffer';
import { describe, expect, it } from 'vitest';
import { Tracker, type TrackEvent, type TrackerFrame } from '../src/index.ts';
import { bicycle, car, FRAME_MS, noise, person } from './scenes.ts';

/** Runs frames through a tracker: frame i at i × FRAME_MS unless `times` says otherwise. */
function run(tracker: Tracker, frames: ReadonlyArray<readonly Detection[]>, times?: readonly number[]): TrackerFrame[] {
  return frames.map((detections, i) => tracker.update(detections, times?.[i] ?? i * FRAME_MS));
}
const idsOf = (frame: TrackerFrame) => frame.detections.map((d) => d.trackId);
const allEvents = (frames: readonly TrackerFrame[]): TrackEvent[] => frames.flatMap((f) => f.events);

describe('Tracker', () => {
  it('gives an id only once a track is confirmed, and small ids counting from 1', () => {
    const tracker = new Tracker(); // framesToConfirm 3
    const frames = run(
      tracker,
      Array.from({ length: 5 }, (_, i) => [person(100 + 4 * i, 400), person(700 - 4 * i, 500)]),
    );
    expect(frames.map(idsOf)).toEqual([
      [null, null],
      [null, null],
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(frames[2]!.events.map((e) => [e.type, e.track.trackId, e.track.firstSeenAt, e.track.frames])).toEqual([
      ['new', 1, 0, 3],
      ['new', 2, 0, 3],
    ]);
    expect(frames[4]!.observations.map((o) => [o.trackId, o.className])).toEqual([
      [1, 'person'],
      [2, 'person'],
    ]);
  });

  it('never confirms a box seen for fewer frames than framesToConfirm (a flicker)', () => {
    const tracker = new Tracker();
    const frames = run(tracker, [[person(300, 300)], [person(302, 300)], [], [], [person(900, 300)], []]);
    expect(allEvents(frames)).toEqual([]);
    expect(frames.flatMap(idsOf).every((id) => id === null)).toBe(true);
  });

  it('keeps the id through a short occlusion: missing for 8 frames, back a little further on', () => {
    const tracker = new Tracker();
    const jitter = noise(7);
    // Walking right at 4 px a frame (60 px/s); hidden from frame 20 to 27 (~0.5 s), back at frame 28.
    const frames = run(
      tracker,
      Array.from({ length: 50 }, (_, i) => (i >= 20 && i < 28 ? [] : [person(200 + 4 * i + jitter(2), 500 + jitter(2))])),
    );
    const ids = new Set(frames.flatMap(idsOf).filter((id) => id !== null));
    expect([...ids]).toEqual([1]);
    expect(idsOf(frames[28]!)).toEqual([1]);
    expect(allEvents(frames).map((e) => e.type)).toEqual(['new']);
  });

  it('ends a track unseen for longer than maxAgeMs, with its story; a later object gets a new id', () => {
    const tracker = new Tracker({ maxAgeMs: 1000 });
    const seen = Array.from({ length: 10 }, (_, i) => [person(300 + i, 400, i === 6 ? 0.95 : 0.8)]);
    const frames = run(tracker, [...seen, ...Array.from({ length: 16 }, () => []), ...Array.from({ length: 3 }, () => [person(300, 400)])]);
    const ends = allEvents(frames).filter((e) => e.type === 'end');
    expect(ends).toHaveLength(1);
    // Ended on the first frame more than maxAge after the last sighting (frame 9).
    const firstPastMaxAge = frames.findIndex((f) => f.at - 9 * FRAME_MS > 1000);
    expect(frames.findIndex((f) => f.events.some((e) => e.type === 'end'))).toBe(firstPastMaxAge);
    expect(ends[0]!.track).toMatchObject({ trackId: 1, className: 'person', firstSeenAt: 0, lastSeenAt: 9 * FRAME_MS, frames: 10, bestConfidence: 0.95 });
    expect(ends[0]!.track.best.at).toBe(6 * FRAME_MS);
    expect(idsOf(frames.at(-1)!)).toEqual([2]);
  });

  it('keeps two people’s ids when their paths cross', () => {
    const tracker = new Tracker();
    const jitter = noise(3);
    // One walks right, the other left, along nearly the same row: their boxes overlap for ~10 frames.
    const frames = run(
      tracker,
      Array.from({ length: 60 }, (_, i) => [person(200 + 10 * i + jitter(3), 500 + jitter(2)), person(800 - 10 * i + jitter(3), 510 + jitter(2))]),
    );
    const rightward = frames.slice(3).map((f) => f.detections[0]!.trackId);
    const leftward = frames.slice(3).map((f) => f.detections[1]!.trackId);
    expect(new Set(rightward)).toEqual(new Set([1]));
    expect(new Set(leftward)).toEqual(new Set([2]));
  });

  it('keeps a track alive on low-score boxes (ByteTrack’s point); without the second association it would end', () => {
    // Confident for 10 frames, then half hidden at 0.3 for 40 frames (2.7 s, beyond maxAge), then confident again.
    const confidence = (i: number) => (i >= 10 && i < 50 ? 0.3 : 0.85);
    const scene = Array.from({ length: 60 }, (_, i) => [person(200 + 3 * i, 450, confidence(i))]);
    const byteTrack = run(new Tracker(), scene);
    expect(new Set(byteTrack.slice(3).flatMap(idsOf))).toEqual(new Set([1]));
    expect(allEvents(byteTrack).map((e) => e.type)).toEqual(['new']);

    const highOnly = run(new Tracker({ lowThreshold: 0.5 }), scene);
    expect(allEvents(highOnly).map((e) => `${e.type} ${e.track.trackId}`)).toEqual(['new 1', 'end 1', 'new 2']);
  });

  it('starts no track from a low-score box, however long it stays', () => {
    const tracker = new Tracker();
    const frames = run(tracker, Array.from({ length: 30 }, (_, i) => [person(400 + i, 300, 0.45), person(900, 300, 0.55)]));
    expect(allEvents(frames)).toEqual([]);
    expect(frames.flatMap(idsOf).every((id) => id === null)).toBe(true);
  });

  it('matches only boxes of a track’s own class: a rider and their bicycle keep apart', () => {
    const tracker = new Tracker();
    // The bicycle's box sits inside the rider's; in frames 10–14 the rider is missed.
    const frames = run(
      tracker,
      Array.from({ length: 25 }, (_, i) => {
        const x = 200 + 8 * i;
        return i >= 10 && i < 15 ? [bicycle(x, 500)] : [person(x, 500), bicycle(x, 500)];
      }),
    );
    for (const frame of frames.slice(3)) {
      for (const d of frame.detections) expect(d.trackId).toBe(d.className === 'person' ? 1 : 2);
    }
    expect(frames.slice(3).flatMap((f) => f.observations.map((o) => `${o.trackId} ${o.className}`))).not.toContain('1 bicycle');
  });

  it('follows objects seen at uneven intervals (detection at its own rate)', () => {
    const tracker = new Tracker();
    const jitter = noise(11);
    // A car at 300 px/s, detection frames 40 to 250 ms apart.
    const times: number[] = [0];
    while (times.length < 40) times.push(times.at(-1)! + 40 + Math.abs(jitter(210)));
    const frames = run(
      tracker,
      times.map((t) => [car(100 + 0.3 * t, 600)]),
      times,
    );
    expect(new Set(frames.slice(3).flatMap(idsOf))).toEqual(new Set([1]));
  });

  it('follows a walking person seen only 3 times a second (a detector shared by cameras): boxes buffered by elapsed time', () => {
    // 160 px tall, 64 wide, walking 0.8 body heights a second: 43 px between detections, two
    // thirds of the box's width. Plain IoU of consecutive boxes is 0.2; × confidence 0.8 = 0.16,
    // under the 0.3 a tentative track needs, so plain ByteTrack never confirms it. Widened by a
    // third on each side (1 per second × 333 ms), the IoU is 0.5.
    const times = Array.from({ length: 30 }, (_, i) => (i * 1000) / 3);
    const scene = times.map((t) => [person(100 + 0.128 * t, 400, 0.8, { w: 64, h: 160 })]);
    const buffered = run(new Tracker(), scene, times);
    expect(new Set(buffered.slice(2).flatMap(idsOf))).toEqual(new Set([1]));
    const plain = run(new Tracker({ bufferPerSecond: 0 }), scene, times);
    expect(allEvents(plain)).toEqual([]);
  });

  it('marks the best moment (largest × most confident) and reports it in the events', () => {
    const tracker = new Tracker({ maxAgeMs: 200 });
    // Walks towards the camera (grows) until frame 12, then away (shrinks).
    const height = (i: number) => 100 + 10 * (12 - Math.abs(12 - i));
    const frames = run(tracker, [...Array.from({ length: 25 }, (_, i) => [person(500, 400 + i, 0.8, { h: height(i) })]), [], [], [], [], []]);
    const flagged = frames.flatMap((f, i) => (f.observations[0]?.isBest ? [i] : []));
    // From frame 2, when the track is confirmed and first observed, to the largest box at frame 12.
    expect(flagged).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const end = allEvents(frames).find((e) => e.type === 'end')!;
    expect(end.track.best).toEqual({ at: 12 * FRAME_MS, box: person(500, 412, 0.8, { h: 220 }).box, confidence: 0.8 });
    // Confirmed on its first frame, a track's first observation is its best moment so far.
    const immediate = new Tracker({ framesToConfirm: 1 }).update([person(100, 100)], 0);
    expect(immediate.observations.map((o) => [o.trackId, o.isBest])).toEqual([[1, true]]);
  });

  it('flush() ends every confirmed track at once', () => {
    const tracker = new Tracker();
    run(tracker, Array.from({ length: 4 }, () => [person(100, 300), car(600, 500), person(900, 300)]));
    tracker.update([person(1200, 100)], 5 * FRAME_MS);
    expect(tracker.flush().map((e) => `${e.type} ${e.track.trackId} ${e.track.className}`)).toEqual(['end 1 person', 'end 2 car', 'end 3 person']);
    expect(tracker.flush()).toEqual([]);
  });

  it('refuses settings out of range, naming the setting', () => {
    expect(() => new Tracker({ highThreshold: 1.5 })).toThrow(/tracker settings: \/highThreshold: .*1\.5/);
    expect(() => new Tracker({ lowThreshold: 0.6, highThreshold: 0.5 })).toThrow(/lowThreshold 0.6 is above highThreshold 0.5/);
    expect(() => new Tracker({ framesToConfirm: 0 })).toThrow(/framesToConfirm/);
    expect(() => new Tracker({ maxAge: 3 } as never)).toThrow(/tracker settings/);
    expect(() => new Tracker().update([], Number.NaN)).toThrow(/frame time must be a finite number/);
    expect(new Tracker().settings).toEqual({ highThreshold: 0.5, lowThreshold: 0.1, newTrackThreshold: 0.6, matchScore: 0.2, lowMatchIou: 0.5, bufferPerSecond: 1, framesToConfirm: 3, maxAgeMs: 1500 });
  });
});
