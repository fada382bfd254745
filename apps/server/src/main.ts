import { existsSync } from 'node:fs';
import { FrameBuffer } from '@cctv/frame-buffer';
import { banner } from './banner.ts';
import { CliError, parseArgs, USAGE } from './cli.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createApp, listen } from './http.ts';
import { log } from './log.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import { LiveUpdates } from './socketio.ts';
import { ServerState } from './state.ts';

/** A part of the program: started in order, stopped in reverse. */
interface Part {
  name: string;
  stop(): Promise<void> | void;
}

export async function main(argv: readonly string[]): Promise<void> {
  let cli;
  let loaded;
  try {
    cli = parseArgs(argv);
    if (cli.help) {
      console.log(USAGE);
      return;
    }
    const file = cli.config ?? process.env.CCTV_CONFIG ?? (existsSync('config.json') ? 'config.json' : undefined);
    loaded = loadConfig({ file, env: process.env, overrides: { port: cli.port } });
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) {
      console.error(`cctv-server: ${error.message}`);
      if (error instanceof CliError) console.error(USAGE);
      process.exit(2);
    }
    throw error;
  }
  const { config } = loaded;
  const parts: Part[] = [];

  // 1. frames: the one buffer every viewer reads.
  const frames = new FrameBuffer();
  parts.push({ name: 'frames', stop: () => frames.close() });

  // 2. pipeline (started last, once the server answers): capture + encode in a Worker.
  let live: LiveUpdates | undefined;
  const pipeline = new Pipeline({
    url: config.camera_url,
    targetFps: config.target_fps,
    jpegQuality: config.jpeg_quality,
    frames,
    onStatus: (status) => {
      log.info(`camera ${status.state}${status.reason ? `: ${status.reason}` : ''}`);
      live?.statusChanged();
    },
    onError: (message) => log.error(message),
  });
  const state = new ServerState(config, frames, pipeline);

  // 3. HTTP + Socket.IO on one port.
  live = new LiveUpdates(state);
  const app = createApp(state, live);
  try {
    listen(app, live, config.server.host, config.server.port);
  } catch (error) {
    console.error(`cctv-server: cannot listen on ${config.server.host}:${config.server.port}: ${(error as Error).message}`);
    process.exit(1);
  }
  live.start();
  parts.push({ name: 'live updates', stop: () => live.stop() });
  // Viewers are closed before the server stops, so their streams end instead of hanging.
  parts.push({
    name: 'http',
    stop: async () => {
      for (const viewer of state.viewers) viewer.close();
      await app.stop(true);
    },
  });
  pipeline.start();
  parts.push({ name: 'pipeline', stop: () => pipeline.stop() });

  console.log(banner(state, loaded.origin, cli.tui));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    for (const part of parts.toReversed()) {
      try {
        await part.stop();
      } catch (error) {
        log.error(`stopping ${part.name}: ${(error as Error).message}`);
      }
    }
    process.exit(0);
  };
  // A bug in one request or one callback is logged; it must not take the stream down for everyone.
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  process.on('uncaughtException', (error) => log.error(`uncaught exception: ${error.stack ?? error.message}`));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

if (import.meta.main) await main(Bun.argv.slice(2));
