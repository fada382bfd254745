import type { Integrations } from '@cctv/integrations';
import { securityStatus } from './auth.ts';
import { Camera, type CameraEvents } from './camera.ts';
import type { EventStore } from './event-store.ts';
import type { MqttBridge } from './mqtt.ts';
import { cameraConfigs, type CameraConfig, type Config } from './config.ts';
import { Detectors } from './detectors.ts';
import { redactStrings } from './redact.ts';
import { localDayKey } from '@cctv/tracker';
import type { CountsBodyType } from './routes/counting.ts';
import type { CameraListBodyType, StatsBodyType, StatusBodyType } from './routes/status-body.ts';

/** What a reload did to the cameras. */
export interface CameraChanges {
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
}

/**
 * What the routes, Socket.IO, the TUI and the banner read: one place, so they always agree. The
 * cameras in config order; the first one answers the seed's single-camera routes and events.
 */
export class ServerState {
  readonly detectors = new Detectors();
  /** Sheets and Telegram (set by main once made): counts in, status out. */
  integrations: Integrations | undefined;
  /** The MQTT broker link (set by main once made). */
  mqtt: MqttBridge | undefined;
  #config: Config;
  #cameras: Camera[];

  constructor(
    config: Config,
    private readonly cameraEvents: CameraEvents,
    readonly store: EventStore,
  ) {
    this.#config = config;
    this.#cameras = cameraConfigs(config).map((camera) => this.#newCamera(camera));
  }

  get config(): Config {
    return this.#config;
  }

  get cameras(): readonly Camera[] {
    return this.#cameras;
  }

  /** The first camera: the seed's routes, status and events are about it. */
  get primary(): Camera {
    return this.#cameras[0]!;
  }

  camera(id: string): Camera | undefined {
    return this.#cameras.find((camera) => camera.id === id);
  }

