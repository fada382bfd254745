import type { Integrations } from '@cctv/integrations';
import { securityStatus } from './auth.ts';
import { Camera, type CameraEvents } from './camera.ts';
import { cameraConfigs, type CameraConfig, type Config } from './config.ts';
import { Detectors } from './detectors.ts';
import { redactStrings } from './redact.ts';
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
  #config: Config;
  #cameras: Camera[];

  constructor(
    config: Config,
    private readonly cameraEvents: CameraEvents,
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
    const sameEncoder = config.jpeg_encoder === this.#config.jpeg_encoder;
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
      } else if (sameEncoder && sameCamera(camera.config, settings)) {
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
    return new Camera(config, this.#config.jpeg_encoder, this.detectors, this.cameraEvents);
  }

  /** The seed's /api/status shape for one camera (the first by default), then ours; secrets scrubbed: it goes to REST, Socket.IO and the TUI. */
  status(camera: Camera = this.primary): StatusBodyType {
    return redactStrings({
      ...camera.status(),
      integrations: this.integrations?.status() ?? null,
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

  /** The seed's /api/stats shape; detection_count is what the newest frame of the camera shows. */
  stats(camera: Camera = this.primary): StatsBodyType {
    const counts = this.integrations?.counts();
    return {
      detection_count: camera.detections().detections.length,
      fps: camera.status().fps,
      inbound: counts?.inbound ?? 0,
      outbound: counts?.outbound ?? 0,
    };
  }
}

function sameCamera(a: CameraConfig, b: CameraConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
