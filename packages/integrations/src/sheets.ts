import { sheets, type sheets_v4 } from '@googleapis/sheets';
import { Type as t } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Courier, retryDelay, type BackoffSettings, type Failure } from './courier.ts';
import { readServiceAccountKey, retryAfterMs, serviceAccountClient, SHEETS_SCOPE, TokenError } from './google-auth.ts';
import { Health, type IntegrationStatus } from './health.ts';
import type { Outbox, OutboxItem } from './outbox.ts';
import { EventPolicy, type ClassHit, type DetectionEvent } from './policy.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redactor } from '@cctv/redact';
import type { Logger } from './logger.ts';
import { networkReason, neverArrived } from './network.ts';

export interface SheetsSettings {
  enabled: boolean;
  /** Apps Script web app: GET answers the counts, POST takes rows. */
  webappUrl?: string;
  /** Seconds between reads of the counts. */
  pollIntervalS: number;
  /** Service-account JSON key for the Sheets API (used instead of the web app when set, with `spreadsheetId`). */
  credentialsFile?: string;
  spreadsheetId?: string;
  /** A1 range whose first two cells are inbound and outbound, e.g. `Counts!A2:B2`. */
  countsRange: string;
  /** A1 range rows are appended to, e.g. `Events!A:H`. */
  eventsRange: string;
  /** A1 range a row per line crossing is appended to, e.g. `Crossings!A:H`. */
  crossingsRange: string;
  /** Sheets API root (default https://sheets.googleapis.com/). */
  apiRoot: string;
  valueInputOption: 'RAW' | 'USER_ENTERED';
  /** Classes that make a row; empty: every class. */
  eventClasses: readonly string[];
  minConfidence: number;
  /** Seconds before the same class on the same camera makes another row. */
  cooldownS: number;
  requestTimeoutS: number;
}

/** inbound/outbound as the sheet says (0 until the first successful read). */
export interface Counts {
  inbound: number;
  outbound: number;
}

/** One detection event as a row. `id` is unique per event: it lets the sheet side drop a resend. */
export interface EventRow {
  id: string;
  time: string;
  /** The camera's name, and its id (rows queued by an older version have none). */
  camera: string;
  camera_id?: string;
  class: string;
  count: number;
  confidence: number;
  snapshot: string;
}

/** One line crossing as a row. `id` lets the sheet side drop a resend. */
export interface CrossingRow {
  id: string;
  time: string;
  camera: string;
  camera_id: string;
  line: string;
  direction: 'in' | 'out';
  class: string;
  /** The object's number on its camera. */
  track: number;
}

/** Column order of an appended crossing row. */
export const CROSSING_COLUMNS = ['time', 'camera', 'line', 'direction', 'class', 'track', 'id', 'camera_id'] as const;

/** A crossing as the integrations take it. */
export interface Crossing {
  at: number;
  camera: string;
  cameraId?: string;
  line: string;
  direction: 'in' | 'out';
  className: string;
  trackId: number;
}

/** Column order of an appended row. */
export const ROW_COLUMNS = ['time', 'camera', 'class', 'count', 'confidence', 'snapshot', 'id', 'camera_id'] as const;

export const SHEETS_DESTINATION = 'sheets';
export const CROSSINGS_DESTINATION = 'sheets-crossings';
/** Counts the server writes wait at least this long for more changes: a busy door is one write every few seconds, not one per person. */
const COUNTS_WRITE_DELAY_MS = 2000;

const CountsSchema = t.Object({ inbound: t.Number({ minimum: 0 }), outbound: t.Number({ minimum: 0 }) });
const EXAMPLE = '{"inbound": 12, "outbound": 7}';

/** A Sheets or web-app answer that says what went wrong, with the HTTP status and any Retry-After. */
class SheetsError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Google Sheets, either through an Apps Script web app (`webapp_url`) or the Sheets API with a
 * service account: counts read every `poll_interval`, detection rows appended through the outbox.
 */
