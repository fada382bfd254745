import { Type as t } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { bottomCentre, crossingFraction, insidePolygon, signedDistance, type Point } from './geometry.ts';
import { CounterSettingsSchema, CountsSnapshotSchema, LineSchema, parseWithDefaults, ZoneSchema, type CounterSettings, type CountsSnapshot, type LineConfig, type ZoneConfig } from './schemas.ts';
import type { TrackerFrame } from './tracker.ts';

export type Direction = 'in' | 'out';

interface EventBase {
  trackId: number;
  classId: number;
  className: string;
  /** Frame time (ms) the event happened at. */
  at: number;
}
export type CrossingEvent = EventBase & { type: 'crossing'; line: string; direction: Direction };
export type ZoneEvent = EventBase & { type: 'enter' | 'leave'; zone: string };
export type CountEvent = CrossingEvent | ZoneEvent;

/** Where a counter's lines and zones are; both optional. */
export const CountingAreasSchema = t.Object(
  {
    lines: t.Array(LineSchema, { default: [], description: 'Counting lines, in the camera’s pixels.' }),
    zones: t.Array(ZoneSchema, { default: [], description: 'Zones, in the camera’s pixels.' }),
  },
  { additionalProperties: false },
);
export interface CountingAreas {
  lines?: LineConfig[];
  zones?: ZoneConfig[];
}

type Side = 1 | -1 | 0;

/** One track's standing with one line. */
interface LineTrack {
  /** The side it was last clearly on for `lineFrames` observations; 0 until known. */
  side: Side;
  /** Its last anchor on that side (the start of the move that may cross). */
  lastOnSide: Point | undefined;
  /** The other side it is now clearly on, for `pendingFrames` observations in a row, from `pendingFrom`. */
  pendingSide: Side;
  pendingFrames: number;
  pendingFrom: Point | undefined;
  lastCounted: Direction | undefined;
}

/** One track's standing with one zone. */
interface ZoneTrack {
  className: string;
  inside: boolean;
  /** Since when every observation has disagreed with `inside`; undefined while they agree. */
  changingSince: number | undefined;
}

interface Line {
  config: LineConfig;
  classes: ReadonlySet<string>;
  tracks: Map<number, LineTrack>;
  counts: { in: Record<string, number>; out: Record<string, number> };
}

interface Zone {
  config: ZoneConfig;
  classes: ReadonlySet<string>;
  tracks: Map<number, ZoneTrack>;
  entered: Record<string, number>;
}

/**
 * Line crossings and zone presence, decided on confirmed tracks' bottom-centre (feet) with
 * hysteresis; counts per line, direction and class, kept in memory, with a JSON snapshot.
 *
 * Feed it every `TrackerFrame` in order. Direction: with d = to − from, the feet at p are on side
 * sign(d × (p − from)); positive → negative is `in`, negative → positive `out`.
 */
export class Counter {
  readonly settings: Readonly<CounterSettings>;
  private readonly lines: Line[];
  private readonly zones: Zone[];

  /** @throws TypeError naming the line, zone or setting that is wrong. */
  constructor(areas: CountingAreas, settings: Partial<CounterSettings> = {}) {
    const parsed = parseWithDefaults(CountingAreasSchema, areas, 'counting areas');
    this.settings = Object.freeze(parseWithDefaults(CounterSettingsSchema, settings, 'counter settings'));
    uniqueNames(parsed.lines, 'line');
    uniqueNames(parsed.zones, 'zone');
    for (const line of parsed.lines) {
      if (line.from[0] === line.to[0] && line.from[1] === line.to[1]) throw new TypeError(`line "${line.name}": from and to are the same point`);
    }
    for (const zone of parsed.zones) if (polygonArea(zone.points) === 0) throw new TypeError(`zone "${zone.name}": its points enclose no area`);
    this.lines = parsed.lines.map((config) => ({ config, classes: new Set(config.classes), tracks: new Map(), counts: { in: {}, out: {} } }));
    this.zones = parsed.zones.map((config) => ({ config, classes: new Set(config.classes), tracks: new Map(), entered: {} }));
  }

  /** Takes the tracker's frame; returns the crossings, entries and exits it caused, in order. */
  update(frame: Pick<TrackerFrame, 'at' | 'observations' | 'events'>): CountEvent[] {
    const events: CountEvent[] = [];
    for (const o of frame.observations) {
      const anchor = bottomCentre(o.box);
      const base: EventBase = { trackId: o.trackId, classId: o.classId, className: o.className, at: frame.at };
      for (const line of this.lines) {
        if (!watches(line.classes, o.className)) continue;
        const direction = this.observeLine(line, o.trackId, anchor);
        if (!direction) continue;
        line.counts[direction][o.className] = (line.counts[direction][o.className] ?? 0) + 1;
        events.push({ type: 'crossing', line: line.config.name, direction, ...base });
      }
      for (const zone of this.zones) {
        if (!watches(zone.classes, o.className)) continue;
        const change = this.observeZone(zone, o.trackId, o.className, anchor, frame.at);
        if (change === 'enter') zone.entered[o.className] = (zone.entered[o.className] ?? 0) + 1;
        if (change) events.push({ type: change, zone: zone.config.name, ...base });
      }
    }
    for (const event of frame.events) {
      if (event.type !== 'end') continue;
      const { trackId, classId, className, lastSeenAt } = event.track;
      for (const line of this.lines) line.tracks.delete(trackId);
      for (const zone of this.zones) {
        if (zone.tracks.get(trackId)?.inside) events.push({ type: 'leave', zone: zone.config.name, trackId, classId, className, at: lastSeenAt });
        zone.tracks.delete(trackId);
      }
    }
    return events;
  }

