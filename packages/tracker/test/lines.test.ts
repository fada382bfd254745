import { describe, expect, it } from 'vitest';
import { Counter, signedDistance, Tracker, type CountEvent, type CounterSettings, type LineConfig, type TrackerFrame } from '../src/index.ts';
import { car, FRAME_MS, noise, person, straight, walks } from './scenes.ts';

const ENTRANCE: LineConfig = { name: 'entrance', from: [400, 0], to: [400, 576], classes: ['person'] };

function count(lines: LineConfig[], frames: readonly TrackerFrame[], settings: Partial<CounterSettings> = {}): { events: CountEvent[]; counter: Counter } {
  const counter = new Counter({ lines }, settings);
  return { events: frames.flatMap((f) => counter.update(f)), counter };
}
const crossings = (events: readonly CountEvent[]) => events.map((e) => (e.type === 'crossing' ? `${e.trackId} ${e.direction}` : `${e.trackId} ${e.type}`));

describe('line crossing', () => {
  it('direction: for from [400, 0] to [400, 576], left → right is `in`', () => {
    // d = to − from = (0, 576). Feet at p = (300, 288), left of the line: p − from = (−100, 288);
    // d × (p − from) = dx·py − dy·px = 0·288 − 576·(−100) = +57 600: the positive side.
    // At p = (500, 288): 0·288 − 576·100 = −57 600: the negative side. Positive → negative is `in`.
    expect(Math.sign(signedDistance([400, 0], [400, 576], [300, 288]))).toBe(1);
    expect(Math.sign(signedDistance([400, 0], [400, 576], [500, 288]))).toBe(-1);
    const rightward = count([ENTRANCE], walks([{ id: 1, path: straight([300, 288], [500, 288], 20) }]));
    expect(rightward.events).toEqual([{ type: 'crossing', line: 'entrance', direction: 'in', trackId: 1, classId: 0, className: 'person', at: expect.any(Number) }]);
    const leftward = count([ENTRANCE], walks([{ id: 1, path: straight([500, 288], [300, 288], 20) }]));
    expect(crossings(leftward.events)).toEqual(['1 out']);
    expect(rightward.counter.snapshot().lines).toEqual({ entrance: { in: { person: 1 }, out: {} } });
  });

  it('counts the crossing when the feet are clearly over (margin, then lineFrames observations)', () => {
    // Steps of 10 px from x = 300: x = 400 at frame 10, 410 at 11 (beyond the 8 px margin), 420 at 12.
    const { events } = count([ENTRANCE], walks([{ id: 1, path: straight([300, 300], [500, 300], 20) }]));
    expect(events.map((e) => e.at)).toEqual([12 * FRAME_MS]);
  });

  it('jitter on the line counts once: feet wobbling across it for 2 s, then walking on', () => {
    const wobble = noise(5);
    const path = [
      ...straight([300, 300], [400, 300], 10),
      ...Array.from({ length: 30 }, (_, i): [number, number] => [400 + (i % 2 ? 7 : -7) + wobble(1), 300 + wobble(3)]), // ±7 px: inside the margin
      ...Array.from({ length: 20 }, (_, i): [number, number] => [400 + (i % 2 ? 14 : -14), 300]), // ±14 px: over it, but never twice in a row on one side
      ...straight([400, 300], [500, 300], 10),
    ];
    const { events, counter } = count([ENTRANCE], walks([{ id: 1, path }]));
    expect(crossings(events)).toEqual(['1 in']);
    expect(counter.snapshot().lines.entrance).toEqual({ in: { person: 1 }, out: {} });
  });

  it('back and forth counts in, then out, then in again: each crossing back re-arms the other direction', () => {
    const path = [...straight([300, 300], [500, 300], 10), ...straight([500, 300], [300, 300], 10), ...straight([300, 300], [500, 300], 10)];
    const { events, counter } = count([ENTRANCE], walks([{ id: 1, path }]));
    expect(crossings(events)).toEqual(['1 in', '1 out', '1 in']);
    expect(counter.snapshot().lines.entrance).toEqual({ in: { person: 2 }, out: { person: 1 } });
  });

  it('an occlusion across the line is a crossing: last seen on one side, back with the same id on the other', () => {
    const path = [...straight([300, 300], [380, 300], 8), ...Array.from({ length: 12 }, () => undefined), ...straight([430, 300], [500, 300], 7)];
    const { events } = count([ENTRANCE], walks([{ id: 1, path }]));
    expect(crossings(events)).toEqual(['1 in']);
  });

  it('two people crossing side by side count two', () => {
    const { events, counter } = count(
      [ENTRANCE],
      walks([
        { id: 1, path: straight([300, 250], [500, 250], 20) },
        { id: 2, path: straight([300, 330], [500, 330], 20) },
      ]),
    );
    expect(crossings(events).sort()).toEqual(['1 in', '2 in']);
    expect(counter.snapshot().lines.entrance!.in).toEqual({ person: 2 });
  });

  it('an id switch at the line counts nothing: the old track never reached the far side, the new one was never on the near side', () => {
    // Track 7 walks up to x = 396 and ends; track 8 begins at x = 404 and walks on. The counter
    // cannot tell this from one person who turned back and another who stepped out of a doorway
    // on the far side; counting a track that is first seen past the line would count every such
    // person. So an id switch costs one missed crossing, never a double count; keeping the id
    // across the gap is the tracker's job (its lost-track buffer).
    const { events } = count(
      [ENTRANCE],
      walks([
        { id: 7, path: straight([300, 300], [396, 300], 12), endAfter: 2 },
        { id: 8, path: [...Array.from({ length: 13 }, () => undefined), ...straight([404, 300], [500, 300], 12)] },
      ]),
    );
    expect(events).toEqual([]);
  });

  it('passing beyond the ends of the segment does not count; through it does', () => {
    const door: LineConfig = { name: 'door', from: [400, 100], to: [400, 300] };
    const below = count([door], walks([{ id: 1, path: straight([300, 400], [500, 400], 20) }]));
    expect(below.events).toEqual([]);
    const above = count([door], walks([{ id: 1, path: straight([300, 50], [500, 50], 20) }]));
    expect(above.events).toEqual([]);
    const through = count([door], walks([{ id: 1, path: straight([300, 290], [500, 290], 20) }]));
    expect(crossings(through.events)).toEqual(['1 in']);
    // Diagonal, entering the strip only after crossing the line's extension: no count.
    const around = count([door], walks([{ id: 1, path: straight([380, 340], [480, 240], 20) }]));
    expect(around.events).toEqual([]);
  });

  it('one count per direction until it crosses back through the segment: going round the end and through again does not count twice', () => {
    const door: LineConfig = { name: 'door', from: [400, 100], to: [400, 300] };
    const path = [
      ...straight([300, 200], [500, 200], 10), // through: in
      ...straight([500, 200], [500, 400], 10),
      ...straight([500, 400], [300, 400], 10), // back round the end, below the segment: not counted
      ...straight([300, 400], [300, 200], 10),
      ...straight([300, 200], [500, 200], 10), // through again, same direction: not counted
      ...straight([500, 200], [300, 200], 10), // back through: out
    ];
    const { events } = count([door], walks([{ id: 1, path }]));
    expect(crossings(events)).toEqual(['1 in', '1 out']);
  });

  it('a diagonal line', () => {
    // from (0, 0) to (600, 600): d = (600, 600). At p = (100, 300): 600·300 − 600·100 = +120 000
    // (positive); at p = (300, 100): 600·100 − 600·300 = −120 000 (negative). So moving up and to
    // the right across it, (100, 300) → (300, 100), is `in`.
    const diagonal: LineConfig = { name: 'diagonal', from: [0, 0], to: [600, 600] };
    expect(Math.sign(signedDistance([0, 0], [600, 600], [100, 300]))).toBe(1);
    const { events } = count([diagonal], walks([{ id: 1, path: [...straight([100, 300], [300, 100], 20), ...straight([300, 100], [100, 300], 20)] }]));
    expect(crossings(events)).toEqual(['1 in', '1 out']);
    const beyond = count([diagonal], walks([{ id: 1, path: straight([650, 750], [750, 650], 20) }]));
    expect(beyond.events).toEqual([]);
  });

  it('counts only the classes a line names; none named: every class', () => {
    const frames = walks([
      { id: 1, className: 'car', path: straight([300, 300], [500, 300], 20) },
      { id: 2, path: straight([300, 200], [500, 200], 20) },
    ]);
    expect(crossings(count([ENTRANCE], frames).events)).toEqual(['2 in']);
    const everything = count([{ name: 'all', from: [400, 0], to: [400, 576] }], frames);
    expect(everything.counter.snapshot().lines.all).toEqual({ in: { car: 1, person: 1 }, out: {} });
  });

  it('with the tracker: people walking through boxes with noise, one missed for a while, count once each', () => {
    const tracker = new Tracker();
    const counter = new Counter({ lines: [ENTRANCE, { name: 'road', from: [0, 650], to: [1280, 650], classes: ['car'] }] });
    const jitter = noise(21);
    const events: CountEvent[] = [];
    for (let i = 0; i < 90; i++) {
      const detections = [
        person(200 + 5 * i + jitter(3), 300 + jitter(3)), // left → right across x = 400 at frame 40
        ...(i >= 36 && i < 44 ? [] : [person(650 - 4 * i + jitter(3), 450 + jitter(3))]), // right → left, hidden around x = 490
        car(300 + jitter(4), 560 + 2 * i + jitter(3)), // down across y = 650 at frame 45
      ];
      events.push(...counter.update(tracker.update(detections, i * FRAME_MS)));
    }
    expect(events.map((e) => (e.type === 'crossing' ? `${e.line} ${e.className} ${e.direction}` : e.type)).sort()).toEqual(['entrance person in', 'entrance person out', 'road car out']);
  });
});
