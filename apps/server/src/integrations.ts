import { cameraLabel, Integrations, type Crossing, type DetectionEvent, type ObjectAlert } from '@cctv/integrations';
import type { StoredEvent } from './event-store.ts';
import type { ObjectChange } from './tracking.ts';
import { redactUrl } from '@cctv/redact';
import { SINGLE_CAMERA_ID, type Config } from './config.ts';
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
      crossingsRange: sheets.crossings_range,
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
      alertOn: telegram.alert_on,
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
      snapshot: (id) => snapshotFor(state(), id),
    },
    log,
    redactor,
  });
}

/**
 * A camera as the integrations name it: its name and id; the seed's one camera by its name alone,
 * as its messages always read ("Camera 192.168.1.100:554 is down").
 */
export function integrationCamera(camera: { id: string; name: string }): { name: string; id: string | undefined } {
  return { name: camera.name, id: camera.id === SINGLE_CAMERA_ID ? undefined : camera.id };
}

/** A detector result of a camera as the integrations take it, with the JPEG of the first frame drawn with it. */
export function detectionEvent(
  result: { capturedAt: number; detections: ReadonlyArray<{ className: string; confidence: number }> },
  camera: { id: string; name: string },
  snapshot: Uint8Array | undefined,
): DetectionEvent {
  const { name, id } = integrationCamera(camera);
  return {
    at: result.capturedAt,
    camera: name,
    cameraId: id,
    detections: result.detections.map(({ className, confidence }) => ({ className, confidence })),
    snapshot,
  };
}

/** What a tracked object did, as the alerts take it; undefined for what never alerts (an end, leaving a zone). */
export function objectAlert(change: ObjectChange, event: StoredEvent, camera: { id: string; name: string }, picture: Uint8Array | undefined): ObjectAlert | undefined {
  const what: ObjectAlert['what'] | undefined =
    change.kind === 'appeared' ? { kind: 'appeared' }
    : change.kind === 'entered' ? { kind: 'entered', zone: change.zone }
    : change.kind === 'crossed' ? { kind: 'crossed', line: change.line, direction: change.direction }
    : undefined;
  if (!what) return undefined;
  const { name, id } = integrationCamera(camera);
  return { at: Date.now(), camera: name, cameraId: id, objectId: String(event.id), trackId: event.track_id, className: event.class_name, confidence: event.best_confidence, what, snapshot: picture };
}

/** A line crossing as a sheet row takes it. */
export function crossing(change: Extract<ObjectChange, { kind: 'crossed' }>, event: StoredEvent, camera: { id: string; name: string }): Crossing {
  const { name, id } = integrationCamera(camera);
  const at = event.lines.findLast((c) => c.line === change.line)?.at ?? Date.now();
  return { at, camera: name, cameraId: id, line: change.line, direction: change.direction, className: event.class_name, trackId: event.track_id };
}

/** /snapshot [camera]: the newest frame (encoded now if nobody watches), else the status card viewers see while the camera has sent none. */
async function snapshotFor(state: ServerState, id: string | undefined): Promise<{ jpeg: Uint8Array; camera: string } | { text: string }> {
  const camera = id === undefined ? state.primary : state.camera(id);
  if (!camera) return { text: `No camera "${id}"; the cameras are: ${state.cameras.map((c) => c.id).join(', ')}` };
  const jpeg = (await camera.snapshot())?.jpeg ?? camera.placeholder?.jpeg;
  const { name, id: cameraId } = integrationCamera(camera);
  const label = cameraLabel(name, cameraId);
  return jpeg ? { jpeg, camera: label } : { text: `No frame yet: camera ${label} has not sent a picture (${camera.capture.state}).` };
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
  const { mqtt } = config;
  const mqttLine = !mqtt.enabled || !mqtt.url ? 'off' : `${redactUrl(mqtt.url)} as ${mqtt.client_id}: topics ${mqtt.topic_prefix}/${mqtt.client_id}/…${mqtt.home_assistant.discovery ? `, Home Assistant discovery under ${mqtt.home_assistant.prefix}/` : ''}`;
  const lines = [`   Sheets:  ${sheetsLine}`, `   Telegram: ${telegramLine}`, `   MQTT:    ${mqttLine}`];
  if (integrations.enabled.length) lines.push(`   Outbox:  ${config.integrations.outbox_path}`);
  return lines;
}

/** Off, and why when its settings are there: the seed's switch was not turned on. */
function offLine(switchKey: string, configured: boolean): string {
  return configured ? `off (${switchKey} is not true; its settings are ignored)` : 'off';
}

/** /status: one line per camera, then the integrations. */
function statusText(state: ServerState): string {
  const lines: string[] = [];
  for (const camera of state.cameras) {
    const status = state.status(camera);
    const { state: cameraState, reason, source } = status.camera;
    const { name, id } = integrationCamera(camera);
    lines.push(
      `📷 ${cameraLabel(name, id)}: ${cameraState}${reason ? ` (${reason})` : ''}, ${status.fps} fps, ${status.frame_count} frames, ${status.stream.clients} viewer(s)`,
      `   ${source}`,
    );
  }
  for (const [name, integration] of Object.entries(state.integrations?.status() ?? {})) {
    lines.push(`${name}: ${integration.state}${integration.queued ? `, ${integration.queued} queued` : ''}${integration.last_error ? ` (${integration.last_error})` : ''}`);
  }
  return lines.join('\n');
}

function statsText(state: ServerState): string {
  const stats = state.stats();
  return [`📊 Detections now: ${stats.detection_count}`, `Inbound: ${stats.inbound}`, `Outbound: ${stats.outbound}`, `FPS: ${stats.fps}`].join('\n');
}