  /** Objects in each zone now, by class: { counter: { person: 2 } }. */
  occupancy(): Record<string, Record<string, number>> {
    const result: Record<string, Record<string, number>> = {};
    for (const zone of this.zones) {
      const byClass: Record<string, number> = {};
      for (const { inside, className } of zone.tracks.values()) if (inside) byClass[className] = (byClass[className] ?? 0) + 1;
      result[zone.config.name] = byClass;
    }
    return result;
  }

  /** The counts as plain JSON: per line `in`/`out` by class, per zone `entered` by class. */
  snapshot(): CountsSnapshot {
    return {
      lines: Object.fromEntries(this.lines.map((l) => [l.config.name, { in: { ...l.counts.in }, out: { ...l.counts.out } }])),
      zones: Object.fromEntries(this.zones.map((z) => [z.config.name, { entered: { ...z.entered } }])),
    };
  }

  /**
   * Puts back counts from a snapshot (e.g. read from today's file after a restart). Lines and
   * zones it names that this counter does not have are ignored; the ones it lacks start at 0.
   * @throws TypeError when the value is not a snapshot.
   */
  restore(snapshot: unknown): void {
    if (!Value.Check(CountsSnapshotSchema, snapshot)) {
      const error = Value.Errors(CountsSnapshotSchema, snapshot).First();
      throw new TypeError(`counts snapshot: ${error?.path || '(top level)'}: ${error?.message}`);
    }
    for (const line of this.lines) {
      const saved = snapshot.lines[line.config.name];
      line.counts = { in: { ...saved?.in }, out: { ...saved?.out } };
    }
    for (const zone of this.zones) zone.entered = { ...snapshot.zones[zone.config.name]?.entered };
  }

  /** Counts back to 0 (a new day); tracks keep their sides and zones. */
  resetCounts(): void {
    for (const line of this.lines) line.counts = { in: {}, out: {} };
    for (const zone of this.zones) zone.entered = {};
  }

  private observeLine(line: Line, trackId: number, anchor: Point): Direction | undefined {
    const { from, to } = line.config;
    const { lineMarginPx, lineFrames } = this.settings;
    let state = line.tracks.get(trackId);
    if (!state) line.tracks.set(trackId, (state = { side: 0, lastOnSide: undefined, pendingSide: 0, pendingFrames: 0, pendingFrom: undefined, lastCounted: undefined }));
    const distance = signedDistance(from, to, anchor);
    if (state.side !== 0 && Math.sign(distance) === state.side) state.lastOnSide = anchor;
    if (Math.abs(distance) < lineMarginPx) return undefined;
    const clearSide: Side = distance > 0 ? 1 : -1;
    if (clearSide === state.side) {
      state.pendingSide = 0;
      state.pendingFrames = 0;
      return undefined;
    }
    if (state.pendingSide !== clearSide) {
      state.pendingSide = clearSide;
      state.pendingFrames = 0;
      state.pendingFrom = anchor;
    }
    if (++state.pendingFrames < lineFrames) return undefined;
    const previousSide = state.side;
    const start = state.lastOnSide;
    const end = state.pendingFrom!;
    state.side = clearSide;
    state.lastOnSide = anchor;
    state.pendingSide = 0;
    state.pendingFrames = 0;
    if (previousSide === 0 || !start) return undefined;
    const along = crossingFraction(from, to, start, end);
    if (!(along >= 0 && along <= 1)) return undefined;
    const direction: Direction = previousSide > 0 ? 'in' : 'out';
    if (state.lastCounted === direction) return undefined;
    state.lastCounted = direction;
    return direction;
  }

  private observeZone(zone: Zone, trackId: number, className: string, anchor: Point, at: number): 'enter' | 'leave' | undefined {
    let state = zone.tracks.get(trackId);
    if (!state) zone.tracks.set(trackId, (state = { className, inside: false, changingSince: undefined }));
    if (insidePolygon(zone.config.points, anchor) === state.inside) {
      state.changingSince = undefined;
      return undefined;
    }
    state.changingSince ??= at;
    if (at - state.changingSince < (state.inside ? this.settings.zoneLeaveMs : this.settings.zoneEnterMs)) return undefined;
    state.inside = !state.inside;
    state.changingSince = undefined;
    return state.inside ? 'enter' : 'leave';
  }
}

/** Empty: every class. */
function watches(classes: ReadonlySet<string>, className: string): boolean {
  return classes.size === 0 || classes.has(className);
}

function uniqueNames(items: ReadonlyArray<{ name: string }>, kind: string): void {
  const seen = new Set<string>();
  for (const { name } of items) {
    if (seen.has(name)) throw new TypeError(`${kind} "${name}" is named twice`);
    seen.add(name);
  }
}

function polygonArea(points: readonly Point[]): number {
  let twice = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) twice += points[j]![0] * points[i]![1] - points[i]![0] * points[j]![1];
  return Math.abs(twice) / 2;
}
