import { Integrations, type DetectionEvent } from '@cctv/integrations';
import type { Config } from './config.ts';
import { log } from './log.ts';
import { redactor } from './redact.ts';
import type { ServerState } from './state.ts';

/** Sheets and Telegram from the config; the bot's /status, /stats and /snapshot read the server's state. */
export function createIntegrations(config: Config, state: () => ServerState): Integrations {
  const { sheets_config: sheets, telegram_config: telegram, integrations: delivery } = config;
  return new Integrations({
    sheets: {
      enabled: config.sheets_enabled,
      webappUrl: sheets.webapp_url || undefined,
      pollIntervalS: sheets.poll_interval,
      credentialsFile: sheets.credentials_file || undefined,
      spreadsheetId: sheets.spreadsheet_id || undefined,
      countsRange: sheets.counts_range,
      eventsRange: sheets.events_range,
      apiRoot: sheets.api_root,
      valueInputOption: 'RAW',
      eventClasses: sheets.event_classes,
      minConfidence: sheets.min_confidence,
      cooldownS: sheets.cooldown_s,
      requestTimeoutS: delivery.request_timeout_s,
    },
    telegram: {
      enabled: config.telegram_enabled,
      botToken: telegram.bot_token || undefined,
      chatId: telegram.chat_id === '' ? undefined : telegram.chat_id,
      apiRoot: telegram.api_root,
      alertClasses: telegram.alert_classes,
      minConfidence: telegram.min_confidence,
      cooldownS: telegram.cooldown_s,
      quietHours: telegram.quiet_hours.trim() || undefined,
      cameraAlerts: telegram.camera_alerts,
      commands: telegram.commands,
      pollTimeoutS: telegram.poll_timeout_s,
      requestTimeoutS: delivery.request_timeout_s,
    },
    outbox: { path: delivery.outbox_path, maxEntries: delivery.outbox_max_entries },
    retry: { initialMs: delivery.retry_initial_s * 1000, maxMs: delivery.retry_max_s * 1000 },
    snapshots: delivery.snapshot_dir ? { dir: delivery.snapshot_dir, keep: delivery.snapshot_keep } : undefined,
    commands: {
      status: () => statusText(state()),
      stats: () => statsText(state()),
      // The newest frame, else the status card viewers see while the camera has sent none.
      snapshot: () => state().frames.latest()?.jpeg ?? state().pipeline.placeholder?.jpeg,
    },
    log,
    redactor,
  });
}

/** The camera's name in messages and rows: its host (no credentials), or the source as given, redacted. */
export function cameraName(cameraUrl: string): string {
  try {
    const url = new URL(cameraUrl);
    if (url.host) return url.host;
  } catch {
    // Not a URL (a file path, demo:), or one `URL` refuses (a raw space in a password): redacted below.
  }
  return redactor.redact(cameraUrl);
}

/**
 * A detector result as the integrations take it. The pipeline calls `onDetections` right after
 * pushing the first frame drawn with the result, so `frames.latest()` is that frame's JPEG.
 */
export function detectionEvent(
  result: { capturedAt: number; detections: ReadonlyArray<{ className: string; confidence: number }> },
  camera: string,
  snapshot: Uint8Array | undefined,
): DetectionEvent {
  return { at: result.capturedAt, camera, detections: result.detections.map(({ className, confidence }) => ({ className, confidence })), snapshot };
}

/** Banner lines: what each integration does, or that it is off. */
export function integrationLines(config: Config, integrations: Integrations | undefined): string[] {
  if (!integrations) return [];
  const { sheets_config: sheets, telegram_config: telegram } = config;
  const failed = (health: { state: string; lastError: string | null }) => (health.state === 'error' ? `error: ${health.lastError}` : undefined);
  const sheetsLine =
    failed(integrations.sheets.health) ??
    (integrations.sheets.mode === 'api'
      ? `Sheets API, spreadsheet ${sheets.spreadsheet_id}: counts from ${sheets.counts_range} every ${sheets.poll_interval} s, rows to ${sheets.events_range}`
      : integrations.sheets.mode === 'webapp'
        ? `web app ${new URL(sheets.webapp_url).host}: counts every ${sheets.poll_interval} s, rows posted`
        : offLine('sheets_enabled', !!(sheets.webapp_url || sheets.credentials_file)));
  const classes = telegram.alert_classes.length ? telegram.alert_classes.join(', ') : 'every class';
  const telegramLine =
    failed(integrations.telegram.health) ??
    (integrations.telegram.enabled
      ? `chat ${telegram.chat_id}: alerts for ${classes}${telegram.camera_alerts ? ', camera down/up' : ''}${telegram.commands ? ', commands /status /snapshot /stats' : ''}`
      : offLine('telegram_enabled', !!telegram.bot_token));
  const lines = [`   Sheets:  ${sheetsLine}`, `   Telegram: ${telegramLine}`];
  if (integrations.enabled.length) lines.push(`   Outbox:  ${config.integrations.outbox_path}`);
  return lines;
}

/** Off, and why when its settings are there: the seed's switch was not turned on. */
function offLine(switchKey: string, configured: boolean): string {
  return configured ? `off (${switchKey} is not true; its settings are ignored)` : 'off';
}

function statusText(state: ServerState): string {
  const status = state.status();
  const camera = status.camera;
  const lines = [
    `📷 Camera: ${camera.state}${camera.reason ? ` (${camera.reason})` : ''}, ${Math.round(status.fps * 10) / 10} fps, ${status.frame_count} frames, ${status.stream.clients} viewer(s)`,
    `Source: ${camera.source}`,
  ];
  for (const [name, integration] of Object.entries(state.integrations?.status() ?? {})) {
    lines.push(`${name}: ${integration.state}${integration.queued ? `, ${integration.queued} queued` : ''}${integration.last_error ? ` (${integration.last_error})` : ''}`);
  }
  return lines.join('\n');
}

function statsText(state: ServerState): string {
  const stats = state.stats();
  return [`📊 Detections now: ${stats.detection_count}`, `Inbound: ${stats.inbound}`, `Outbound: ${stats.outbound}`, `FPS: ${stats.fps}`].join('\n');
}
