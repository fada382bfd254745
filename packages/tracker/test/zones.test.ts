import { describe, expect, it } from 'vitest';
import { Counter, type CountEvent, type ZoneConfig } from '../src/index.ts';
import { FRAME_MS, straight, walks } from './scenes.ts';

const COUNTER: ZoneConfig = { name: 'counter', points: [[100, 300], [500, 300], [500, 570], [100, 570]], classes: ['person'] };
const YARD: ZoneConfig = { name: 'yard', points: [[600, 100], [1200, 100], [900, 600]] };
const describeEvent = (e: CountEvent) => (e.type === 'crossing' ? `${e.trackId} crossing` : `${e.trackId} ${e.type} ${e.zone} @${Math.round(e.at / FRAME_MS)}`);
/** Frames standing still at `feet` for `frames` frames. */
const stay = (feet: readonly [number, number], frames: number) => Array.from({ length: frames }, () => feet);

describe('zones', () => {
  it('enters only after staying inside zoneEnterMs; a step in and out is not an entry', () => {
    const counter = new Counter({ zones: [COUNTER] }); // zoneEnterMs 500: 7.5 frames at 15 fps
    const path = [
      ...stay([50, 400], 5),
      ...stay([150, 400], 4), // inside for 4 frames (~270 ms): too short
      ...stay([50, 400], 5),
      ...stay([150, 400], 20), // inside from frame 14: entered at frame 22 (8 frames = 533 ms)
    ];
    const events = walks([{ id: 1, path }]).flatMap((f) => counter.update(f));
    expect(events.map(describeEvent)).toEqual(['1 enter counter @22']);
    expect(counter.occupancy()).toEqual({ counter: { person: 1 } });
  });

  it('leaves only after staying outside zoneLeaveMs; stepping over the edge for a moment is not leaving', () => {
    const counter = new Counter({ zones: [COUNTER] }, { zoneEnterMs: 0, zoneLeaveMs: 1000 });
    const path = [
      ...stay([300, 400], 3), // entered at once (zoneEnterMs 0), frame 0
      ...stay([300, 590], 10), // feet below the zone for 10 frames (667 ms): still in
      ...stay([300, 400], 3),
      ...straight([300, 400], [300, 700], 5), // out from frame 19 (y = 580): left at frame 34 (15 frames = 1 s)
      ...stay([300, 700], 20),
    ];
    const events = walks([{ id: 1, path }]).flatMap((f) => counter.update(f));
    expect(events.map(describeEvent)).toEqual(['1 enter counter @0', '1 leave counter @34']);
    expect(counter.occupancy()).toEqual({ counter: {} });
    expect(counter.snapshot().zones).toEqual({ counter: { entered: { person: 1 } } });
  });

  it('keeps live occupancy per class, only of the classes a zone names', () => {
    const counter = new Counter({ zones: [COUNTER, YARD] }, { zoneEnterMs: 0 });
    const frames = walks([
      { id: 1, path: stay([200, 400], 3) },
      { id: 2, path: stay([400, 500], 3) },
      { id: 3, className: 'car', path: stay([300, 450], 3) }, // in the counter's polygon, but not a person
      { id: 4, className: 'car', path: stay([900, 300], 3) },
      { id: 5, path: stay([900, 200], 3) },
      { id: 6, path: stay([650, 500], 3) }, // outside the yard's triangle
    ]);
    for (const frame of frames) counter.update(frame);
    expect(counter.occupancy()).toEqual({ counter: { person: 2 }, yard: { car: 1, person: 1 } });
  });

  it('a track that ends inside leaves, at the time it was last seen', () => {
    const counter = new Counter({ zones: [COUNTER] }, { zoneEnterMs: 0 });
    const frames = walks([{ id: 1, path: stay([200, 400], 6), endAfter: 22 }]);
    const events = frames.flatMap((f) => counter.update(f));
    expect(events.map(describeEvent)).toEqual(['1 enter counter @0', '1 leave counter @5']);
    expect(counter.occupancy()).toEqual({ counter: {} });
  });

  it('hidden (no observation) is neither in nor out: occupancy holds through an occlusion', () => {
    const counter = new Counter({ zones: [COUNTER] }, { zoneEnterMs: 0, zoneLeaveMs: 0 });
    const frames = walks([{ id: 1, path: [...stay([200, 400], 3), ...Array.from({ length: 15 }, () => undefined), ...stay([210, 400], 3)] }]);
    const occupancy = frames.map((f) => (counter.update(f), counter.occupancy().counter!.person ?? 0));
    expect(occupancy.every((n) => n === 1)).toBe(true);
  });
});
