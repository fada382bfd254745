import type { Database } from 'bun:sqlite';
import { openPrivateDatabase } from '@cctv/integrations';

/** A line crossed by an event's object. */
export interface EventCrossing {
  line: string;
  direction: 'in' | 'out';
  at: number;
}

/** A zone an event's object entered (and left, once it has). */
export interface EventZone {
  zone: string;
  entered_at: number;
  left_at: number | null;
}

/** One tracked object's life, as stored and served (GET /api/events). Times in ms since the epoch. */
export interface StoredEvent {
  id: number;
  camera: string;
  track_id: number;
  class_name: string;
  started_at: number;
  /** Null while the object is still tracked. */
  ended_at: number | null;
  best_confidence: number;
  /** When its best snapshot was taken (the frame where it was largest × most confident). */
  best_at: number | null;
  lines: EventCrossing[];
  zones: EventZone[];
  has_snapshot: boolean;
}

export interface EventQuery {
  camera?: string;
  className?: string;
  /** Events that were going on after this time (ms). */
  after?: number;
  /** Events that started before this time (ms). */
  before?: number;
  limit: number;
}

/** Counts by class, e.g. { person: 3 }. */
export type ByClass = Record<string, number>;

/** One camera's counts: per line, in and out by class; per zone, entries by class. */
export interface CameraCounts {
  lines: Record<string, { in: ByClass; out: ByClass }>;
  zones: Record<string, { entered: ByClass }>;
}

/** A StoredEvent as its table holds it: lines and zones as JSON, has_snapshot as 0 or 1. */
type EventRow = Omit<StoredEvent, 'lines' | 'zones' | 'has_snapshot'> & { lines: string; zones: string; has_snapshot: number };

/**
 * Events and counts in one SQLite file in the data folder (0600, like the outbox): each tracked
 * object's life with its best snapshot, kept for `retain_days` and at most `retain_count`; and the
 * line and zone counts per camera, per day (local), so a restart keeps today's counts and
 * `total` is the sum of the days.
 */
export class EventStore {
  readonly #db: Database;

  constructor(
    readonly path: string,
    private readonly retention: { days: number; count: number },
  ) {
    this.#db = openPrivateDatabase(path);
    this.#db.run(`CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      camera TEXT NOT NULL,
      track_id INTEGER NOT NULL,
      class_name TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      ended_at INTEGER,
      best_confidence REAL NOT NULL,
      best_at INTEGER,
      lines TEXT NOT NULL DEFAULT '[]',
      zones TEXT NOT NULL DEFAULT '[]',
      snapshot BLOB,
      has_snapshot INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL
    )`);
    this.#db.run('CREATE INDEX IF NOT EXISTS events_started ON events (started_at)');
    this.#db.run(`CREATE TABLE IF NOT EXISTS counts (
      camera TEXT NOT NULL,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      direction TEXT NOT NULL,
      class_name TEXT NOT NULL,
      day TEXT NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (camera, kind, name, direction, class_name, day)
    )`);
  }

  /**
   * Events left open by a process that died (no `end` was written): they ended when they were last
   * updated. Called once at start, before any new event.
   */
  closeDangling(): number {
    return this.#db.run('UPDATE events SET ended_at = updated_at WHERE ended_at IS NULL').changes;
  }

  begin(event: { camera: string; trackId: number; className: string; startedAt: number; bestConfidence: number }): number {
    const row = this.#db
      .query<{ id: number }, [string, number, string, number, number, number]>(
        'INSERT INTO events (camera, track_id, class_name, started_at, best_confidence, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      )
      .get(event.camera, event.trackId, event.className, event.startedAt, event.bestConfidence, Date.now());
    return row!.id;
  }

  /** The object's best snapshot so far (a JPEG of the whole frame, boxes drawn). */
  snapshot(id: number, jpeg: Uint8Array, at: number, confidence: number): void {
    this.#db.run('UPDATE events SET snapshot = ?, has_snapshot = 1, best_at = ?, best_confidence = MAX(best_confidence, ?), updated_at = ? WHERE id = ?', [jpeg, at, confidence, Date.now(), id]);
  }

  crossed(id: number, crossing: EventCrossing): void {
    this.#append(id, 'lines', crossing);
  }

  entered(id: number, zone: string, at: number): void {
    this.#append(id, 'zones', { zone, entered_at: at, left_at: null } satisfies EventZone);
  }

  left(id: number, zone: string, at: number): void {
    const row = this.#db.query<{ zones: string }, [number]>('SELECT zones FROM events WHERE id = ?').get(id);
    if (!row) return;
    const zones = JSON.parse(row.zones) as EventZone[];
    const open = zones.findLast((z) => z.zone === zone && z.left_at === null);
    if (open) open.left_at = at;
    this.#db.run('UPDATE events SET zones = ?, updated_at = ? WHERE id = ?', [JSON.stringify(zones), Date.now(), id]);
  }

  end(id: number, endedAt: number, bestConfidence: number): void {
    this.#db.run('UPDATE events SET ended_at = ?, best_confidence = MAX(best_confidence, ?), updated_at = ? WHERE id = ?', [endedAt, bestConfidence, Date.now(), id]);
  }

  get(id: number): StoredEvent | undefined {
    const row = this.#db.query<EventRow, [number]>(`SELECT ${COLUMNS} FROM events WHERE id = ?`).get(id);
    return row ? toEvent(row) : undefined;
  }

  /** Newest first. */
  list(query: EventQuery): StoredEvent[] {
    const where: string[] = [];
    const values: Array<string | number> = [];
    if (query.camera !== undefined) where.push('camera = ?') && values.push(query.camera);
    if (query.className !== undefined) where.push('class_name = ?') && values.push(query.className);
    if (query.after !== undefined) where.push('COALESCE(ended_at, updated_at) >= ?') && values.push(query.after);
    if (query.before !== undefined) where.push('started_at < ?') && values.push(query.before);
    const sql = `SELECT ${COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
    return this.#db.query<EventRow, Array<string | number>>(sql).all(...values, query.limit).map(toEvent);
  }

