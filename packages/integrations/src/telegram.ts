import { Api, GrammyError, HttpError, InputFile } from 'grammy';
import type { Message, Update } from 'grammy/types';
import { Courier, retryDelay, type BackoffSettings, type Failure } from './courier.ts';
import { Health, type IntegrationStatus } from './health.ts';
import type { Outbox, OutboxItem } from './outbox.ts';
import { ObjectPolicy, type AlertOn, type ObjectAlert } from './policy.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redactor } from '@cctv/redact';
import type { Logger } from './logger.ts';
import { networkReason, neverArrived } from './network.ts';

export interface TelegramSettings {
  enabled: boolean;
  botToken?: string;
  chatId?: string | number;
  /** Bot API server (default https://api.telegram.org). */
  apiRoot: string;
  /** Classes that raise an alert; empty: every class. */
  alertClasses: readonly string[];
  minConfidence: number;
  /** Alerts are per object; this also spaces two objects of one class on one camera (0: none). */
  cooldownS: number;
  /** What an object must do to alert: appear, enter a zone, cross a line. */
  alertOn: AlertOn;
  /** "HH:MM-HH:MM" local time without detection alerts (camera up/down messages still go). */
  quietHours?: string;
  /** Send a message when the camera goes down and when it comes back. */
  cameraAlerts: boolean;
  /** Answer /status, /snapshot and /stats (getUpdates long polling). */
  commands: boolean;
  /** Long-polling timeout of getUpdates, in seconds. */
  pollTimeoutS: number;
  /** Timeout of every other request, in seconds. */
  requestTimeoutS: number;
}

/** What the bot's commands report: supplied by the program that runs the integrations. */
export interface CommandSources {
  /** Text for /status. */
  status(): string;
  /** Text for /stats. */
  stats(): string;
  /**
   * The newest frame of a camera as JPEG for `/snapshot [camera]` (the first camera when none is
   * named), with the camera's name for the caption; or the text to answer instead (no such
   * camera, no frame yet).
   */
  snapshot(camera: string | undefined): Promise<{ jpeg: Uint8Array; camera: string } | { text: string }>;
}

/** A camera in messages: its name, and its id where that differs ("Lobby (ground floor) [lobby]"). */
export function cameraLabel(name: string, id = name): string {
  return name === id ? name : `${name} [${id}]`;
}

/** A queued Telegram message: a photo with a caption (the JPEG is the outbox item's attachment) or text. */
export type TelegramMessage = { kind: 'photo'; caption: string } | { kind: 'text'; text: string };

export const TELEGRAM_DESTINATION = 'telegram';

/** grammY's Node typings name abort-controller's AbortSignal; at run time it takes the platform's. */
type ApiSignal = Parameters<Api['getMe']>[0];
const apiSignal = (signal: AbortSignal) => signal as unknown as ApiSignal;

const DOWN_STATES = new Set(['Reconnecting', 'Failed']);
const COMMANDS = ['/status: every camera and the integrations', '/snapshot [camera]: the latest frame (of the first camera, or the one named)', '/stats: counters'];

/**
 * Telegram through grammY: detection alerts with a snapshot and camera down/up messages through
 * the outbox, and /status, /snapshot, /stats answered in the configured chat only.
 */
export class TelegramIntegration {
  readonly health: Health;
  readonly #api: Api | undefined;
  readonly #policy: ObjectPolicy;
  readonly #courier: Courier<TelegramMessage> | undefined;
  #polling: { controller: AbortController; done: Promise<void> } | undefined;
  /** Per camera id: when it went down (while it is down), and whether it was ever up (no "down" before the first frame). */
  readonly #downSince = new Map<string, number>();
  readonly #seenUp = new Set<string>();
  #botUsername: string | undefined;

