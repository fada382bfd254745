import type { Detection } from '@cctv/frame-buffer';
import { Counter, localDayKey, Tracker, type CountEvent, type LineConfig, type TrackEvent, type ZoneConfig } from '@cctv/tracker';
import type { Config } from './config.ts';
import type { CameraCounts, EventCrossing, EventStore, StoredEvent } from './event-store.ts';
import type { OverlayAreas } from './pipeline/areas-overlay.ts';
import type { DetectionResult } from './pipeline/messages.ts';

/** What changed about a tracked object: it appeared, crossed a line, entered or left a zone, or is gone. */
export type ObjectChange =
  | { kind: 'appeared' }
  | { kind: 'crossed'; line: string; direction: 'in' | 'out' }
  | { kind: 'entered'; zone: string }
  | { kind: 'left'; zone: string }
  | { kind: 'ended' };

/** An event as the world hears of it (Socket.IO `event`, MQTT `events`, Telegram): its stored state and what just happened. */
export interface ObjectEvent {
  type: 'new' | 'update' | 'end';
  change: ObjectChange;
  event: StoredEvent;
}

/** One detector result after tracking: what to draw and report, and what it meant for objects. */
export interface TrackedResult {
  /** The detections at or above the display confidence, each with its track id (null while not confirmed). */
  detections: Detection[];
  /** Events this result caused, to publish once their picture (the frame drawn with this result) is there. */
  events: ObjectEvent[];
  /** Tracks whose best moment is this frame: their event's snapshot becomes its picture. */
  best: Array<{ eventId: number; at: number; confidence: number }>;
}

/** The counting areas of a camera. */
export interface CountingAreas {
  lines: LineConfig[];
  zones: ZoneConfig[];
}

/** A track's best snapshot is replaced at most this often: early in a track nearly every frame is its best so far. */
const BEST_SNAPSHOT_EVERY_MS = 1000;

/**
 * One camera's objects: the tracker over its detector results, the counter over its tracks, and
 * their events and counts in the event store. Runs on the main thread, once per detector result
 * (the tracker costs well under a millisecond for 30 objects; see docs/COUNTING.md).
 */
export class CameraTracking {
  #tracker: Tracker;
  #counter: Counter;
  #areas: CountingAreas;
  /** Event id of each live track, by track id. */
  readonly #events = new Map<number, { id: number; lastSnapshotAt: number }>();
  /** Objects of each class in view in the newest result (confirmed tracks only). */
  #inView: Record<string, number> = {};

  constructor(
    readonly camera: string,
    areas: CountingAreas,
    private readonly settings: Pick<Config, 'tracking' | 'counting'>,
    private readonly store: EventStore,
    private readonly displayConfidence: number,
  ) {
    this.#areas = areas;
    this.#tracker = this.#newTracker();
    this.#counter = this.#newCounter(areas);
  }

  get areas(): CountingAreas {
    return this.#areas;
  }

  /** Objects of each class in view now (as of the newest result). */
  get inView(): Record<string, number> {
    return this.#inView;
  }

  /** Live occupancy of each zone, by class. */
  occupancy(): Record<string, Record<string, number>> {
    return this.#counter.occupancy();
  }

  /** This camera's counts: of today (since local midnight) or since counting began. */
  counts(scope: 'today' | 'total'): CameraCounts {
    return this.store.counts(scope === 'today' ? localDayKey() : undefined)[this.camera] ?? { lines: {}, zones: {} };
  }

  /** The areas as the pipeline draws them, labelled with their counts (today's, or since counting began) and occupancy. */
  overlay(): OverlayAreas {
    const counts = this.counts(this.settings.counting.daily_reset ? 'today' : 'total');
    const occupancy = this.occupancy();
    const sum = (byClass: Record<string, number> | undefined) => Object.values(byClass ?? {}).reduce((a, b) => a + b, 0);
    return {
      lines: this.#areas.lines.map((line) => ({ from: line.from, to: line.to, label: `${line.name}  in ${sum(counts.lines[line.name]?.in)}  out ${sum(counts.lines[line.name]?.out)}` })),
      zones: this.#areas.zones.map((zone) => ({ points: zone.points, label: `${zone.name} ${sum(occupancy[zone.name])}` })),
    };
  }

  /** New lines and zones (a line drawn on the dashboard): the tracks and their ids go on; counting starts afresh on the new areas. */
  setAreas(areas: CountingAreas): void {
    this.#areas = areas;
    this.#counter = this.#newCounter(areas);
  }

