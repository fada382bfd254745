import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { Counter, CountsSnapshotSchema, LineSchema, localDayKey, ZoneSchema } from '../src/index.ts';
import { straight, walks } from './scenes.ts';

const lines = [
  { name: 'entrance', from: [400, 0], to: [400, 576], classes: ['person'] },
  { name: 'road', from: [0, 650], to: [1280, 650] },
] as const satisfies Array<{ name: string; from: [number, number]; to: [number, number]; classes?: string[] }>;
const zones = [{ name: 'counter', points: [[100, 300], [500, 300], [500, 570], [100, 570]] as [number, number][] }];

describe('Counter: counts, snapshot and restore', () => {
  it('snapshot is plain JSON that restore reads back into a new counter; unknown names are ignored', () => {
    const counter = new Counter({ lines: [...lines], zones }, { zoneEnterMs: 0 });
    const frames = walks([
      { id: 1, path: straight([300, 320], [500, 320], 20) },
      { id: 2, className: 'car', path: straight([800, 600], [800, 700], 10) },
      { id: 3, path: straight([450, 400], [300, 400], 10) },
    ]);
    for (const frame of frames) counter.update(frame);
    const snapshot = JSON.parse(JSON.stringify(counter.snapshot()));
    expect(snapshot).toEqual({
      lines: { entrance: { in: { person: 1 }, out: { person: 1 } }, road: { in: {}, out: { car: 1 } } },
      zones: { counter: { entered: { person: 2 } } },
    });
    expect(Value.Check(CountsSnapshotSchema, snapshot)).toBe(true);

    const restarted = new Counter({ lines: [lines[0]], zones });
    restarted.restore({ ...snapshot, lines: { ...snapshot.lines, gone: { in: { person: 9 }, out: {} } } });
    expect(restarted.snapshot()).toEqual({ lines: { entrance: snapshot.lines.entrance }, zones: snapshot.zones });
    restarted.resetCounts();
    expect(restarted.snapshot()).toEqual({ lines: { entrance: { in: {}, out: {} } }, zones: { counter: { entered: {} } } });
  });

  it('restore refuses what is not a snapshot', () => {
    const counter = new Counter({ lines: [...lines] });
    expect(() => counter.restore({ lines: { entrance: { in: { person: -1 }, out: {} } }, zones: {} })).toThrow(/counts snapshot: \/lines\/entrance\/in\/person/);
    expect(() => counter.restore('yesterday')).toThrow(/counts snapshot/);
  });

  it('refuses lines and zones that cannot count, naming them', () => {
    expect(() => new Counter({ lines: [{ name: 'dot', from: [5, 5], to: [5, 5] }] })).toThrow(/line "dot": from and to are the same point/);
    expect(() => new Counter({ lines: [lines[0], lines[0]] })).toThrow(/line "entrance" is named twice/);
    expect(() => new Counter({ zones: [{ name: 'flat', points: [[0, 0], [10, 10], [20, 20]] }] })).toThrow(/zone "flat": its points enclose no area/);
    expect(() => new Counter({ zones: [{ name: 'two', points: [[0, 0], [10, 10]] }] })).toThrow(/counting areas: \/zones\/0\/points/);
    expect(() => new Counter({ lines: [{ name: 'x', from: [0, 0], to: [1, 1], colour: 'red' } as never] })).toThrow(/counting areas: \/lines\/0/);
    expect(() => new Counter({}, { lineFrames: 0 })).toThrow(/counter settings: \/lineFrames/);
  });

  it('the exported schemas take the config shapes the server accepts', () => {
    expect(Value.Check(LineSchema, { name: 'entrance', from: [400, 0], to: [400, 576], classes: ['person'] })).toBe(true);
    expect(Value.Check(LineSchema, { name: 'entrance', from: [400, 0], to: [400, 576] })).toBe(true);
    expect(Value.Check(ZoneSchema, { name: 'counter', points: [[100, 300], [500, 300], [500, 570], [100, 570]], classes: ['person'] })).toBe(true);
    expect(Value.Check(LineSchema, { name: 'entrance', from: [400], to: [400, 576] })).toBe(false);
  });
});

describe('localDayKey', () => {
  it('is the calendar day in the given time zone, changing at its midnight', () => {
    const utcMidnight = Date.UTC(2026, 2, 1); // 2026-03-01T00:00Z
    expect(localDayKey(utcMidnight - 1, 'UTC')).toBe('2026-02-28');
    expect(localDayKey(utcMidnight, 'UTC')).toBe('2026-03-01');
    expect(localDayKey(utcMidnight, 'America/New_York')).toBe('2026-02-28'); // 19:00 the day before
    expect(localDayKey(utcMidnight + 5 * 3600_000, 'America/New_York')).toBe('2026-03-01');
  });

  it('defaults to the machine’s time zone and now', () => {
    const now = new Date();
    const expected = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    expect(localDayKey()).toBe(expected);
  });
});