  constructor(
    private readonly settings: TelegramSettings,
    private readonly outbox: Outbox,
    private readonly backoff: BackoffSettings,
    private readonly log: Logger,
    private readonly redactor: Redactor,
    private readonly sources: CommandSources,
  ) {
    const configured = settings.enabled && !!settings.botToken && settings.chatId !== undefined && settings.chatId !== '';
    const halfConfigured = settings.enabled && !configured && !!(settings.botToken || settings.chatId);
    this.health = new Health(configured || halfConfigured);
    this.#policy = new ObjectPolicy({ classes: settings.alertClasses, minConfidence: settings.minConfidence, cooldownS: settings.cooldownS, quietHours: settings.quietHours }, settings.alertOn);
    if (halfConfigured) this.health.halted('telegram_config needs both bot_token and chat_id');
    if (!configured) return;
    // grammY's own timeout; trailing slashes are refused by grammY, so trim them.
    this.#api = new Api(settings.botToken!, { apiRoot: settings.apiRoot.replace(/\/+$/, ''), timeoutSeconds: settings.requestTimeoutS });
    this.#courier = new Courier<TelegramMessage>({
      outbox,
      destination: TELEGRAM_DESTINATION,
      batchSize: 1,
      backoff,
      send: ([item], signal) => this.#send(item!, signal),
      classify: (error) => this.#classify(error),
      delivered: () => this.health.succeeded(),
      failed: (failure, items, delay) => this.#reportFailure(failure, items, delay),
    });
  }

  get enabled(): boolean {
    return this.#api !== undefined;
  }

  start(): void {
    if (!this.#api) return;
    this.#courier!.start();
    if (this.settings.commands) {
      const controller = new AbortController();
      this.#polling = { controller, done: this.#poll(controller.signal) };
    }
  }

  async stop(): Promise<void> {
    this.#polling?.controller.abort(new Error('stopping'));
    await Promise.all([this.#courier?.stop(), this.#polling?.done]);
  }

  status(): IntegrationStatus {
    return this.health.snapshot({
      queued: this.enabled ? this.outbox.queued(TELEGRAM_DESTINATION) : 0,
      dropped: this.outbox.counter(TELEGRAM_DESTINATION, 'dropped'),
      rejected: this.outbox.counter(TELEGRAM_DESTINATION, 'rejected'),
    });
  }

  /** Queues an alert, with the frame it happened in, when a tracked object does what `alertOn` asks (once per object). */
  onObject(alert: ObjectAlert): boolean {
    if (!this.enabled || !this.#policy.fires(alert)) return false;
    const what = alert.what.kind === 'appeared' ? '' : alert.what.kind === 'entered' ? ` entered ${alert.what.zone}` : ` crossed ${alert.what.line} (${alert.what.direction})`;
    const caption = `🚨 ${alert.className} #${alert.trackId} (${Math.round(alert.confidence * 100)} %)${what} on camera ${cameraLabel(alert.camera, alert.cameraId)} at ${new Date(alert.at).toISOString()}`;
    // Telegram's limits: 1024 characters for a caption, 4096 for a message.
    if (alert.snapshot?.byteLength) this.#queue({ kind: 'photo', caption: caption.slice(0, 1024) }, alert.snapshot);
    else this.#queue({ kind: 'text', text: caption });
    return true;
  }

  /** Camera state changes: a message when a streaming camera goes down and when it comes back. */
  onCameraStatus(state: string, reason: string | null, camera = 'default', cameraId = camera): void {
    if (!this.enabled || !this.settings.cameraAlerts) return;
    const label = cameraLabel(camera, cameraId);
    const downSince = this.#downSince.get(cameraId);
    if (state === 'Streaming') {
      if (downSince !== undefined) {
        const downS = Math.round((Date.now() - downSince) / 1000);
        this.#queue({ kind: 'text', text: `✅ Camera ${label} is back (down for ${formatDuration(downS)})` });
      }
      this.#downSince.delete(cameraId);
      this.#seenUp.add(cameraId);
    } else if (DOWN_STATES.has(state) && this.#seenUp.has(cameraId) && downSince === undefined) {
      this.#downSince.set(cameraId, Date.now());
      this.#queue({ kind: 'text', text: `⚠️ Camera ${label} is down (${state}${reason ? `: ${reason}` : ''})`.slice(0, 4096) });
    }
  }

  #queue(message: TelegramMessage, attachment?: Uint8Array): void {
    const { dropped } = this.outbox.add(TELEGRAM_DESTINATION, message, attachment);
    if (dropped) this.log.warn(`outbox full (${this.outbox.maxEntries} messages): dropped the ${dropped} oldest; ${this.outbox.counter(TELEGRAM_DESTINATION, 'dropped')} dropped in all`);
    this.#courier?.wake();
  }

  async #send(item: OutboxItem<TelegramMessage>, signal: AbortSignal): Promise<void> {
    const api = this.#api!;
    const chat = this.settings.chatId!;
    // No idempotency key exists in the Bot API: an `uncertain` message is sent again (at least once).
    if (item.payload.kind === 'photo' && item.attachment) {
      await api.sendPhoto(chat, new InputFile(item.attachment, 'snapshot.jpg'), { caption: item.payload.caption }, apiSignal(signal));
    } else {
      const text = item.payload.kind === 'photo' ? item.payload.caption : item.payload.text;
      await api.sendMessage(chat, text, {}, apiSignal(signal));
    }
  }

  /** How the Bot API answers, and what each answer means for a queued message. */
  #classify(error: unknown): Failure {
    if (error instanceof GrammyError) {
      const message = this.redactor.redact(`${error.method}: ${error.error_code} ${error.description}`);
      if (error.error_code === 429) return { kind: 'retry', message, retryAfterMs: (error.parameters.retry_after ?? 1) * 1000, uncertain: false };
      if (error.error_code >= 500) return { kind: 'retry', message, uncertain: true };
      // Wrong token (401/404), unknown chat (400 "chat not found"), bot blocked or kicked (403):
      // no message can get through until the config changes, so stop and say so.
      if (error.error_code === 401 || error.error_code === 403 || error.error_code === 404 || /chat not found|chat_id is empty|bot was blocked|not enough rights/i.test(error.description)) {
        return { kind: 'halt', message: `${message} (check telegram_config.bot_token and chat_id; queued messages are kept and sent after a restart)` };
      }
      // Any other 400 is about this one message (too long, bad photo): it will never pass.
      return { kind: 'reject', message };
    }
    const reason = this.redactor.redact(error instanceof HttpError ? `${error.message} ${networkReason(error.error)}` : networkReason(error));
    return { kind: 'retry', message: reason, uncertain: !neverArrived(error) };
  }

  #reportFailure(failure: Failure, items: OutboxItem<TelegramMessage>[], delay: number | undefined): void {
    if (failure.kind === 'halt') {
      this.health.halted(failure.message);
      this.log.error(`${failure.message}; ${this.outbox.queued(TELEGRAM_DESTINATION)} message(s) kept in the outbox`);
    } else if (failure.kind === 'reject') {
      this.health.failed(failure.message, 'error');
      this.log.error(`message ${items[0]?.id} refused for good, dropped: ${failure.message}`);
    } else {
      this.health.failed(failure.message, 'disconnected');
      this.log.warn(`${failure.message}; retrying in ${((delay ?? 0) / 1000).toFixed(1)} s (${this.outbox.queued(TELEGRAM_DESTINATION)} queued)`);
    }
  }

  /** getUpdates long polling: commands from the configured chat are answered, others are logged and ignored. */
  async #poll(signal: AbortSignal): Promise<void> {
    const api = this.#api!;
    let offset: number | undefined;
    let confirmed: number | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (this.#botUsername === undefined) this.#botUsername = (await api.getMe(apiSignal(signal))).username;
        const updates = await api.getUpdates({ offset, timeout: this.settings.pollTimeoutS, allowed_updates: ['message'] }, apiSignal(signal));
        confirmed = offset;
        failures = 0;
        this.health.succeeded();
        for (const update of updates) {
          offset = update.update_id + 1;
          await this.#handle(update, signal).catch((error) => {
            if (!signal.aborted) this.log.warn(`answering a command: ${this.#classify(error).message}`);
          });
        }
      } catch (error) {
        if (signal.aborted) break;
        const failure = this.#classify(error);
        if (failure.kind === 'halt' || (error instanceof GrammyError && error.error_code === 409)) {
          // 401: wrong token; 409: a webhook is set or another process polls this bot.
          this.health.halted(`getUpdates: ${failure.message}`);
          this.log.error(`commands off: ${failure.message}`);
          return;
        }
        this.health.failed(failure.message, 'disconnected');
        failures++;
        const delay = failure.kind === 'retry' && failure.retryAfterMs !== undefined ? failure.retryAfterMs : retryDelay(failures, this.backoff);
        await sleep(delay, undefined, { signal }).catch(() => {});
      }
    }
    // Telegram forgets updates once a later offset is asked for: confirm the ones answered, so a
    // restart does not answer them again (as grammY's bot.stop() does).
    if (offset !== undefined && offset !== confirmed) {
      await api.getUpdates({ offset, limit: 1, timeout: 0 }, apiSignal(AbortSignal.timeout(1000))).catch(() => {});
    }
  }

  async #handle(update: Update, signal: AbortSignal): Promise<void> {
    const message: Message | undefined = update.message;
    const command = message?.text ? /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+(\S+))?\s*$/.exec(message.text) : null;
    if (!message || !command) return;
    const [, name, addressee, argument] = command;
    if (addressee && this.#botUsername && addressee.toLowerCase() !== this.#botUsername.toLowerCase()) return;
    if (String(message.chat.id) !== String(this.settings.chatId)) {
      this.log.warn(`ignored /${name} from chat ${message.chat.id} (only the configured chat_id is answered)`);
      return;
    }
    const api = this.#api!;
    const chat = message.chat.id;
    switch (name!.toLowerCase()) {
      case 'status':
        await api.sendMessage(chat, this.sources.status(), {}, apiSignal(signal));
        return;
      case 'stats':
        await api.sendMessage(chat, this.sources.stats(), {}, apiSignal(signal));
        return;
      case 'snapshot': {
        const snapshot = await this.sources.snapshot(argument);
        if ('jpeg' in snapshot) await api.sendPhoto(chat, new InputFile(snapshot.jpeg, 'snapshot.jpg'), { caption: `${snapshot.camera} at ${new Date().toISOString()}` }, apiSignal(signal));
        else await api.sendMessage(chat, snapshot.text, {}, apiSignal(signal));
        return;
      }
      case 'start':
      case 'help':
        await api.sendMessage(chat, `Commands:\n${COMMANDS.join('\n')}`, {}, apiSignal(signal));
        return;
    }
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}
