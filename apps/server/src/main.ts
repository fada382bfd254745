import { existsSync } from 'node:fs';
import { FrameBuffer } from '@cctv/frame-buffer';
import { banner } from './banner.ts';
import { buildInfo } from './binary/build-info.ts';
import { CliError, parseArgs, USAGE, versionText, type CliOptions } from './cli.ts';
import { ConfigError, loadConfig, type LoadedConfig } from './config.ts';
import { createApp, listen } from './http.ts';
import { cameraName, createIntegrations, detectionEvent } from './integrations.ts';
import { log } from './log.ts';
import { registerSecrets } from './redact.ts';
import { Pipeline } from './pipeline/pipeline.ts';
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
  const { cli, loaded } = readSettings(argv);
  const { config } = loaded;
  // Before anything logs: every line is scrubbed of these.
  registerSecrets(config);

  const frames = new FrameBuffer();
  const pipeline = new Pipeline({
    url: config.camera_url,
    targetFps: config.target_fps,
    jpegQuality: config.jpeg_quality,
    jpegEncoder: config.jpeg_encoder,
    rtspDecoder: config.rtsp_decoder,
    frames,
    detection: {
      modelPath: config.model_path,
      confidence: config.detection.confidence,
      iou: config.detection.iou,
      classes: config.detection.classes,
      labelsPath: config.detection.labels_path,
      threads: config.detection.threads,
      executionProviders: config.detection.execution_providers,
      maxFps: config.detection.max_fps,
      backend: config.detection.backend,
    },
    detectionEnabled: config.detection_enabled,
    onStatus: (status) => {
      const decoder = status.state === 'Connecting' && status.decoder ? ` (${status.decoder})` : '';
      log.info(`camera ${status.state}${decoder}${status.reason ? `: ${status.reason}` : ''}`);
      live.statusChanged();
      integrations.onCameraStatus(status.state, status.reason, cameraName(status.source));
    },
    onDetectionStatus: (status) => {
      const what = status.state === 'running' ? `: ${status.model} (${status.layout}, ${status.inputSize?.width}×${status.inputSize?.height}, ${status.backend})` : '';
      const line = `detection ${status.state}${what}${status.reason ? `: ${status.reason}` : ''}`;
      if (status.state === 'failed') log.error(line);
      else if (status.reason) log.warn(line); // running, but a fallback model: say so loudly
      else log.info(line);
      live.statusChanged();
    },
    onDetections: (result) => {
      live.detectionsChanged();
      // Called right after the first frame drawn with this result went in, so that frame is the snapshot.
      integrations.onDetections(detectionEvent(result, cameraName(config.camera_url), frames.latest()?.jpeg));
    },
    onError: (message) => log.error(message),
    onEncoder: (name, fallbackReason) => (fallbackReason ? log.warn(`JPEG encoder: ${name}, because ${fallbackReason}`) : log.info(`JPEG encoder: ${name}`)),
  });
  const state = new ServerState(config, frames, pipeline);
  const integrations = createIntegrations(config, () => state);
  state.integrations = integrations;
  const live = new LiveUpdates(state);
  const app = createApp(state, live);

  let tui: Tui | undefined;
  const parts: Part[] = [
    // The one buffer every viewer reads.
    { name: 'frames', start: () => {}, stop: () => frames.close() },
    // Socket.IO pushes: status and stats every second and on camera changes.
    { name: 'live updates', start: () => live.start(), stop: () => live.stop() },
    // REST, MJPEG and Socket.IO on one port; viewers are closed first so their streams end.
    {
      name: 'http',
      start: () => listen(app, live, config.server.host, config.server.port),
      stop: async () => {
        for (const viewer of state.viewers) viewer.close();
        await app.stop(true);
      },
    },
    // Capture + encode in a Worker, started once the server answers.
    { name: 'pipeline', start: () => pipeline.start(), stop: () => pipeline.stop() },
    // Sheets counts in; rows and Telegram alerts out through the durable outbox (stopped first: in-flight sends finish).
    { name: 'integrations', start: () => integrations.start(), stop: () => integrations.stop() },
    // Where the dashboard, API and stream answer; printed before a TUI takes over the terminal.
    { name: 'banner', start: () => console.log(banner(state, loaded.origin)), stop: () => {} },
    // --tui: the terminal dashboard, last; `q` quits like Ctrl-C, `d` toggles detection.
    {
      name: 'tui',
      start: () => {
        if (cli.tui) tui = startTui({ state, onQuit: () => void shutdown('quit (q)'), onToggleDetection: () => state.toggleDetection() });
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
}

/** Flags, then the config they point at; a bad one ends the process with exit code 2 and what was wrong. */
function readSettings(argv: readonly string[]): { cli: CliOptions; loaded: LoadedConfig } {
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
    return { cli, loaded: loadConfig({ file, env: process.env, overrides: { port: cli.port } }) };
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
