import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { BackoffSettings } from './courier.ts';
import type { IntegrationStatus } from './health.ts';
import { Outbox } from './outbox.ts';
import { ensurePrivateDir, writePrivateFile } from './private-files.ts';
import type { DetectionEvent, ObjectAlert } from './policy.ts';
import { Redactor } from '@cctv/redact';
import { redactingLogger, type Logger } from './logger.ts';
import { SheetsIntegration, type Counts, type Crossing, type SheetsSettings } from './sheets.ts';
import { TelegramIntegration, type CommandSources, type TelegramSettings } from './telegram.ts';

export interface IntegrationsOptions {
  /** Unset fields take `SHEETS_DEFAULTS`; off unless `webappUrl`, or `credentialsFile` and `spreadsheetId`, are set. */
  sheets?: Partial<SheetsSettings>;
  /** Unset fields take `TELEGRAM_DEFAULTS`; off unless `botToken` and `chatId` are set. */
  telegram?: Partial<TelegramSettings>;
  /** The durable outbox: SQLite file and how many messages each destination may hold (default ./data/outbox.sqlite, 1000). */
  outbox?: { path: string; maxEntries: number };
  /** Retry backoff for undelivered messages and unreachable services (default 1 s doubling to 300 s). */
  retry?: BackoffSettings;
  /** Where detection snapshots referenced by rows are kept (`<time>-<camera>.jpg`); undefined: not kept. */
  snapshots?: { dir: string; keep: number };
  /** What Telegram's /status, /stats and /snapshot answer. */
  commands?: CommandSources;
  /** Default: the console. Every line is redacted first. */
  log?: Logger;
  /**
   * The redaction every log line and error passes through: the server's own, which knows every
   * secret of its config. The integrations add their bot token to it. Default: a new one.
   */
  redactor?: Redactor;
}

export const SHEETS_DEFAULTS: SheetsSettings = {
  enabled: true,
  pollIntervalS: 5,
  countsRange: 'Counts!A2:B2',
  eventsRange: 'Events!A:H',
  crossingsRange: 'Crossings!A:H',
  apiRoot: 'https://sheets.googleapis.com/',
  valueInputOption: 'RAW',
  eventClasses: [],
  minConfidence: 0.5,
  cooldownS: 10,
  requestTimeoutS: 30,
};

export const TELEGRAM_DEFAULTS: TelegramSettings = {
  enabled: true,
  apiRoot: 'https://api.telegram.org',
  alertClasses: [],
  minConfidence: 0.5,
  cooldownS: 0,
  alertOn: 'appear',
  cameraAlerts: true,
  commands: true,
  pollTimeoutS: 30,
  requestTimeoutS: 30,
};

/** /api/status's `integrations`. */
export interface IntegrationsStatus {
  sheets: ReturnType<SheetsIntegration['status']>;
  telegram: IntegrationStatus;
}

/**
 * Google Sheets and Telegram behind one face: start/stop, detection events and camera status in,
 * counts and status out. Rows and alerts go through one durable outbox, so an outage of either
 * service, or a restart of ours, loses nothing.
 */
export class Integrations {
  readonly sheets: SheetsIntegration;
  readonly telegram: TelegramIntegration;
  readonly #outbox: Outbox | undefined;
  readonly #options: IntegrationsOptions;
  readonly #log: Logger;
  /** After stop(): the outbox is closed, events are ignored and status() is the last one seen. */
  #stopped: IntegrationsStatus | undefined;

  constructor(options: IntegrationsOptions = {}) {
    this.#options = options;
    const sheets: SheetsSettings = { ...SHEETS_DEFAULTS, ...options.sheets };
    const telegram: TelegramSettings = { ...TELEGRAM_DEFAULTS, ...options.telegram };
    const outboxOptions = options.outbox ?? { path: './data/outbox.sqlite', maxEntries: 1000 };
    const retry = options.retry ?? { initialMs: 1000, maxMs: 300_000 };
    const log = options.log ?? console;
    const commands: CommandSources = options.commands ?? { status: () => 'running', stats: () => 'no stats', snapshot: async () => ({ text: 'No camera.' }) };
    const redactor = options.redactor ?? new Redactor();
    redactor.add([telegram.botToken]);
    this.#log = redactingLogger(log, redactor, 'integrations');
    const configured = (sheets.enabled && !!(sheets.webappUrl || (sheets.credentialsFile && sheets.spreadsheetId))) || (telegram.enabled && !!telegram.botToken && !!telegram.chatId);
    // Nothing configured: no file is created at all.
    const outbox = configured ? new Outbox(outboxOptions) : undefined;
    this.#outbox = outbox;
    const store = outbox ?? new Outbox({ path: ':memory:', maxEntries: outboxOptions.maxEntries });
    this.sheets = new SheetsIntegration(sheets, store, retry, redactingLogger(log, redactor, 'sheets'), redactor);
    this.telegram = new TelegramIntegration(telegram, store, retry, redactingLogger(log, redactor, 'telegram'), redactor, commands);
  }