  snapshotOf(id: number): Uint8Array | undefined {
    const row = this.#db.query<{ snapshot: Uint8Array | null }, [number]>('SELECT snapshot FROM events WHERE id = ?').get(id);
    return row?.snapshot ?? undefined;
  }

  /** Deletes events (and their snapshots) past the retention, oldest first; how many went. */
  prune(now = Date.now()): number {
    const byAge = this.#db.run('DELETE FROM events WHERE started_at < ? AND ended_at IS NOT NULL', [now - this.retention.days * 86_400_000]).changes;
    const byCount = this.#db.run('DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY started_at DESC, id DESC LIMIT -1 OFFSET ?)', [this.retention.count]).changes;
    return byAge + byCount;
  }

  /** One more crossing (or zone entry) of a class, on `day` (YYYY-MM-DD, local). */
  count(camera: string, kind: 'line' | 'zone', name: string, direction: 'in' | 'out' | 'enter', className: string, day: string): void {
    this.#db.run(
      `INSERT INTO counts (camera, kind, name, direction, class_name, day, count) VALUES (?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (camera, kind, name, direction, class_name, day) DO UPDATE SET count = count + 1`,
      [camera, kind, name, direction, className, day],
    );
  }

  /** Per camera, the counts of `day` (or of every day, summed, without one). */
  counts(day?: string): Record<string, CameraCounts> {
    const rows = this.#db
      .query<{ camera: string; kind: string; name: string; direction: string; class_name: string; total: number }, string[]>(
        `SELECT camera, kind, name, direction, class_name, SUM(count) AS total FROM counts ${day ? 'WHERE day = ?' : ''} GROUP BY camera, kind, name, direction, class_name`,
      )
      .all(...(day ? [day] : []));
    const out: Record<string, CameraCounts> = {};
    for (const row of rows) {
      const camera = (out[row.camera] ??= { lines: {}, zones: {} });
      if (row.kind === 'line') {
        const line = (camera.lines[row.name] ??= { in: {}, out: {} });
        line[row.direction as 'in' | 'out'][row.class_name] = row.total;
      } else {
        (camera.zones[row.name] ??= { entered: {} }).entered[row.class_name] = row.total;
      }
    }
    return out;
  }

  close(): void {
    this.#db.close();
  }

  #append(id: number, column: 'lines' | 'zones', item: unknown): void {
    this.#db.run(`UPDATE events SET ${column} = json_insert(${column}, '$[#]', json(?)), updated_at = ? WHERE id = ?`, [JSON.stringify(item), Date.now(), id]);
  }
}

const COLUMNS = 'id, camera, track_id, class_name, started_at, ended_at, best_confidence, best_at, lines, zones, has_snapshot';

function toEvent(row: EventRow): StoredEvent {
  return { ...row, lines: JSON.parse(row.lines) as EventCrossing[], zones: JSON.parse(row.zones) as EventZone[], has_snapshot: row.has_snapshot === 1 };
}
