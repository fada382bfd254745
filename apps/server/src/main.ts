import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { banner } from './banner.ts';
import { buildInfo } from './binary/build-info.ts';
import { CliError, parseArgs, USAGE, versionText, type CliOptions } from './cli.ts';
import { ConfigError, loadConfig, SINGLE_CAMERA_ID, type Config, type LoadedConfig } from './config.ts';
import { EventStore } from './event-store.ts';
import { createApp, listen } from './http.ts';
import { createIntegrations, crossing, detectionEvent, integrationCamera, objectAlert } from './integrations.ts';
import { LiveVideo } from './live-video.ts';
import { log } from './log.ts';
import { Metrics } from './metrics.ts';
import { MqttBridge } from './mqtt.ts';
import { registerSecrets } from './redact.ts';
import { ConfigReloader } from './reload.ts';
import { LiveUpdates } from './socketio.ts';
import { ServerState } from './state.ts';
import { startTui, type Tui } from './tui/index.ts';

/** A part of the program: started in the order listed, stopped in reverse. */
interface Part {
  name: string;
  start(): void;
  stop(): Promise<void> | void;
}

export async function main(argv: readonly string[]): Promise<void> {
  const { cli, load, file } = readSettings(argv);
  const loaded = load();
  const { config } = loaded;
  // Before anything logs: every line is scrubbed of these.
  registerSecrets(config);

  // Tracked objects' events and the line and zone counts, in the data folder: kept across restarts.
  const store = openEventStore(config);
  // GET /metrics: the cameras' measurements as they happen, the rest read from the state at each scrape.
  const metrics: Metrics = new Metrics(() => state);
  const state: ServerState = new ServerState(config, {
    status: (camera) => {
      metrics.statusChanged(camera);
      live.statusChanged();
      const { name, id } = integrationCamera(camera);
      integrations.onCameraStatus(camera.capture.state, camera.capture.reason, name, id);
      mqtt.status(camera);
    },
    detections: (camera, result, snapshot) => {
      live.detectionsChanged(camera);
      integrations.onDetections(detectionEvent(result, camera, snapshot));
      mqtt.detections(camera);
    },
    // Rows and alerts carry the frame the detections were drawn on, even when nobody watches.
    wantsPicture: (_camera, result) => integrations.enabled.length > 0 && result.detections.length > 0,
    objects: (camera, events, picture) => {
      live.objectEvents(events);
      mqtt.objects(camera, events, picture);
      for (const { change, event } of events) if (change.kind === 'crossed') metrics.lineCrossed(camera, change.line, change.direction, event.class_name);
      for (const { change, event } of events) {
        const alert = objectAlert(change, event, camera, picture);
        if (alert) integrations.onObject(alert);
        if (change.kind === 'crossed') integrations.onCrossing(crossing(change, event, camera));
      }
      if (events.some(({ change }) => change.kind !== 'appeared' && change.kind !== 'ended')) {
        live.countsChanged();
        const site = state.siteCounts();
        if (site) integrations.setCounts(site);
      }
    },
    log: (level, camera, message) => log[level](`${state.cameras.length > 1 || camera.id !== SINGLE_CAMERA_ID ? `${camera.id}: ` : ''}${message}`),
    metrics,
  }, store);
  let integrations = createIntegrations(config, () => state);
  state.integrations = integrations;
  let mqtt = new MqttBridge(config, () => state);
  state.mqtt = mqtt;
  // The sheet shows the server's own counts from the start, when it counts with lines.
  const startCounts = state.siteCounts();
  if (startCounts) integrations.setCounts(startCounts);
  const live = new LiveUpdates(state);
  const video = new LiveVideo(state);
  const reloader = new ConfigReloader(
    load,
    state,
    async (next) => {
      await Promise.all([integrations.stop(), mqtt.stop()]);
      integrations = createIntegrations(next, () => state);
      state.integrations = integrations;
      mqtt = new MqttBridge(next, () => state);
      state.mqtt = mqtt;
      integrations.start();
      mqtt.start();
    },
    // Cameras, lines or names changed: Home Assistant hears of them (removed ones disappear).
    () => mqtt.cameras(),
    file,
  );
  const app = createApp(state, live, video, reloader, metrics);

  let tui: Tui | undefined;
  let pruning: ReturnType<typeof setInterval> | undefined;
  const parts: Part[] = [
    // Socket.IO pushes: status and stats every second and on camera changes.
    { name: 'live updates', start: () => live.start(), stop: () => live.stop() },
    // REST, MJPEG, the live-video WebSocket and Socket.IO on one port; viewers are closed first so their streams end.
    {
      name: 'http',
      start: () => listen(app, live, video, config.server.host, config.server.port),
      stop: async () => {
        video.closeAll();
        for (const camera of state.cameras) for (const viewer of [...camera.viewers]) viewer.close();
        await app.stop(true);
      },
    },
    // Each camera: capture + encode in a Worker of its own, started once the server answers; one detector per model.
    { name: 'cameras', start: () => state.startCameras(), stop: () => state.stopCameras() },
    // Events past their retention are deleted now and every hour; the store closes after the cameras ended their objects.
    {
      name: 'events',
      start: () => {
        store.prune();
        pruning = setInterval(() => store.prune(), 3_600_000);
      },
      stop: () => {
        clearInterval(pruning);
        store.close();
      },
    },
    // Sheets counts in; rows and Telegram alerts out through the durable outbox (stopped first: in-flight sends finish).
    { name: 'integrations', start: () => integrations.start(), stop: () => integrations.stop() },
    // The MQTT broker: availability, camera status, counts and events; offline on a clean stop, the will on a crash.
    { name: 'mqtt', start: () => mqtt.start(), stop: () => mqtt.stop() },
    // Where the dashboard, API and streams answer; printed before a TUI takes over the terminal.
    { name: 'banner', start: () => console.log(banner(state, loaded.origin)), stop: () => {} },
    // --tui: the terminal dashboard, last; `q` quits like Ctrl-C, `d` toggles detection.
    {
      name: 'tui',
      start: () => {
        if (cli.tui) tui = startTui({ state, onQuit: () => void shutdown('quit (q)') });
      },
      stop: () => tui?.stop(),
    },
  ];

  const started: Part[] = [];
  for (const part of parts) {
    try {
      part.start();
      started.push(part);
    } catch (error) {
      const where = part.name === 'http' ? ` on ${config.server.host}:${config.server.port}` : '';
      console.error(`cctv-server: cannot start ${part.name}${where}: ${(error as Error).message}`);
      await stopAll(started);
      process.exit(1);
    }
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    await stopAll(started);
    process.exit(0);
  };
  // A bug in one request or one callback is logged; it must not take the stream down for everyone.
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  process.on('uncaughtException', (error) => log.error(`uncaught exception: ${error.stack ?? error.message}`));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void reloadAndLog(reloader));
}