  /** Names of the integrations that are on. */
  get enabled(): string[] {
    return [this.sheets.enabled && 'sheets', this.telegram.enabled && 'telegram'].filter((name): name is string => !!name);
  }

  start(): void {
    this.sheets.start();
    this.telegram.start();
    if (this.#outbox) {
      const waiting = this.#outbox.queued('sheets') + this.#outbox.queued('telegram');
      this.#log.info(`${this.enabled.join(' and ') || 'none'} on; outbox ${this.#outbox.path}${waiting ? ` holds ${waiting} message(s) from before, sending them first` : ''}`);
    }
  }

  /** Lets requests in flight finish (briefly), then closes the outbox; undelivered messages stay in it. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    await Promise.all([this.sheets.stop(), this.telegram.stop()]);
    this.#stopped = this.status();
    this.#outbox?.close();
  }

  /** inbound/outbound from the sheet (0 when Sheets is off or not read yet). */
  counts(): Counts {
    return this.sheets.counts();
  }

  status(): IntegrationsStatus {
    return this.#stopped ?? { sheets: this.sheets.status(), telegram: this.telegram.status() };
  }

  /**
   * A detector's result for one frame. Cheap when nothing passes the policies (cooldowns, classes,
   * confidence), so it may be called for every detection frame.
   */
  onDetections(event: DetectionEvent): void {
    if (this.#stopped) return;
    const at = event.at instanceof Date ? event.at.getTime() : event.at;
    let reference: string | undefined;
    const snapshotReference = () => (reference ??= this.#keepSnapshot(event, at));
    this.#guard('detection event', () => this.sheets.onDetections(event, snapshotReference));
  }

  /** A line crossing: a row in the sheet. */
  onCrossing(crossing: Crossing): void {
    if (this.#stopped) return;
    this.#guard('crossing', () => this.sheets.onCrossing(crossing));
  }

  /** The server's own inbound/outbound (from its counting lines): the sheet's counts cells follow them. */
  setCounts(counts: Counts): void {
    if (this.#stopped) return;
    this.sheets.setCounts(counts);
  }

  /** A tracked object did something (appeared, entered a zone, crossed a line): Telegram alerts per object. */
  onObject(alert: ObjectAlert): void {
    if (this.#stopped) return;
    this.#guard('object alert', () => this.telegram.onObject(alert));
  }

  /** The camera's state (Streaming, Reconnecting, Failed, …) whenever it changes. */
  onCameraStatus(state: string, reason: string | null, camera?: string, cameraId?: string): void {
    if (this.#stopped) return;
    this.#guard('camera status', () => this.telegram.onCameraStatus(state, reason, camera, cameraId));
  }

  /** A failure to queue (a full disk, say) is logged; it must not break the caller (the video pipeline). */
  #guard(what: string, queue: () => unknown): void {
    try {
      queue();
    } catch (error) {
      this.#log.error(`cannot queue ${what}: ${(error as Error).message}`);
    }
  }

  /** Saves the event's JPEG as `<time>-<camera>.jpg` for the rows to point at; keeps the newest `keep`. */
  #keepSnapshot(event: DetectionEvent, at: number): string {
    const settings = this.#options.snapshots;
    if (!settings || !event.snapshot?.byteLength) return '';
    const name = `${new Date(at).toISOString().replaceAll(':', '-')}-${(event.cameraId ?? event.camera).replace(/[^\w.-]/g, '_')}.jpg`;
    try {
      ensurePrivateDir(settings.dir);
      writePrivateFile(join(settings.dir, name), event.snapshot);
      const files = readdirSync(settings.dir).filter((file) => file.endsWith('.jpg'));
      if (files.length > settings.keep) {
        const oldest = files.map((file) => ({ file, at: statSync(join(settings.dir, file)).mtimeMs })).sort((a, b) => a.at - b.at || a.file.localeCompare(b.file));
        for (const { file } of oldest.slice(0, files.length - settings.keep)) unlinkSync(join(settings.dir, file));
      }
      return name;
    } catch (error) {
      this.#log.warn(`cannot keep snapshot in ${settings.dir}: ${(error as Error).message}`);
      return '';
    }
  }
}
