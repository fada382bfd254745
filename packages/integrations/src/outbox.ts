import type { Database } from 'bun:sqlite';
import { openPrivateDatabase } from './private-files.ts';

/** One message waiting for its destination, oldest first. */
export interface OutboxItem<P = unknown> {
  id: number;
  destination: string;
  payload: P;
  /** Binary data sent with it (an alert's JPEG), kept beside the JSON payload. */
  attachment: Uint8Array | undefined;
  createdAt: number;
  /** Attempts made so far (across restarts). */
  attempts: number;
  /**
   * An earlier attempt may have reached the destination: the process died between sending and
   * marking, or the connection broke after the request went out. Destinations that can look
   * for the item's id check before sending it again.
   */
  uncertain: boolean;
  lastError: string | null;
}

export interface OutboxOptions {
  /** SQLite file; its folder is created. `:memory:` works for throwaway use. */
  path: string;
  /** Most items kept per destination; adding one more drops the oldest (counted). */
  maxEntries: number;
}

export interface Added {
  id: number;
  /** Items dropped to make room (0 unless the destination's queue was full). */
  dropped: number;
}

interface Row {
  id: number;
  destination: string;
  payload: string;
  attachment: Uint8Array | null;
  created_at: number;
  attempts: number;
  sending: number;
  uncertain: number;
  last_error: string | null;
}

/**
 * A durable, bounded, per-destination FIFO in one SQLite file. Delivery deletes the row in the
 * same database, so a restart resends only what was not confirmed; a row that was being sent
 * when the process died comes back marked `uncertain`.
 */
export class Outbox {
  readonly path: string;
  readonly maxEntries: number;
  readonly #db: Database;

  constructor(options: OutboxOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) throw new Error(`outbox maxEntries must be a whole number ≥ 1, got ${options.maxEntries}`);
    this.path = options.path;
    this.maxEntries = options.maxEntries;
    try {
      this.#db = openPrivateDatabase(options.path);
      this.#db.run(`CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        destination TEXT NOT NULL,
        payload TEXT NOT NULL,
        attachment BLOB,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        sending INTEGER NOT NULL DEFAULT 0,
        uncertain INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
      )`);
      this.#db.run('CREATE INDEX IF NOT EXISTS outbox_destination ON outbox (destination, id)');
      this.#db.run('CREATE TABLE IF NOT EXISTS counters (destination TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (destination, name))');
      // Rows still marked as sending were in flight when the last process stopped.
      this.#db.run('UPDATE outbox SET sending = 0, uncertain = 1 WHERE sending = 1');
    } catch (error) {
      throw new Error(`outbox ${options.path}: ${(error as Error).message}`);
    }
  }

  /** Queues a payload; when the destination already holds `maxEntries`, its oldest idle item is dropped. */
  add(destination: string, payload: unknown, attachment?: Uint8Array): Added {
    return this.#db.transaction(() => {
      const { id } = this.#db
        .query<{ id: number }, [string, string, Uint8Array | null, number]>('INSERT INTO outbox (destination, payload, attachment, created_at) VALUES (?, ?, ?, ?) RETURNING id')
        .get(destination, JSON.stringify(payload), attachment ?? null, Date.now())!;
      const excess = this.queued(destination) - this.maxEntries;
      let dropped = 0;
      if (excess > 0) {
        // Oldest first, never the one being sent right now.
        dropped = this.#db.query('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE destination = ? AND sending = 0 ORDER BY id LIMIT ?)').run(destination, excess).changes;
        this.#count(destination, 'dropped', dropped);
      }
      return { id, dropped };
    })();
  }

  /** The oldest items of a destination (up to `limit`), in order. */
  peek<P = unknown>(destination: string, limit = 1): OutboxItem<P>[] {
    return this.#db
      .query<Row, [string, number]>('SELECT * FROM outbox WHERE destination = ? ORDER BY id LIMIT ?')
      .all(destination, limit)
      .map((row) => ({
        id: row.id,
        destination: row.destination,
        payload: JSON.parse(row.payload) as P,
        attachment: row.attachment ?? undefined,
        createdAt: row.created_at,
        attempts: row.attempts,
        uncertain: row.uncertain === 1,
        lastError: row.last_error,
      }));
  }

  /** Marks items as being sent: written before the request, so a crash leaves them `uncertain`. */
  sending(ids: readonly number[]): void {
    this.#each(ids, 'UPDATE outbox SET sending = 1, attempts = attempts + 1 WHERE id = ?');
  }

  /** Delivery confirmed: the items are gone for good. */
  delivered(destination: string, ids: readonly number[]): void {
    this.#db.transaction(() => this.#count(destination, 'delivered', this.#each(ids, 'DELETE FROM outbox WHERE id = ?')))();
  }

  /** The attempt failed; `uncertain` when the request may have arrived all the same. */
  failed(ids: readonly number[], error: string, uncertain: boolean): void {
    const statement = this.#db.query('UPDATE outbox SET sending = 0, last_error = ?, uncertain = MAX(uncertain, ?) WHERE id = ?');
    this.#db.transaction(() => {
      for (const id of ids) statement.run(error, uncertain ? 1 : 0, id);
    })();
  }

  /** The destination refused these items for good (e.g. a malformed message): removed and counted. */
  rejected(destination: string, ids: readonly number[]): void {
    this.#db.transaction(() => this.#count(destination, 'rejected', this.#each(ids, 'DELETE FROM outbox WHERE id = ?')))();
  }

  /** Items waiting for a destination. */
  queued(destination: string): number {
    return this.#db.query<{ n: number }, [string]>('SELECT COUNT(*) AS n FROM outbox WHERE destination = ?').get(destination)!.n;
  }

  /** A running total kept in the same file: `dropped`, `rejected` or `delivered`. */
  counter(destination: string, name: 'dropped' | 'rejected' | 'delivered'): number {
    return this.#db.query<{ value: number }, [string, string]>('SELECT value FROM counters WHERE destination = ? AND name = ?').get(destination, name)?.value ?? 0;
  }

  close(): void {
    this.#db.close();
  }

  #count(destination: string, name: string, by: number): void {
    if (by <= 0) return;
    this.#db.query('INSERT INTO counters (destination, name, value) VALUES (?, ?, ?) ON CONFLICT (destination, name) DO UPDATE SET value = value + excluded.value').run(destination, name, by);
  }

  #each(ids: readonly number[], sql: string): number {
    const statement = this.#db.query(sql);
    let changes = 0;
    this.#db.transaction(() => {
      for (const id of ids) changes += statement.run(id).changes;
    })();
    return changes;
  }
}
