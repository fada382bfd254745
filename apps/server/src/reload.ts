import { ConfigError, type Config, type LoadedConfig } from './config.ts';
import { addSecrets, secretsOf } from './redact.ts';
import type { CameraChanges, ServerState } from './state.ts';

export type ReloadResult =
  | { reloaded: true; cameras: CameraChanges; integrations: 'restarted' | 'unchanged'; restart_required: string[] }
  | { reloaded: false; error: 'invalid config'; problems: string[] };

/** Config keys read only at start: a reload that changes them says so, and they apply at the next start. */
const READ_AT_START = ['server', 'data_dir'] as const;
/** Keys of the integrations: a reload that changes any of them restarts the integrations. */
const INTEGRATION_KEYS = ['sheets_enabled', 'sheets_config', 'telegram_enabled', 'telegram_config', 'integrations'] as const;

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
  ) {}

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
    const cameras = await this.state.applyCameras({ ...next, server: previous.server, data_dir: previous.data_dir });
    if (integrationsChanged) await this.restartIntegrations(this.state.config);
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