/** The events and counts database, or the reason it cannot be opened (the server does not start without it). */
function openEventStore(config: Config): EventStore {
  const path = join(config.data_dir, 'events.sqlite');
  try {
    const store = new EventStore(path, { days: config.events.retain_days, count: config.events.retain_count });
    const closed = store.closeDangling();
    if (closed) log.info(`events: ${closed} event(s) left open by an earlier run ended at their last update`);
    return store;
  } catch (error) {
    console.error(`cctv-server: cannot open the events database ${resolve(path)} (data_dir): ${(error as Error).message}`);
    process.exit(1);
  }
}

/** SIGHUP: the config file again; what changed, or why the file was refused, in the log. */
async function reloadAndLog(reloader: ConfigReloader): Promise<void> {
  const result = await reloader.reload();
  if (!result.reloaded) {
    log.error(`SIGHUP: the config was not reloaded, the running one stays:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
    return;
  }
  const { added, removed, restarted } = result.cameras;
  const said = (what: string, ids: string[]) => (ids.length ? [`${what} ${ids.join(', ')}`] : []);
  const changes = [...said('added', added), ...said('removed', removed), ...said('restarted', restarted)];
  if (result.integrations === 'restarted') changes.push('integrations restarted');
  log.info(`SIGHUP: config reloaded: ${changes.length ? changes.join('; ') : 'no camera changed'}`);
  if (result.restart_required.length) log.warn(`SIGHUP: ${result.restart_required.join(', ')} changed; they apply at the next start`);
}

/** Flags, then the config they point at; a bad one ends the process with exit code 2 and what was wrong. */
function readSettings(argv: readonly string[]): { cli: CliOptions; load: () => LoadedConfig; file?: { path: string; check: (path: string) => LoadedConfig } } {
  try {
    const cli = parseArgs(argv);
    if (cli.help) {
      console.log(USAGE);
      process.exit(0);
    }
    if (cli.version) {
      console.log(versionText(buildInfo()));
      process.exit(0);
    }
    const file = cli.config ?? process.env.CCTV_CONFIG ?? (existsSync('config.json') ? 'config.json' : undefined);
    // The same file, environment and flags each time: a reload re-reads the file, and the environment as it was at start.
    const env = { ...process.env };
    const load = () => loadConfig({ file, env, overrides: { port: cli.port } });
    load();
    const check = (path: string) => loadConfig({ file: path, env, overrides: { port: cli.port } });
    return { cli, load, file: file ? { path: resolve(file), check } : undefined };
  } catch (error) {
    if (!(error instanceof CliError || error instanceof ConfigError)) throw error;
    console.error(`cctv-server: ${error.message}`);
    if (error instanceof CliError) console.error(USAGE);
    process.exit(2);
  }
}

async function stopAll(parts: Part[]): Promise<void> {
  for (const part of parts.toReversed()) {
    try {
      await part.stop();
    } catch (error) {
      log.error(`stopping ${part.name}: ${(error as Error).message}`);
    }
  }
}

if (import.meta.main) await main(Bun.argv.slice(2));