  update(result: DetectionResult): TrackedResult {
    const frame = this.#tracker.update(result.detections, result.capturedAt);
    const events: ObjectEvent[] = [];
    const best: TrackedResult['best'] = [];
    // Ends first (the tracker lists them first), so a zone left at a track's end is recorded before it ends.
    const counts = this.#counter.update(frame);
    for (const change of frame.events) if (change.type === 'new') events.push(...this.#trackEvent(change));
    for (const count of counts) events.push(...this.#countEvent(count, result.capturedAt));
    for (const change of frame.events) if (change.type === 'end') events.push(...this.#trackEvent(change));
    for (const seen of frame.observations) {
      const live = this.#events.get(seen.trackId);
      if (!live) continue;
      // A new event's first picture is the frame it was confirmed in; after that, its best moments.
      const first = live.lastSnapshotAt === 0;
      if (!first && (!seen.isBest || result.capturedAt - live.lastSnapshotAt < BEST_SNAPSHOT_EVERY_MS)) continue;
      live.lastSnapshotAt = result.capturedAt;
      best.push({ eventId: live.id, at: result.capturedAt, confidence: seen.confidence });
    }
    const inView: Record<string, number> = {};
    for (const seen of frame.observations) inView[seen.className] = (inView[seen.className] ?? 0) + 1;
    this.#inView = inView;
    const detections = frame.detections.filter((d) => d.confidence >= this.displayConfidence);
    return { detections, events, best };
  }

  /** The picture of the frame drawn with a result: the snapshot of each track whose best moment it was. */
  picture(best: TrackedResult['best'], jpeg: Uint8Array): void {
    for (const { eventId, at, confidence } of best) this.store.snapshot(eventId, jpeg, at, confidence);
  }

  /** Ends every track now (detection turned off, the camera stopped or restarted): their events end. */
  flush(at = Date.now()): ObjectEvent[] {
    const ended = this.#tracker.flush();
    const events: ObjectEvent[] = [];
    for (const count of this.#counter.update({ at, observations: [], events: ended })) events.push(...this.#countEvent(count, at));
    for (const change of ended) events.push(...this.#trackEvent(change));
    this.#inView = {};
    return events;
  }

  #trackEvent(change: TrackEvent): ObjectEvent[] {
    const { track } = change;
    if (change.type === 'new') {
      const id = this.store.begin({ camera: this.camera, trackId: track.trackId, className: track.className, startedAt: track.firstSeenAt, bestConfidence: track.bestConfidence });
      this.#events.set(track.trackId, { id, lastSnapshotAt: 0 });
      return this.#announce('new', { kind: 'appeared' }, id);
    }
    const live = this.#events.get(track.trackId);
    if (!live) return [];
    this.#events.delete(track.trackId);
    this.store.end(live.id, track.lastSeenAt, track.bestConfidence);
    return this.#announce('end', { kind: 'ended' }, live.id);
  }

  #countEvent(count: CountEvent, at: number): ObjectEvent[] {
    const day = localDayKey(count.at);
    const live = this.#events.get(count.trackId);
    if (count.type === 'crossing') {
      this.store.count(this.camera, 'line', count.line, count.direction, count.className, day);
      if (!live) return [];
      const crossing: EventCrossing = { line: count.line, direction: count.direction, at: count.at };
      this.store.crossed(live.id, crossing);
      return this.#announce('update', { kind: 'crossed', line: count.line, direction: count.direction }, live.id);
    }
    if (count.type === 'enter') {
      this.store.count(this.camera, 'zone', count.zone, 'enter', count.className, day);
      if (!live) return [];
      this.store.entered(live.id, count.zone, count.at);
      return this.#announce('update', { kind: 'entered', zone: count.zone }, live.id);
    }
    if (!live) return [];
    this.store.left(live.id, count.zone, count.at ?? at);
    return this.#announce('update', { kind: 'left', zone: count.zone }, live.id);
  }

  #announce(type: ObjectEvent['type'], change: ObjectChange, id: number): ObjectEvent[] {
    const event = this.store.get(id);
    return event ? [{ type, change, event }] : [];
  }

  #newTracker(): Tracker {
    const t = this.settings.tracking;
    return new Tracker({
      highThreshold: t.high_threshold,
      lowThreshold: t.low_threshold,
      newTrackThreshold: t.new_track_threshold,
      framesToConfirm: t.frames_to_confirm,
      maxAgeMs: t.max_age_s * 1000,
    });
  }

  #newCounter(areas: CountingAreas): Counter {
    const c = this.settings.counting;
    return new Counter(areas, { lineMarginPx: c.line_margin_px, lineFrames: c.line_frames, zoneEnterMs: c.zone_enter_s * 1000, zoneLeaveMs: c.zone_leave_s * 1000 });
  }
}

/** An event as the API, Socket.IO and MQTT show it: times as ISO 8601, its snapshot as a URL relative to the dashboard. */
export function eventJson(event: StoredEvent) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: event.id,
    camera: event.camera,
    track_id: event.track_id,
    class_name: event.class_name,
    started_at: iso(event.started_at)!,
    ended_at: iso(event.ended_at),
    best_confidence: Math.round(event.best_confidence * 1000) / 1000,
    best_at: iso(event.best_at),
    lines: event.lines.map((c) => ({ line: c.line, direction: c.direction, at: iso(c.at)! })),
    zones: event.zones.map((z) => ({ zone: z.zone, entered_at: iso(z.entered_at)!, left_at: iso(z.left_at) })),
    snapshot: event.has_snapshot ? `api/events/${event.id}/snapshot.jpg` : null,
  };
}

/** Socket.IO `event` and MQTT `events`: what happened (new, update, end), what changed, and the event now. */
export function publicEvent({ type, change, event }: ObjectEvent) {
  return { type, change, event: eventJson(event) };
}
