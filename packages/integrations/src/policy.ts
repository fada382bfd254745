/** One detected object, as the detector reports it. */
export interface Detection {
  className: string;
  /** 0–1. */
  confidence: number;
}

/** What the detector saw on one frame of one camera. */
export interface DetectionEvent {
  /** When the frame was captured (ms since the epoch, or a Date). */
  at: number | Date;
  /** The camera's name, as people call it. */
  camera: string;
  /** The camera's id, where it has one besides its name (default: the name). */
  cameraId?: string;
  detections: readonly Detection[];
  /** The frame as JPEG (with boxes drawn), sent with alerts and kept as the row's snapshot. */
  snapshot?: Uint8Array;
}

/** One class that passed the policy: how many were seen and the best confidence. */
export interface ClassHit {
  className: string;
  count: number;
  confidence: number;
}

export interface EventPolicyOptions {
  /** Classes that count; empty means every class. */
  classes: readonly string[];
  /** Detections below this confidence are ignored. */
  minConfidence: number;
  /** A class fires again for the same camera only after this many seconds. */
  cooldownS: number;
  /** Optional "HH:MM-HH:MM" (local time, may wrap midnight) during which nothing fires. */
  quietHours?: string;
}

/** A parsed "HH:MM-HH:MM" window in minutes after midnight; `from > to` wraps midnight. */
export interface QuietHours {
  from: number;
  to: number;
}

export function parseQuietHours(text: string): QuietHours {
  const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  const minutes = (h: string, m: string) => (Number(h) < 24 && Number(m) < 60 ? Number(h) * 60 + Number(m) : NaN);
  const range = match ? { from: minutes(match[1]!, match[2]!), to: minutes(match[3]!, match[4]!) } : undefined;
  if (!range || Number.isNaN(range.from) || Number.isNaN(range.to)) throw new Error(`quiet hours "${text}": expected HH:MM-HH:MM, e.g. 22:00-06:00`);
  return range;
}

export function inQuietHours(date: Date, quiet: QuietHours): boolean {
  const now = date.getHours() * 60 + date.getMinutes();
  if (quiet.from === quiet.to) return false;
  return quiet.from < quiet.to ? now >= quiet.from && now < quiet.to : now >= quiet.from || now < quiet.to;
}

/**
 * Decides which classes of a detection event are worth a message: configured classes, above the
 * confidence floor, outside quiet hours, and not within the class's cooldown for that camera.
 */
export class EventPolicy {
  readonly #classes: Set<string>;
  readonly #quiet: QuietHours | undefined;
  readonly #lastFired = new Map<string, number>();

  constructor(private readonly options: EventPolicyOptions) {
    this.#classes = new Set(options.classes);
    this.#quiet = options.quietHours ? parseQuietHours(options.quietHours) : undefined;
  }

  /** The classes that fire now (and starts their cooldown), or [] when nothing does. */
  hits(event: DetectionEvent, now = new Date(event.at)): ClassHit[] {
    if (this.#quiet && inQuietHours(now, this.#quiet)) return [];
    const byClass = new Map<string, ClassHit>();
    for (const { className, confidence } of event.detections) {
      if (confidence < this.options.minConfidence) continue;
      if (this.#classes.size && !this.#classes.has(className)) continue;
      const hit = byClass.get(className);
      if (hit) {
        hit.count++;
        hit.confidence = Math.max(hit.confidence, confidence);
      } else byClass.set(className, { className, count: 1, confidence });
    }
    const fired: ClassHit[] = [];
    for (const hit of byClass.values()) {
      const key = `${event.cameraId ?? event.camera}\u0000${hit.className}`;
      const last = this.#lastFired.get(key);
      if (last !== undefined && now.getTime() - last < this.options.cooldownS * 1000 && now.getTime() >= last) continue;
      this.#lastFired.set(key, now.getTime());
      fired.push(hit);
    }
    return fired;
  }
}

/** Where an object alert can fire: when it is first tracked, when it enters a zone, when it crosses a line. */
export type AlertOn = 'appear' | 'zone' | 'line';

/** Something a tracked object did, as the alerts see it. */
export interface ObjectAlert {
  /** When it happened (ms since the epoch). */
  at: number;
  /** The camera's name, and its id where it has one besides (default: the name). */
  camera: string;
  cameraId?: string;
  /** Unique per object, however long it stays (the server's event id). */
  objectId: string;
  /** The object's number on its camera ("person #12"). */
  trackId: number;
  className: string;
  /** Its best confidence so far. */
  confidence: number;
  what: { kind: 'appeared' } | { kind: 'entered'; zone: string } | { kind: 'crossed'; line: string; direction: 'in' | 'out' };
  /** The frame it happened in, as JPEG, boxes drawn. */
  snapshot?: Uint8Array;
}

/** Objects remembered as alerted: bounded, the oldest forgotten first (a long-gone object). */
const ALERTED_KEPT = 10_000;
const KIND_OF: Record<AlertOn, ObjectAlert['what']['kind']> = { appear: 'appeared', zone: 'entered', line: 'crossed' };

/**
 * Alerts per object: an object of a configured class, confident enough, outside quiet hours,
 * fires once (never a second time for the same person standing there), when it does what
 * `on` names; `cooldownS` also spaces alerts of one class on one camera.
 */
export class ObjectPolicy {
  readonly #policy: EventPolicy;
  readonly #alerted = new Set<string>();

  constructor(
    options: EventPolicyOptions,
    private readonly on: AlertOn,
  ) {
    this.#policy = new EventPolicy(options);
  }

  fires(alert: ObjectAlert, now = new Date(alert.at)): boolean {
    if (alert.what.kind !== KIND_OF[this.on] || this.#alerted.has(alert.objectId)) return false;
    const event = { at: alert.at, camera: alert.camera, cameraId: alert.cameraId, detections: [{ className: alert.className, confidence: alert.confidence }] };
    if (this.#policy.hits(event, now).length === 0) return false;
    this.#alerted.add(alert.objectId);
    if (this.#alerted.size > ALERTED_KEPT) this.#alerted.delete(this.#alerted.values().next().value!);
    return true;
  }
}
