import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { ConfigError, SINGLE_CAMERA_ID, type Config, type LoadedConfig } from './config.ts';
import { addSecrets, secretsOf } from './redact.ts';
import type { CameraChanges, ServerState } from './state.ts';
import type { CountingAreas } from './tracking.ts';

export type ReloadResult =
  | { reloaded: true; cameras: CameraChanges; integrations: 'restarted' | 'unchanged'; restart_required: string[] }
  | { reloaded: false; error: 'invalid config'; problems: string[] };

/** Config keys read only at start (the HTTP server, the data folder and its events database): a reload that changes them says so, and they apply at the next start. */
const READ_AT_START = ['server', 'data_dir', 'events'] as const;
/** Keys of the integrations: a reload that changes any of them restarts the integrations. */
const INTEGRATION_KEYS = ['sheets_enabled', 'sheets_config', 'telegram_enabled', 'telegram_config', 'integrations', 'mqtt'] as const;

/**
 * Reload without a restart (SIGHUP, POST /api/config/reload): the config file is read again and
 * checked as at start. An invalid one is refused and the running config stays. Added cameras
 * start, removed ones stop, changed ones restart; untouched cameras and their viewers notice
 * nothing. Integrations restart when their settings changed.
 */
export class ConfigReloader {
  #running: Promise<ReloadResult> | undefined;

  constructor(
    private readonly load: () => LoadedConfig,
    private readonly state: ServerState,
    private readonly restartIntegrations: (config: Config) => Promise<void>,
    /** After the cameras changed (added, removed, their lines): whoever announces them hears of it. */
    private readonly camerasChanged: () => void,
    /** The config file and how to check another file as it would load (same environment and flags); none: settings from defaults and the environment only. */
    private readonly file?: { path: string; check: (path: string) => LoadedConfig },
  ) {}

  /**
   * Writes a camera's counting lines and zones into the config file (the rest of it as it was),
   * checked as a whole before it replaces the file, then reloads: counting follows at once and
   * the video goes on.
   */
  async saveAreas(cameraId: string, areas: CountingAreas): Promise<{ saved: true } | { error: string; status: 409 | 422; problems?: string[] }> {
    if (!this.file) return { error: 'no config file to save into: this server runs on defaults and the environment (start it with --config FILE)', status: 409 };
    const { path, check } = this.file;
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { cameras?: Record<string, Record<string, unknown>> };
    if (raw.cameras) {
      const entry = raw.cameras[cameraId];
      if (!entry) return { error: `camera ${cameraId} is not in ${path} (it comes from CCTV_CAMERAS): set its lines and zones there`, status: 409 };
      entry.lines = areas.lines;
      entry.zones = areas.zones;
    } else if (cameraId === SINGLE_CAMERA_ID && !process.env.CCTV_CAMERAS) {
      raw.lines = areas.lines;
      raw.zones = areas.zones;
    } else {
      return { error: `camera ${cameraId} is not in ${path} (it comes from CCTV_CAMERAS): set its lines and zones there`, status: 409 };
    }
    // Written beside the file and checked as it would load; only a good one replaces the file, at once (rename).
    const next = `${path}.${process.pid}.tmp`;
    writeFileSync(next, `${JSON.stringify(raw, null, 2)}\n`, { mode: statSync(path).mode & 0o777 });
    try {
      check(next);
    } catch (error) {
      rmSync(next, { force: true });
      if (error instanceof ConfigError) return { error: 'invalid config', status: 422, problems: error.problems };
      throw error;
    }
    renameSync(next, path);
    const result = await this.reload();
    if (!result.reloaded) return { error: 'invalid config', status: 422, problems: result.problems };
    return { saved: true };
  }

  /** One reload at a time: a second request while one runs gets the same answer. */
  reload(): Promise<ReloadResult> {
    this.#running ??= this.#reload().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #reload(): Promise<ReloadResult> {
    let next: Config;
    try {
      next = this.load().config;
    } catch (error) {
      if (error instanceof ConfigError) return { reloaded: false, error: 'invalid config', problems: error.problems };
      throw error;
    }
    // The new secrets join the known ones: lines about the old config may still be on their way.
    addSecrets(secretsOf(next));
    const previous = this.state.config;
    const restartRequired = changedKeys(previous, next, READ_AT_START);
    const integrationsChanged = changedKeys(previous, next, INTEGRATION_KEYS).length > 0;
    const cameras = await this.state.applyCameras({ ...next, server: previous.server, data_dir: previous.data_dir, events: previous.events });
    if (integrationsChanged) await this.restartIntegrations(this.state.config);
    else this.camerasChanged();
    return { reloaded: true, cameras, integrations: integrationsChanged ? 'restarted' : 'unchanged', restart_required: restartRequired };
  }
}

/** The keys (as `server.port`) whose values differ between two configs. */
function changedKeys(a: Config, b: Config, keys: readonly (keyof Config)[]): string[] {
  const changed: string[] = [];
  for (const key of keys) {
    const [x, y] = [a[key], b[key]];
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x)) {
      for (const sub of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (JSON.stringify((x as Record<string, unknown>)[sub]) !== JSON.stringify((y as Record<string, unknown>)[sub])) changed.push(`${key}.${sub}`);
      }
    } else if (JSON.stringify(x) !== JSON.stringify(y)) changed.push(key);
  }
  return changed;
}
