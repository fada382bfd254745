import { stoppedStatus, type CaptureStatus } from '@cctv/capture';
import { FrameBuffer, RateMeter, type Frame } from '@cctv/frame-buffer';
import type { JpegEncoderChoice } from '@cctv/mjpeg';
import { redactUrl } from '@cctv/redact';
import { CompressedVideo } from './compressed-video.ts';
import type { CameraConfig, Config } from './config.ts';
import type { DetectionClient, Detectors } from './detectors.ts';
import type { EventStore } from './event-store.ts';
import type { DetectionFilters, DetectionResult, DetectionState, EncoderStats, FromPipeline, ModelSettings, ModelStatus, Overlay } from './pipeline/messages.ts';
import { PipelineWorker } from './pipeline/pipeline.ts';
import type { DetectionsBodyType } from './routes/status-body.ts';
import { CameraTracking, type CountingAreas, type ObjectEvent, type TrackedResult } from './tracking.ts';

/** Someone who watches a camera: an MJPEG response, a WebSocket subscription. */
export interface Viewer {
  readonly stats: { framesDropped: number; bytesSent: number };
  onClose(listener: () => void): void;
  close(): void;
}

/** A detector result as this camera reports it (after tracking: display confidence, track ids), with the first served frame drawn with it. */
export interface CameraDetections extends DetectionResult {
  /** The first served frame (X-Frame-Seq) that shows these detections; null until one was served. */
  seq: number | null;
}

/** A result, reported once: with the first frame drawn with it (or a newer one), or at once when no frame will be. */
type Reported = CameraDetections & { overlayId: number; tracked: TrackedResult };

/**
 * Results waiting for their frame that a camera keeps: more means frames stopped coming (a
 * stalled camera), and the oldest are reported without a picture rather than kept.
 */
const MAX_WAITING_RESULTS = 30;

/** What every camera shares: the server's settings and parts. */
export interface CameraContext {
  jpegEncoder: JpegEncoderChoice;
  detectors: Detectors;
  store: EventStore;
  settings: Pick<Config, 'tracking' | 'counting'>;
  events: CameraEvents;
}

/** What a camera tells the server around it. */
export interface CameraEvents {
  /** Its capture or detection state changed. */
  status(camera: Camera): void;
  /** A new detector result, once the first frame drawn with it is encoded (with that JPEG), or at once when no frame will be. */
  detections(camera: Camera, result: CameraDetections, snapshot: Uint8Array | undefined): void;
  /** Whether this result's picture is wanted even when nobody watches (an alert, a row, an event may need it). */
  wantsPicture(camera: Camera, result: DetectionResult): boolean;
  /** Tracked objects appeared, crossed lines, entered or left zones, or are gone; `picture` is the frame drawn with the result. */
  objects(camera: Camera, events: ObjectEvent[], picture: Uint8Array | undefined): void;
  log(level: 'info' | 'warn' | 'error', camera: Camera, message: string): void;
  /** Each JPEG encode and each detector run as it happens (GET /metrics' histograms). */
  metrics: CameraMetrics;
}

/** Measurements a camera reports one by one, as they happen. */
export interface CameraMetrics {
  /** A frame was drawn and encoded as JPEG, taking `encodeMs`. */
  encoded(camera: Camera, encodeMs: number): void;
  /** The detector ran on one of this camera's frames. */
  detected(camera: Camera, result: DetectionResult): void;
}

/** How long a snapshot request waits for the pipeline to encode the newest frame. */
const SNAPSHOT_TIMEOUT_MS = 3000;

/**
 * One camera: its pipeline Worker (capture, overlay, encode), its frame buffer and viewers, its
 * turn at the shared detector, and the status it reports. The main thread owns that status: it
 * counts frames and detections as their events arrive, so every rate falls to 0 when they stop.
 */
export class Camera implements DetectionClient {
  readonly frames = new FrameBuffer();
  readonly viewers = new Set<Viewer>();
  /** The camera's own H.264/H.265 as it came, for viewers that decode it themselves (rtsp:// cameras read in-process). */
  readonly video = new CompressedVideo();
  #config: CameraConfig;
  #pipeline: PipelineWorker | undefined;
  #capture: CaptureStatus;
  #encoder: EncoderStats = { name: null, framesEncoded: 0, framesSkipped: 0, encodeMs: 0 };
  #placeholder: Frame | undefined;
  readonly #captured = new RateMeter();
  #framesCaptured = 0;
  #lastCapturedAt: number | null = null;
  /** What viewers that left were sent and missed: the totals never fall when one leaves. */
  readonly #pastViewers = { framesDropped: 0, bytesSent: 0 };