export class SheetsIntegration {
  readonly health: Health;
  readonly mode: 'api' | 'webapp' | undefined;
  readonly #policy: EventPolicy;
  readonly #courier: Courier<EventRow> | undefined;
  readonly #crossings: Courier<CrossingRow> | undefined;
  /** The server's own counts once it counts with its lines: written to the sheet instead of read from it. */
  #ownCounts: Counts | undefined;
  #countsWriter: { wake: () => void; done: Promise<void> } | undefined;
  #api: sheets_v4.Sheets | undefined;
  #counts: Counts = { inbound: 0, outbound: 0 };
  #countsAt: number | undefined;
  #polling: { controller: AbortController; done: Promise<void> } | undefined;

  constructor(
    private readonly settings: SheetsSettings,
    private readonly outbox: Outbox,
    private readonly backoff: BackoffSettings,
    private readonly log: Logger,
    private readonly redactor: Redactor,
  ) {
    this.mode = !settings.enabled ? undefined : settings.credentialsFile && settings.spreadsheetId ? 'api' : settings.webappUrl ? 'webapp' : undefined;
    const halfConfigured = settings.enabled && !this.mode && !!(settings.credentialsFile || settings.spreadsheetId);
    this.health = new Health(this.mode !== undefined || halfConfigured);
    this.#policy = new EventPolicy({ classes: settings.eventClasses, minConfidence: settings.minConfidence, cooldownS: settings.cooldownS });
    if (halfConfigured) this.health.halted('sheets_config needs both credentials_file and spreadsheet_id for the Sheets API (or webapp_url for a web app)');
    if (!this.mode) return;
    this.#courier = new Courier<EventRow>({
      outbox,
      destination: SHEETS_DESTINATION,
      // One append request for up to 50 rows: a backlog after an outage goes out in few requests.
      batchSize: 50,
      backoff,
      send: (items, signal) => this.#append(items, signal),
      classify: (error) => this.#classify(error),
      delivered: () => this.health.succeeded(),
      failed: (failure, items, delay) => this.#reportFailure(failure, items, delay),
    });
    this.#crossings = new Courier<CrossingRow>({
      outbox,
      destination: CROSSINGS_DESTINATION,
      batchSize: 50,
      backoff,
      send: (items, signal) => this.#appendCrossings(items, signal),
      classify: (error) => this.#classify(error),
      delivered: () => this.health.succeeded(),
      failed: (failure, items, delay) => this.#reportFailure(failure, items, delay),
    });
  }

  get enabled(): boolean {
    return this.mode !== undefined;
  }

  /** The latest counts read from the sheet (0, 0 before the first read), or the server's own once it writes them. */
  counts(): Counts {
    return this.#ownCounts ?? this.#counts;
  }

  /**
   * The server counts people itself (its counting lines): the sheet's inbound/outbound cells
   * become a copy of its counts, written a moment after each change (the latest wins), and are
   * no longer read.
   */
  setCounts(counts: Counts): void {
    if (!this.enabled) return;
    this.#ownCounts = { ...counts };
    this.#countsWriter?.wake();
  }

  /** Queues a row for a line crossing. */
  onCrossing(crossing: Crossing): void {
    if (!this.enabled) return;
    const row: CrossingRow = {
      id: crypto.randomUUID(),
      time: new Date(crossing.at).toISOString(),
      camera: crossing.camera,
      camera_id: crossing.cameraId ?? crossing.camera,
      line: crossing.line,
      direction: crossing.direction,
      class: crossing.className,
      track: crossing.trackId,
    };
    const { dropped } = this.outbox.add(CROSSINGS_DESTINATION, row);
    if (dropped) this.log.warn(`outbox full (${this.outbox.maxEntries} crossing rows): dropped the ${dropped} oldest`);
    this.#crossings?.wake();
  }

  /** Reads the key file and starts polling and delivery. A bad key file is an `error` state, not a crash: the video goes on. */
  start(): void {
    if (!this.mode) return;
    if (this.mode === 'api') {
      let key: ReturnType<typeof readServiceAccountKey>;
      try {
        key = readServiceAccountKey(this.settings.credentialsFile!);
      } catch (error) {
        const message = this.redactor.redact((error as Error).message);
        this.health.halted(message);
        this.log.error(`${message}; Sheets is off until the key file is fixed and the server restarted (rows are kept)`);
        return;
      }
      const auth = serviceAccountClient(key, [SHEETS_SCOPE], this.settings.requestTimeoutS * 1000);
      this.#api = sheets({ version: 'v4', auth, rootUrl: this.settings.apiRoot.endsWith('/') ? this.settings.apiRoot : `${this.settings.apiRoot}/` });
    }
    this.#courier!.start();
    this.#crossings!.start();
    const controller = new AbortController();
    this.#polling = { controller, done: this.#poll(controller.signal) };
    this.#countsWriter = this.#writeCounts(controller.signal);
  }

  async stop(): Promise<void> {
    this.#polling?.controller.abort(new Error('stopping'));
    this.#countsWriter?.wake();
    await Promise.all([this.#courier?.stop(), this.#crossings?.stop(), this.#polling?.done, this.#countsWriter?.done]);
  }

  status(): IntegrationStatus & { mode: 'api' | 'webapp' | null; counts_at: string | null } {
    return {
      ...this.health.snapshot({
        queued: this.enabled ? this.outbox.queued(SHEETS_DESTINATION) + this.outbox.queued(CROSSINGS_DESTINATION) : 0,
        dropped: this.outbox.counter(SHEETS_DESTINATION, 'dropped') + this.outbox.counter(CROSSINGS_DESTINATION, 'dropped'),
        rejected: this.outbox.counter(SHEETS_DESTINATION, 'rejected') + this.outbox.counter(CROSSINGS_DESTINATION, 'rejected'),
      }),
      mode: this.mode ?? null,
      counts_at: this.#countsAt ? new Date(this.#countsAt).toISOString() : null,
    };
  }

  /** Queues one row per class that passes the policy; `snapshot` is the reference written in the row. */
  onDetections(event: DetectionEvent, snapshot: (hits: ClassHit[]) => string = () => ''): ClassHit[] {
    if (!this.enabled) return [];
    const hits = this.#policy.hits(event);
    if (hits.length === 0) return hits;
    const reference = snapshot(hits);
    const time = new Date(event.at).toISOString();
    for (const hit of hits) {
      const row: EventRow = { id: crypto.randomUUID(), time, camera: event.camera, camera_id: event.cameraId ?? event.camera, class: hit.className, count: hit.count, confidence: Math.round(hit.confidence * 1000) / 1000, snapshot: reference };
      const { dropped } = this.outbox.add(SHEETS_DESTINATION, row);
      if (dropped) this.log.warn(`outbox full (${this.outbox.maxEntries} rows): dropped the ${dropped} oldest; ${this.outbox.counter(SHEETS_DESTINATION, 'dropped')} dropped in all`);
    }
    this.#courier?.wake();
    return hits;
  }

  async #poll(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let delay = this.settings.pollIntervalS * 1000;
      // The server's own counts are written, not read back.
      if (this.#ownCounts) return;
      try {
        this.#counts = this.mode === 'api' ? await this.#readCountsFromApi(signal) : await this.#readCountsFromWebApp(signal);
        this.#countsAt = Date.now();
        failures = 0;
        this.health.succeeded();
      } catch (error) {
        if (signal.aborted) return;
        const failure = this.#classify(error);
        if (failure.kind === 'halt') {
          // Refused (credentials, access, no such sheet or web app): asking again cannot help.
          this.health.halted(`reading counts: ${failure.message}`);
          this.log.error(`reading counts: ${failure.message}; counts are no longer read until a restart`);
          return;
        }
        failures++;
        // A refusal or a nonsense answer is an error; an unreachable or busy service is retried
        // with backoff, but never more often than poll_interval.
        this.health.failed(`reading counts: ${failure.message}`, failure.kind === 'retry' && !(error instanceof CountsError) ? 'disconnected' : 'error');
        if (failures === 1 || failures % 20 === 0) this.log.warn(`reading counts: ${failure.message}`);
        if (failure.kind === 'retry') delay = Math.max(delay, failure.retryAfterMs ?? retryDelay(failures, this.backoff));
      }
      await sleep(delay, undefined, { signal }).catch(() => {});
    }
  }

  /** Writes the server's counts into the sheet a moment after they change, the latest only, retried with backoff. */
  #writeCounts(signal: AbortSignal): { wake: () => void; done: Promise<void> } {
    let wake = () => {};
    const done = (async () => {
      let written: string | undefined;
      let failures = 0;
      while (!signal.aborted) {
        const wanted = this.#ownCounts && JSON.stringify(this.#ownCounts);
        if (!wanted || wanted === written) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        await sleep(COUNTS_WRITE_DELAY_MS, undefined, { signal }).catch(() => {});
        const counts = this.#ownCounts!;
        try {
          await this.#putCounts(counts, AbortSignal.any([signal, AbortSignal.timeout(this.settings.requestTimeoutS * 1000)]));
          written = JSON.stringify(counts);
          failures = 0;
          this.health.succeeded();
        } catch (error) {
          if (signal.aborted) return;
          const failure = this.#classify(error);
          failures++;
          this.health.failed(`writing counts: ${failure.message}`, failure.kind === 'retry' ? 'disconnected' : 'error');
          if (failures === 1 || failures % 20 === 0) this.log.warn(`writing counts: ${failure.message}`);
          await sleep(failure.kind === 'retry' ? (failure.retryAfterMs ?? retryDelay(failures, this.backoff)) : this.backoff.maxMs, undefined, { signal }).catch(() => {});
        }
      }
    })();
    return { wake: () => wake(), done };
  }

  async #putCounts(counts: Counts, signal: AbortSignal): Promise<void> {
    if (this.mode === 'webapp') {
      await this.#postToWebApp({ counts: { inbound: counts.inbound, outbound: counts.outbound } }, signal);
      return;
    }
    await this.#api!.spreadsheets.values.update(
      { spreadsheetId: this.settings.spreadsheetId, range: this.settings.countsRange, valueInputOption: 'RAW', requestBody: { values: [[counts.inbound, counts.outbound]] } },
      { retry: false, timeout: this.settings.requestTimeoutS * 1000, signal },
    );
  }

  async #readCountsFromWebApp(signal: AbortSignal): Promise<Counts> {
    const response = await this.#webAppFetch(this.settings.webappUrl!, { method: 'GET', signal });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CountsError(`the web app answered ${response.headers.get('content-type') ?? 'something'} that is not JSON (${JSON.stringify(text.slice(0, 80))}); expected ${EXAMPLE} (is it deployed for "Anyone"?)`);
    }
    if (!Value.Check(CountsSchema, json)) {
      const error = [...Value.Errors(CountsSchema, json)][0];
      throw new CountsError(`the web app answered ${JSON.stringify(json).slice(0, 120)}: ${error ? `${error.path || '(top level)'} ${error.message.toLowerCase()}` : 'wrong shape'}; expected ${EXAMPLE}`);
    }
    return { inbound: json.inbound, outbound: json.outbound };
  }

  async #readCountsFromApi(signal: AbortSignal): Promise<Counts> {
    const { data } = await this.#api!.spreadsheets.values.get(
      { spreadsheetId: this.settings.spreadsheetId, range: this.settings.countsRange, valueRenderOption: 'UNFORMATTED_VALUE' },
      { retry: false, timeout: this.settings.requestTimeoutS * 1000, signal },
    );
    const cells = (data.values ?? []).flat().slice(0, 2);
    const [inbound, outbound] = cells.map((cell) => (typeof cell === 'number' ? cell : typeof cell === 'string' && cell.trim() !== '' ? Number(cell) : NaN));
    if (cells.length < 2 || !Number.isFinite(inbound) || !Number.isFinite(outbound)) {
      throw new CountsError(`counts_range ${this.settings.countsRange} holds ${JSON.stringify(data.values ?? [])}; expected its first two cells to be numbers (inbound, outbound)`);
    }
    return { inbound: inbound!, outbound: outbound! };
  }

  async #append(items: OutboxItem<EventRow>[], signal: AbortSignal): Promise<void> {
    let rows = items.map((item) => item.payload);
    if (this.mode === 'webapp') {
      // The web app receives the ids and drops a row it already has (see the README's script).
      await this.#postToWebApp({ rows }, signal);
      return;
    }
    // An earlier attempt may have been appended already (crash, or a lost answer): look for the ids.
    if (items.some((item) => item.uncertain)) {
      const present = await this.#idsInSheet(this.settings.eventsRange, ROW_COLUMNS.indexOf('id'), signal);
      const before = rows.length;
      rows = rows.filter((row) => !present.has(row.id));
      if (rows.length < before) this.log.info(`${before - rows.length} row(s) were already in the sheet; not appended again`);
      if (rows.length === 0) return;
    }
    await this.#api!.spreadsheets.values.append(
      {
        spreadsheetId: this.settings.spreadsheetId,
        range: this.settings.eventsRange,
        valueInputOption: this.settings.valueInputOption,
        insertDataOption: 'INSERT_ROWS',
        requestBody: { values: rows.map((row) => ROW_COLUMNS.map((column) => row[column] ?? '')) },
      },
      { retry: false, timeout: this.settings.requestTimeoutS * 1000, signal },
    );
  }

  async #appendCrossings(items: OutboxItem<CrossingRow>[], signal: AbortSignal): Promise<void> {
    let crossings = items.map((item) => item.payload);
    if (this.mode === 'webapp') {
      await this.#postToWebApp({ crossings }, signal);
      return;
    }
    if (items.some((item) => item.uncertain)) {
      const present = await this.#idsInSheet(this.settings.crossingsRange, CROSSING_COLUMNS.indexOf('id'), signal);
      crossings = crossings.filter((row) => !present.has(row.id));
      if (crossings.length === 0) return;
    }
    await this.#api!.spreadsheets.values.append(
      {
        spreadsheetId: this.settings.spreadsheetId,
        range: this.settings.crossingsRange,
        valueInputOption: this.settings.valueInputOption,
        insertDataOption: 'INSERT_ROWS',
        requestBody: { values: crossings.map((row) => CROSSING_COLUMNS.map((column) => row[column])) },
      },
      { retry: false, timeout: this.settings.requestTimeoutS * 1000, signal },
    );
  }

  /** A POST to the web app, answered {"ok": true} when it took it. */
  async #postToWebApp(body: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    const response = await this.#webAppFetch(this.settings.webappUrl!, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal });
    const text = await response.text();
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      // Apps Script answers a script error with a 200 HTML page: nothing was taken.
      throw new SheetsError(`the web app answered ${response.headers.get('content-type') ?? 'something'} that is not JSON (${JSON.stringify(text.slice(0, 80))}); expected {"ok": true}`, 502);
    }
    const refusal = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as { ok?: unknown; error?: unknown }) : undefined;
    if (!refusal) throw new SheetsError(`the web app answered ${JSON.stringify(answer).slice(0, 80)}; expected {"ok": true}`, 502);
    if (refusal.ok === false || refusal.error) throw new SheetsError(`the web app refused: ${String(refusal.error ?? 'ok: false')}`, 502);
  }

  async #idsInSheet(range: string, column: number, signal: AbortSignal): Promise<Set<string>> {
    const { data } = await this.#api!.spreadsheets.values.get(
      { spreadsheetId: this.settings.spreadsheetId, range, valueRenderOption: 'UNFORMATTED_VALUE' },
      { retry: false, timeout: this.settings.requestTimeoutS * 1000, signal },
    );
    return new Set((data.values ?? []).map((row) => String(row[column] ?? '')));
  }

  /** fetch with the request timeout; non-2xx answers become SheetsError with the status and Retry-After. */
  async #webAppFetch(url: string, init: RequestInit & { signal: AbortSignal }): Promise<Response> {
    const signal = AbortSignal.any([init.signal, AbortSignal.timeout(this.settings.requestTimeoutS * 1000)]);
    // Apps Script answers with a 302 to googleusercontent.com; fetch follows it (as a GET, as Google expects).
    const response = await fetch(url, { ...init, signal, redirect: 'follow' });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new SheetsError(`the web app answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 120)}` : ''}`, response.status, retryAfterMs(response.headers.get('retry-after')));
    }
    return response;
  }

  /** How Google answers, and what each answer means for queued rows. */
  #classify(error: unknown): Failure {
    const redact = (text: string) => this.redactor.redact(text);
    if (error instanceof CountsError) return { kind: 'retry', message: redact(error.message), uncertain: false };
    let status: number | undefined;
    let message: string;
    let retryAfter: number | undefined;
    if (error instanceof TokenError || error instanceof SheetsError) {
      status = error.status || undefined;
      message = error.message;
      retryAfter = error.retryAfterMs;
    } else if (isGaxiosError(error) && error.response) {
      status = error.response.status;
      const detail = (error.response.data as { error?: { message?: string; status?: string } } | undefined)?.error;
      message = `Sheets API answered ${status}${detail?.status ? ` ${detail.status}` : ''}${detail?.message ? `: ${detail.message}` : ''}`;
      retryAfter = retryAfterMs(headerOf(error.response.headers, 'retry-after'));
    } else {
      const neverSent = neverArrived(error);
      return { kind: 'retry', message: redact(networkReason(error)), uncertain: !neverSent };
    }
    message = redact(message);
    if (status === undefined) return { kind: 'retry', message, uncertain: !(error instanceof TokenError) };
    if (status === 429 || status === 408) return { kind: 'retry', message, retryAfterMs: retryAfter, uncertain: false };
    if (status >= 500) return { kind: 'retry', message, retryAfterMs: retryAfter, uncertain: !(error instanceof TokenError) };
    // 400 invalid_grant (bad signature, clock), 401 invalid_client (deleted key), 403 (sheet not
    // shared with the service account), 404 (no such spreadsheet or web app), 400 (bad range):
    // retrying cannot help; the rows wait in the outbox for a fixed config and a restart.
    return { kind: 'halt', message: `${message} (check sheets_config; queued rows are kept and sent after a restart)` };
  }

  #reportFailure(failure: Failure, _items: OutboxItem<unknown>[], delay: number | undefined): void {
    if (failure.kind === 'halt') {
      this.health.halted(failure.message);
      this.log.error(`${failure.message}; ${this.outbox.queued(SHEETS_DESTINATION) + this.outbox.queued(CROSSINGS_DESTINATION)} row(s) kept in the outbox`);
    } else {
      this.health.failed(failure.message, failure.kind === 'reject' ? 'error' : 'disconnected');
      this.log.warn(`appending rows: ${failure.message}; retrying in ${((delay ?? 0) / 1000).toFixed(1)} s (${this.outbox.queued(SHEETS_DESTINATION) + this.outbox.queued(CROSSINGS_DESTINATION)} queued)`);
    }
  }
}

/** The sheet answered, but not with two counts. */
class CountsError extends Error {}

interface GaxiosLike {
  response?: { status: number; data?: unknown; headers?: unknown };
}

function isGaxiosError(error: unknown): error is Error & GaxiosLike {
  return error instanceof Error && typeof (error as GaxiosLike).response === 'object' && (error as GaxiosLike).response !== null;
}

function headerOf(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (headers instanceof Headers) return headers.get(name);
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : null;
}
