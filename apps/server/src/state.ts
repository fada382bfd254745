import type { FrameBuffer } from '@cctv/frame-buffer';
import type { MjpegClient } from '@cctv/mjpeg';
import type { Config } from './config.ts';
import type { Pipeline } from './pipeline/pipeline.ts';

/** Features whose config keys are accepted before the feature itself exists. */
export const NOT_AVAILABLE_YET = 'not available yet';

/** What the routes, Socket.IO and the banner read: one place, so they always agree. */
export class ServerState {
  readonly viewers = new Set<MjpegClient>();

  constructor(
    readonly config: Config,
    readonly frames: FrameBuffer,
    readonly pipeline: Pipeline,
  ) {}

  /** Frames dropped by viewers that have since left. */
  #droppedByPastViewers = 0;

  addViewer(client: MjpegClient): void {
    this.viewers.add(client);
    client.onClose(() => {
      this.viewers.delete(client);
      this.#droppedByPastViewers += client.stats.framesDropped;
    });
  }

  /** Configured features that are not built yet, each with what was asked for. */
  pendingFeatures(): Record<string, string> {
    const pending: Record<string, string> = {};
    if (this.config.detection_enabled) pending.detection = `${NOT_AVAILABLE_YET} (detection_enabled is true; model_path ${this.config.model_path})`;
    if (Object.keys(this.config.sheets_config).length) pending.sheets = `${NOT_AVAILABLE_YET} (sheets_config is set)`;
    if (Object.keys(this.config.telegram_config).length) pending.telegram = `${NOT_AVAILABLE_YET} (telegram_config is set)`;
    return pending;
  }

  /** The seed's /api/status shape, then what we add: why the camera is down, viewers, encoder counters. */
  status() {
    const frames = this.frames.stats();
    const camera = this.pipeline.status;
    const encoder = this.pipeline.encoder;
    let framesDropped = this.#droppedByPastViewers;
    for (const viewer of this.viewers) framesDropped += viewer.stats.framesDropped;
    return {
      status: camera.state,
      fps: frames.fps,
      frame_count: frames.frame_count,
      last_update: frames.last_update,
      camera: {
        state: camera.state,
        reason: camera.reason,
        source: camera.source,
        since: new Date(camera.since).toISOString(),
        reconnects: camera.reconnects,
        next_attempt_at: camera.nextAttemptAt ? new Date(camera.nextAttemptAt).toISOString() : null,
        width: camera.width,
        height: camera.height,
      },
      stream: {
        clients: this.viewers.size,
        frames_dropped: framesDropped,
        buffer_size: frames.buffer_size,
      },
      encoder: {
        frames_encoded: encoder.framesEncoded,
        frames_skipped: encoder.framesSkipped,
        encode_ms: Math.round(encoder.encodeMs * 100) / 100,
      },
      features: this.pendingFeatures(),
    };
  }

  /** The seed's /api/stats shape. Counts stay 0 until detection and Sheets exist. */
  stats() {
    return {
      detection_count: this.frames.latest()?.detections.length ?? 0,
      fps: this.frames.stats().fps,
      inbound: 0,
      outbound: 0,
    };
  }
}