  startCameras(): void {
    for (const camera of this.#cameras) camera.start();
  }

  async stopCameras(): Promise<void> {
    await Promise.all(this.#cameras.map((camera) => camera.close()));
    await this.detectors.stop();
  }

  /**
   * Runs a new config's cameras: added ones start, removed ones stop (their viewers' streams
   * end), changed ones restart (their viewers stay), the rest are not touched at all.
   */
  async applyCameras(config: Config): Promise<CameraChanges> {
    const wanted = cameraConfigs(config);
    const changes: CameraChanges = { added: [], removed: [], restarted: [], unchanged: [] };
    const running = new Map(this.#cameras.map((camera) => [camera.id, camera]));
    // Settings every camera shares: a change restarts them all.
    const sameShared = ['jpeg_encoder', 'tracking', 'counting'].every((key) => JSON.stringify(config[key as keyof Config]) === JSON.stringify(this.#config[key as keyof Config]));
    this.#config = config;
    const next: Camera[] = [];
    const work: Promise<void>[] = [];
    for (const settings of wanted) {
      const camera = running.get(settings.id);
      running.delete(settings.id);
      if (!camera) {
        const added = this.#newCamera(settings);
        added.start();
        next.push(added);
        changes.added.push(settings.id);
      } else if (sameShared && sameCamera(camera.config, settings)) {
        next.push(camera);
        changes.unchanged.push(settings.id);
      } else if (sameShared && sameCamera(withoutAreas(camera.config), withoutAreas(settings))) {
        // Only its lines or zones changed: counting follows at once, the video is not touched.
        camera.setAreas({ lines: settings.lines, zones: settings.zones });
        next.push(camera);
        changes.unchanged.push(settings.id);
      } else {
        work.push(camera.reconfigure(settings));
        next.push(camera);
        changes.restarted.push(settings.id);
      }
    }
    this.#cameras = next;
    for (const camera of running.values()) {
      work.push(camera.close());
      changes.removed.push(camera.id);
    }
    await Promise.all(work);
    return changes;
  }

  #newCamera(config: CameraConfig): Camera {
    const { jpeg_encoder: jpegEncoder, tracking, counting } = this.#config;
    return new Camera(config, { jpegEncoder, detectors: this.detectors, store: this.store, settings: { tracking, counting }, events: this.cameraEvents });
  }

  /** The seed's /api/status shape for one camera (the first by default), then ours; secrets scrubbed: it goes to REST, Socket.IO and the TUI. */
  status(camera: Camera = this.primary): StatusBodyType {
    return redactStrings({
      ...camera.status(),
      integrations: this.integrations && this.mqtt ? { ...this.integrations.status(), mqtt: this.mqtt.client.status() } : null,
      security: securityStatus(this.#config),
    });
  }

  /** GET /api/cameras: every camera in config order, in brief. */
  cameraList(): CameraListBodyType {
    return this.#cameras.map((camera) => {
      const status = camera.status();
      return redactStrings({
        id: camera.id,
        name: camera.name,
        status: status.status,
        fps: status.fps,
        width: status.camera.width,
        height: status.camera.height,
        viewers: status.stream.clients,
        detection: { state: status.detection.state, fps: status.detection.fps },
      });
    });
  }

  /**
   * inbound/outbound of the whole site from the server's own lines: the sum over every camera's
   * lines of "in" and of "out" (today's, or since counting began with `counting.daily_reset` off);
   * undefined when no camera has a line (they come from the sheet then).
   */
  siteCounts(): { inbound: number; outbound: number } | undefined {
    if (!this.#cameras.some((camera) => camera.tracking.areas.lines.length)) return undefined;
    const scope = this.#config.counting.daily_reset ? 'today' : 'total';
    let inbound = 0;
    let outbound = 0;
    for (const camera of this.#cameras) {
      const counts = camera.tracking.counts(scope);
      for (const line of camera.tracking.areas.lines) {
        for (const n of Object.values(counts.lines[line.name]?.in ?? {})) inbound += n;
        for (const n of Object.values(counts.lines[line.name]?.out ?? {})) outbound += n;
      }
    }
    return { inbound, outbound };
  }

  /** GET /api/counts: every camera's lines (in and out by class, today and since counting began) and zones (occupancy now, entries). */
  counts(): CountsBodyType {
    const day = localDayKey();
    const site = this.siteCounts();
    const cameras: CountsBodyType['cameras'] = {};
    for (const camera of this.#cameras) {
      const { lines, zones } = camera.tracking.areas;
      if (!lines.length && !zones.length) continue;
      const today = camera.tracking.counts('today');
      const total = camera.tracking.counts('total');
      const occupancy = camera.tracking.occupancy();
      cameras[camera.id] = {
        lines: Object.fromEntries(
          lines.map((line) => [line.name, { today: { in: today.lines[line.name]?.in ?? {}, out: today.lines[line.name]?.out ?? {} }, total: { in: total.lines[line.name]?.in ?? {}, out: total.lines[line.name]?.out ?? {} } }]),
        ),
        zones: Object.fromEntries(
          zones.map((zone) => [zone.name, { occupancy: occupancy[zone.name] ?? {}, entered_today: today.zones[zone.name]?.entered ?? {}, entered_total: total.zones[zone.name]?.entered ?? {} }]),
        ),
      };
    }
    return { day, daily_reset: this.#config.counting.daily_reset, inbound: site?.inbound ?? null, outbound: site?.outbound ?? null, cameras };
  }

  /** The seed's /api/stats shape; detection_count is what the newest frame of the camera shows. */
  stats(camera: Camera = this.primary): StatsBodyType {
    const counts = this.siteCounts() ?? this.integrations?.counts();
    return {
      detection_count: camera.detections().detections.length,
      fps: camera.status().fps,
      inbound: counts?.inbound ?? 0,
      outbound: counts?.outbound ?? 0,
    };
  }
}

function sameCamera(a: Omit<CameraConfig, 'lines' | 'zones'>, b: Omit<CameraConfig, 'lines' | 'zones'>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withoutAreas({ lines: _lines, zones: _zones, ...rest }: CameraConfig): Omit<CameraConfig, 'lines' | 'zones'> {
  return rest;
}