  #detectionEnabled: boolean;
  #model: ModelStatus | undefined;
  readonly #detected = new RateMeter();
  #framesDetected = 0;
  #detectMs = 0;
  #inferMs = 0;
  #latest: Reported | undefined;
  /** Results drawn into frames not encoded yet, oldest first: reported when the frame (or a later one) arrives. */
  #waiting: Reported[] = [];
  #tracking: CameraTracking;
  #overlay: Overlay | null = null;
  #overlayIds = 0;
  #detectorPort: MessagePort | null = null;

  #snapshotIds = 0;
  readonly #snapshots = new Map<number, (frame: Frame | undefined) => void>();

  private readonly detectors: Detectors;
  private readonly events: CameraEvents;

  constructor(
    config: CameraConfig,
    private readonly context: CameraContext,
  ) {
    this.detectors = context.detectors;
    this.events = context.events;
    this.#config = config;
    this.#detectionEnabled = config.detection_enabled;
    this.#capture = { ...stoppedStatus(), source: redactUrl(config.camera_url) };
    this.#tracking = this.#newTracking();
  }

  #newTracking(): CameraTracking {
    const { id, lines, zones, detection } = this.#config;
    return new CameraTracking(id, { lines, zones }, this.context.settings, this.context.store, detection.confidence);
  }

  /** The camera's counting lines and zones, and the objects of each class in view and in each zone now. */
  get tracking(): CameraTracking {
    return this.#tracking;
  }

  /** New counting lines and zones, at once (drawn on the dashboard): the video and the tracks go on. */
  setAreas(areas: CountingAreas): void {
    this.#config = { ...this.#config, lines: areas.lines, zones: areas.zones };
    this.#tracking.setAreas(areas);
    this.#sendAreas();
  }

  /** The counting lines and zones, with their counts and occupancy, to the pipeline: drawn into every frame. */
  #sendAreas(): void {
    this.#pipeline?.post({ type: 'areas', areas: this.#tracking.overlay() });
  }

  get id(): string {
    return this.#config.id;
  }

  get name(): string {
    return this.#config.name;
  }

  get config(): CameraConfig {
    return this.#config;
  }

  get capture(): CaptureStatus {
    return this.#capture;
  }

  get encoder(): EncoderStats {
    return this.#encoder;
  }

  /** What viewers see while the camera has not sent a frame yet: a card with the state and reason. */
  get placeholder(): Frame | undefined {
    return this.#placeholder;
  }

  start(): void {
    const { camera_url: url, target_fps: targetFps, jpeg_quality: jpegQuality, rtsp_decoder: rtspDecoder } = this.#config;
    this.#pipeline = new PipelineWorker(
      { url, targetFps, jpegQuality, jpegEncoder: this.context.jpegEncoder, rtspDecoder },
      {
        message: (message) => this.#receive(message),
        crashed: (reason) => this.#setCapture({ ...this.#capture, state: 'Reconnecting', reason, since: Date.now() }),
        restarted: () => this.#tellPipelineAgain(),
      },
    );
    // Starting is connecting: the pipeline Worker reports its own states once it is up, which can take a while on a busy machine.
    this.#capture = { ...stoppedStatus(), source: redactUrl(this.#config.camera_url), state: 'Connecting', since: Date.now() };
    this.events.status(this);
    this.#pipeline.start();
    this.#tellPipelineAgain();
  }

  /** Stops capture and detection; the viewers stay (a camera restarted by a reload keeps them). */
  async stop(): Promise<void> {
    this.detectors.detach(this);
    this.#endObjects();
    const pipeline = this.#pipeline;
    this.#pipeline = undefined;
    await pipeline?.stop();
    this.video.reset();
    for (const resolve of this.#snapshots.values()) resolve(undefined);
    this.#snapshots.clear();
  }

  /** Stops for good: viewers' streams end and the buffer closes (a camera removed from the config, or shutdown). */
  async close(): Promise<void> {
    await this.stop();
    for (const viewer of [...this.viewers]) viewer.close();
    this.frames.close();
  }

  /** Runs with a changed config (a reload): the pipeline and the detector turn restart; viewers stay. */
  async reconfigure(config: CameraConfig): Promise<void> {
    await this.stop();
    this.#config = config;
    this.#detectionEnabled = config.detection_enabled;
    this.#model = undefined;
    this.#latest = undefined;
    this.#overlay = null;
    this.#tracking = this.#newTracking();
    this.start();
  }

  addViewer(viewer: Viewer): void {
    this.viewers.add(viewer);
    if (this.viewers.size === 1) this.#pipeline?.post({ type: 'encode', wanted: true });
    viewer.onClose(() => {
      if (!this.viewers.delete(viewer)) return;
      this.#pastViewers.framesDropped += viewer.stats.framesDropped;
      this.#pastViewers.bytesSent += viewer.stats.bytesSent;
      if (this.viewers.size === 0) this.#pipeline?.post({ type: 'encode', wanted: false });
    });
  }

  get detectionEnabled(): boolean {
    return this.#detectionEnabled;
  }

  /** Turns detection on (the model loads if no other camera uses it) or off, while the video goes on. */
  setDetectionEnabled(enabled: boolean): void {
    if (enabled === this.#detectionEnabled) return;
    this.#detectionEnabled = enabled;
    if (enabled) {
      this.detectors.attach(this);
    } else {
      this.detectors.detach(this);
      this.#model = undefined;
      this.#latest = undefined;
      this.#setOverlay(null);
      this.#endObjects();
    }
    this.events.status(this);
  }

  /**
   * The newest frame as a JPEG: the one viewers were sent when it is current, else the pipeline
   * encodes its newest frame now (a camera nobody watches encodes nothing until asked).
   */
  async snapshot(): Promise<Frame | undefined> {
    const latest = this.frames.latest();
    const interval = 1000 / this.#config.target_fps;
    if (latest && this.#lastCapturedAt !== null && latest.capturedAt >= this.#lastCapturedAt - 2 * interval) return latest;
    if (!this.#pipeline || this.#capture.state !== 'Streaming') return latest;
    const id = ++this.#snapshotIds;
    const encoded = new Promise<Frame | undefined>((resolve) => this.#snapshots.set(id, resolve));
    this.#pipeline.post({ type: 'snapshot', id });
    const timeout = Bun.sleep(SNAPSHOT_TIMEOUT_MS).then(() => undefined);
    const frame = await Promise.race([encoded, timeout]);
    this.#snapshots.delete(id);
    return frame ?? this.frames.latest();
  }

  /** The camera's own part of /api/status: capture, stream, encoder, detection. */
  status() {
    const frames = this.frames.stats();
    const camera = this.#capture;
    const { framesDropped } = this.viewerTotals();
    return {
      status: camera.state,
      fps: round(this.#captured.rate(), 1),
      frame_count: this.#framesCaptured,
      last_update: this.#lastCapturedAt === null ? null : new Date(this.#lastCapturedAt).toISOString(),
      camera: {
        id: this.id,
        name: this.name,
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
        clients: this.viewers.size + this.video.viewerCount,
        frames_dropped: framesDropped,
        buffer_size: frames.buffer_size,
      },
      encoder: {
        name: this.#encoder.name,
        frames_encoded: this.#encoder.framesEncoded,
        frames_skipped: this.#encoder.framesSkipped,
        encode_ms: round(this.#encoder.encodeMs, 2),
      },
      detection: this.detectionStatus(),
    };
  }

  /** What this camera's viewers, present and past, were sent and missed since it was created (a reload's restart keeps them). */
  viewerTotals(): { framesDropped: number; bytesSent: number } {
    let { framesDropped, bytesSent } = this.#pastViewers;
    for (const viewer of this.viewers) {
      framesDropped += viewer.stats.framesDropped;
      bytesSent += viewer.stats.bytesSent;
    }
    const video = this.video.totals();
    return { framesDropped: framesDropped + video.framesDropped, bytesSent: bytesSent + video.bytesSent };
  }

  /** The detector on this camera: whether it runs, on what, how fast; `reason` says why when it does not. */
  detectionStatus() {
    const model = this.#model;
    const state: DetectionState = !this.#detectionEnabled ? 'off' : (model?.state ?? 'loading');
    return {
      enabled: this.#detectionEnabled,
      state,
      reason: this.#detectionEnabled ? (model?.reason ?? null) : null,
      model: model?.model ?? this.#config.model_path,
      backend: model?.backend ?? null,
      layout: model?.layout ?? null,
      input_size: model?.inputSize ?? null,
      classes: model?.classes ?? 0,
      fps: state === 'running' ? round(this.#detected.rate(), 2) : 0,
      detect_ms: round(this.#detectMs, 2),
      infer_ms: round(this.#inferMs, 2),
      frames_detected: this.#framesDetected,
    };
  }

  /** The newest detector result, boxes in camera pixels (null fields before the first). */
  detections(): DetectionsBodyType {
    const result = this.#latest;
    if (!result) return { camera: this.id, seq: null, timestamp: null, media_time: null, width: null, height: null, detections: [] };
    return {
      camera: this.id,
      seq: result.seq,
      timestamp: new Date(result.capturedAt).toISOString(),
      media_time: result.mediaTimeMs,
      width: result.width,
      height: result.height,
      detections: result.detections.map((d) => ({
        class_id: d.classId,
        class_name: d.className,
        track_id: d.trackId ?? null,
        confidence: round(d.confidence, 3),
        box: { x1: round(d.box.x1, 1), y1: round(d.box.y1, 1), x2: round(d.box.x2, 1), y2: round(d.box.y2, 1) },
      })),
    };
  }

  // ---- DetectionClient: this camera as the shared detector sees it -------------------------

  get model(): ModelSettings {
    const { model_path: modelPath, detection } = this.#config;
    return { modelPath, labelsPath: detection.labels_path, threads: detection.threads, executionProviders: detection.execution_providers, backend: detection.backend };
  }

  get filters(): DetectionFilters {
    const { confidence, iou, classes } = this.#config.detection;
    // The tracker keeps objects alive on boxes below the display confidence (ByteTrack's second pass).
    return { confidence: Math.min(confidence, this.context.settings.tracking.low_threshold), iou, classes };
  }

  get maxFps(): number {
    return this.#config.detection.max_fps;
  }

  connect(port: MessagePort | null): void {
    this.#detectorPort = port;
    this.#pipeline?.post({ type: 'detector', port }, port ? [port] : []);
  }

  requestFrame(): void {
    if (this.#pipeline) this.#pipeline.post({ type: 'detect' });
  }

  modelStatus(status: ModelStatus): void {
    if (!this.#detectionEnabled) return;
    const before = this.#model;
    this.#model = status;
    if (before?.state !== status.state || before?.reason !== status.reason) {
      const what = status.state === 'running' ? `: ${status.model} (${status.layout}, ${status.inputSize?.width}×${status.inputSize?.height}, ${status.backend})` : '';
      const line = `detection ${status.state}${what}${status.reason ? `: ${status.reason}` : ''}`;
      // Running with a reason: a fallback model runs instead of the configured one; said loudly.
      this.events.log(status.state === 'failed' ? 'error' : status.reason ? 'warn' : 'info', this, line);
      this.events.status(this);
    }
  }

  result(result: DetectionResult): void {
    this.events.metrics.detected(this, result);
    this.#detected.tick();
    this.#framesDetected++;
    // Exponential averages over ~20 runs: current, not since start.
    this.#detectMs = this.#detectMs ? this.#detectMs + (result.detectMs - this.#detectMs) / 20 : result.detectMs;
    this.#inferMs = this.#inferMs ? this.#inferMs + (result.inferMs - this.#inferMs) / 20 : result.inferMs;
    if (!this.#detectionEnabled) return;
    const tracked = this.#tracking.update(result);
    if (tracked.events.some((e) => e.change.kind === 'crossed' || e.change.kind === 'entered' || e.change.kind === 'left')) this.#sendAreas();
    const shown: DetectionResult = { ...result, detections: tracked.detections };
    // A frame is encoded for its picture when an event, a best snapshot, an alert or a row wants it.
    const snapshot = tracked.events.length > 0 || tracked.best.length > 0 || this.events.wantsPicture(this, shown);
    const overlay: Overlay = { id: ++this.#overlayIds, detections: tracked.detections, snapshot };
    this.#latest = { ...shown, seq: null, overlayId: overlay.id, tracked };
    this.#setOverlay(overlay);
    // Drawn into a frame that will be encoded: reported with that frame; else reported now.
    if (!this.viewers.size && !overlay.snapshot) {
      this.#report(this.#latest, undefined);
      return;
    }
    this.#waiting.push(this.#latest);
    while (this.#waiting.length > MAX_WAITING_RESULTS) this.#report(this.#waiting.shift()!, undefined);
  }

  /** A result, its objects' events and snapshots, with the picture of the frame drawn with it (when one was encoded). */
  #report(latest: Reported, picture: Uint8Array | undefined): void {
    if (picture) this.#tracking.picture(latest.tracked.best, picture);
    if (latest.tracked.events.length) this.events.objects(this, latest.tracked.events, picture);
    this.events.detections(this, latest, picture);
  }

  /** Every tracked object is gone now (detection off, the camera stopped): their events end. */
  #endObjects(): void {
    for (const waiting of this.#waiting.splice(0)) this.#report(waiting, undefined);
    const ended = this.#tracking.flush();
    if (ended.length) this.events.objects(this, ended, undefined);
    this.#sendAreas();
  }

  // ---- The pipeline Worker ----------------------------------------------------------------

  #setOverlay(overlay: Overlay | null): void {
    this.#overlay = overlay;
    this.#pipeline?.post({ type: 'overlay', overlay });
  }

  /** What a new pipeline Worker must be told: who watches, what to draw, where the detector is. */
  #tellPipelineAgain(): void {
    if (this.viewers.size) this.#pipeline?.post({ type: 'encode', wanted: true });
    if (this.#overlay) this.#pipeline?.post({ type: 'overlay', overlay: this.#overlay });
    this.#sendAreas();
    if (this.#detectionEnabled) {
      this.detectors.detach(this);
      this.detectors.attach(this);
    }
  }

  #setCapture(status: CaptureStatus): void {
    const changed = status.state !== this.#capture.state || status.reason !== this.#capture.reason || status.decoder !== this.#capture.decoder;
    this.#capture = status;
    if (!changed) return;
    const decoder = status.state === 'Connecting' && status.decoder ? ` (${status.decoder})` : '';
    this.events.log('info', this, `camera ${status.state}${decoder}${status.reason ? `: ${status.reason}` : ''}`);
    this.events.status(this);
  }

  #receive(message: FromPipeline): void {
    switch (message.type) {
      case 'captured':
        this.#captured.tick();
        this.#framesCaptured++;
        this.#lastCapturedAt = message.capturedAt;
        if (this.#detectionEnabled && this.#detectorPort) this.detectors.frameReady(this);
        break;
      case 'frame': {
        this.#encoder = message.encoder;
        this.events.metrics.encoded(this, message.encodeMs);
        const frame = this.frames.push({
          jpeg: new Uint8Array(message.jpeg),
          width: message.width,
          height: message.height,
          capturedAt: message.capturedAt,
          encodedAt: message.encodedAt,
          detections: message.detections,
        });
        if (message.snapshotId !== null) this.#snapshots.get(message.snapshotId)?.(frame);
        if (message.overlayId !== null) {
          // This frame shows its overlay's result, which replaced any result still waiting: they
          // are all reported now, with this frame's picture (the nearest one to their moment).
          const shown = this.#waiting.filter((waiting) => waiting.overlayId <= message.overlayId!);
          this.#waiting = this.#waiting.filter((waiting) => waiting.overlayId > message.overlayId!);
          for (const waiting of shown) {
            if (waiting.overlayId === message.overlayId) waiting.seq = frame.seq;
            this.#report(waiting, frame.jpeg);
          }
        }
        break;
      }
      case 'no-snapshot':
        this.#snapshots.get(message.id)?.(undefined);
        break;
      case 'access-unit':
        this.video.push({ data: new Uint8Array(message.data), keyframe: message.keyframe, mediaTimeMs: message.mediaTimeMs, capturedAt: message.receivedAt, parameters: message.parameters });
        break;
      case 'status':
        this.#setCapture(message.status);
        break;
      case 'placeholder':
        this.#placeholder = {
          seq: 0,
          jpeg: new Uint8Array(message.jpeg),
          width: message.width,
          height: message.height,
          capturedAt: message.renderedAt,
          encodedAt: message.renderedAt,
          detections: [],
          fps: 0,
        };
        break;
      case 'encoder':
        this.#encoder = { ...this.#encoder, name: message.name };
        this.events.log(message.fallbackReason ? 'warn' : 'info', this, `JPEG encoder: ${message.name}${message.fallbackReason ? `, because ${message.fallbackReason}` : ''}`);
        break;
      case 'error':
        this.events.log('error', this, message.message);
        break;
      case 'stopped':
        break;
    }
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
