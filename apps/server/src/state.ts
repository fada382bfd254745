import type { FrameBuffer } from '@cctv/frame-buffer';
import type { MjpegClient } from '@cctv/mjpeg';
import type { Integrations } from '@cctv/integrations';
import { securityStatus } from './auth.ts';
import type { Config } from './config.ts';
import { redactStrings } from './redact.ts';
import type { Pipeline } from './pipeline/pipeline.ts';

/** What the routes, Socket.IO and the banner read: one place, so they always agree. */
export class ServerState {
  readonly viewers = new Set<MjpegClient>();
  /** Sheets and Telegram (set by main once made): counts in, status out. */
  integrations: Integrations | undefined;

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

  /** The seed's /api/status shape, then what we add: why the camera is down, viewers, encoder counters. */
  status() {
    const frames = this.frames.stats();
    const camera = this.pipeline.status;
    const encoder = this.pipeline.encoder;
    let framesDropped = this.#droppedByPastViewers;
    for (const viewer of this.viewers) framesDropped += viewer.stats.framesDropped;
    // Scrubbed of the config's secrets: this body goes to REST, Socket.IO and the TUI.
    return redactStrings({
      status: camera.state,
      fps: frames.fps,
      frame_count: frames.frame_count,
      last_update: frames.last_update,
      camera: {
        state: camera.state,
        reason: camera.reason,
        decoder: camera.decoder,
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
        name: encoder.name,
        frames_encoded: encoder.framesEncoded,
        frames_skipped: encoder.framesSkipped,
        encode_ms: Math.round(encoder.encodeMs * 100) / 100,
      },
      detection: this.detectionStatus(),
      integrations: this.integrations?.status() ?? null,
      security: securityStatus(this.config),
    });
  }

  /** Turns detection on or off while the server runs (the TUI's `d` key); returns the new setting. */
  toggleDetection(): boolean {
    const enabled = !this.pipeline.detectionEnabled;
    this.pipeline.setDetectionEnabled(enabled);
    return enabled;
  }

  /** The detector: whether it runs, on what, how fast; `reason` says why when it does not. */
  detectionStatus() {
    const { pipeline } = this;
    const status = pipeline.detectionStatus;
    const stats = pipeline.detectionStats;
    return {
      enabled: pipeline.detectionEnabled,
      state: status.state,
      reason: status.reason,
      model: status.model,
      backend: status.backend,
      layout: status.layout,
      input_size: status.inputSize,
      classes: status.classes,
      fps: status.state === 'running' ? stats.fps : 0,
      detect_ms: stats.detectMs,
      infer_ms: stats.inferMs,
      frames_detected: stats.framesDetected,
    };
  }

  /** The newest detections (GET /api/detections, Socket.IO `detections_update`), boxes in source pixels. */
  detections() {
    const result = this.pipeline.detections;
    if (!result) return { seq: null, timestamp: null, width: null, height: null, detections: [] };
    return {
      seq: result.seq,
      timestamp: new Date(result.capturedAt).toISOString(),
      width: result.width,
      height: result.height,
      detections: result.detections.map((d) => ({
        class_id: d.classId,
        class_name: d.className,
        confidence: Math.round(d.confidence * 1000) / 1000,
        box: { x1: round1(d.box.x1), y1: round1(d.box.y1), x2: round1(d.box.x2), y2: round1(d.box.y2) },
      })),
    };
  }

  /** The seed's /api/stats shape; detection_count is what the newest frame shows. */
  stats() {
    return {
      detection_count: this.frames.latest()?.detections.length ?? 0,
      fps: this.frames.stats().fps,
      inbound: this.integrations?.counts().inbound ?? 0,
      outbound: this.integrations?.counts().outbound ?? 0,
    };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
