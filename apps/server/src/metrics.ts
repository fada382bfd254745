import type { CaptureState } from '@cctv/capture';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Camera, CameraMetrics } from './camera.ts';
import type { DetectionResult } from './pipeline/messages.ts';
import type { ServerState } from './state.ts';

export const METRICS_PATH = '/metrics';

type Labels = Record<string, string>;
type Sample = readonly [labels: Labels, value: number];

/** What one scrape reads of a camera, once, whatever number of families use it. */
interface CameraReading {
  id: string;
  status: ReturnType<Camera['status']>;
  viewers: ReturnType<Camera['viewerTotals']>;
}

/** What one scrape reads of the server. */
interface Reading {
  cameras: CameraReading[];
  state: ServerState;
}

/**
 * A family read from the server at each scrape. A counter's samples are totals that only grow
 * while their camera exists: a camera restarted by a reload is the same Camera and keeps them.
 */
interface SampledFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labelNames: readonly string[];
  samples(reading: Reading): Iterable<Sample>;
}

/** Every state a camera can be in, each a series of cctv_camera_state (a Record, so a new state cannot be missed). */
const CAMERA_STATES = Object.keys({ Stopped: 0, Connecting: 0, Connected: 0, Streaming: 0, Reconnecting: 0, Failed: 0 } satisfies Record<CaptureState, 0>);

/** One sample per camera, labelled `camera` with its id. */
function perCamera(value: (camera: CameraReading) => number): (reading: Reading) => Sample[] {
  return (reading) => reading.cameras.map((camera) => [{ camera: camera.id }, value(camera)]);
}

/**
 * The families read from the server's state at each scrape: adding one is one entry here (a
 * gauge of the server as a whole, such as the MQTT connection, has `labelNames: []` and one sample).
 */
const SAMPLED_FAMILIES: readonly SampledFamily[] = [
  {
    name: 'cctv_camera_up',
    type: 'gauge',
    labelNames: ['camera'],
    help: '1 while the camera is streaming frames, else 0',
    samples: perCamera((camera) => (camera.status.status === 'Streaming' ? 1 : 0)),
  },
  {
    name: 'cctv_camera_state',
    type: 'gauge',
    labelNames: ['camera', 'state'],
    help: "The camera's state: 1 on the current one, 0 on the others (Stopped, Connecting, Connected, Streaming, Reconnecting, Failed)",
    samples: (reading) => reading.cameras.flatMap((camera) => CAMERA_STATES.map((state): Sample => [{ camera: camera.id, state }, camera.status.status === state ? 1 : 0])),
  },
  {
    name: 'cctv_camera_fps',
    type: 'gauge',
    labelNames: ['camera'],
    help: 'Frames per second taken from the camera now (after thinning to target_fps; the 2 s window of /api/status)',
    samples: perCamera((camera) => camera.status.fps),
  },
  {
    name: 'cctv_camera_frames_total',
    type: 'counter',
    labelNames: ['camera'],
    help: 'Frames taken from the camera (after thinning to target_fps)',
    samples: perCamera((camera) => camera.status.frame_count),
  },
  {
    name: 'cctv_detection_fps',
    type: 'gauge',
    labelNames: ['camera'],
    help: "Detector runs per second on the camera's frames now (0 while detection is off, loading or failed)",
    samples: perCamera((camera) => camera.status.detection.fps),
  },
  {
    name: 'cctv_viewers',
    type: 'gauge',
    labelNames: ['camera'],
    help: 'Viewers watching the camera now: MJPEG streams and /api/ws subscriptions',
    samples: perCamera((camera) => camera.status.stream.clients),
  },
  {
    name: 'cctv_viewer_frames_dropped_total',
    type: 'counter',
    labelNames: ['camera'],
    help: 'Frames a viewer was never sent: it was behind (slow network) or capped by its fps',
    samples: perCamera((camera) => camera.viewers.framesDropped),
  },
  {
    name: 'cctv_viewer_sent_bytes_total',
    type: 'counter',
    labelNames: ['camera'],
    help: 'Bytes sent to viewers: MJPEG parts and /api/ws frame messages',
    samples: perCamera((camera) => camera.viewers.bytesSent),
  },
  {
    name: 'cctv_outbox_depth',
    type: 'gauge',
    labelNames: ['service'],
    help: 'Messages waiting for an integration service: the durable outbox for sheets and telegram, the bounded event queue for mqtt',
    samples: (reading) => Object.entries(reading.state.status().integrations ?? {}).map(([service, status]): Sample => [{ service }, status.queued]),
  },
  {
    name: 'cctv_mqtt_up',
    type: 'gauge',
    labelNames: [],
    help: '1 while connected to the MQTT broker, 0 while not; absent when MQTT is off',
    samples: (reading) => {
      const mqtt = reading.state.mqtt;
      return mqtt?.enabled ? [[{}, mqtt.client.status().state === 'connected' ? 1 : 0]] : [];
    },
  },
];

/**
 * prom-client's default metrics that tell the truth under Bun (checked on Bun 1.4.5). Left out:
 * process_heap_bytes and process_virtual_memory_bytes (JavaScriptCore reserves gigabytes of
 * address space it never touches: 6 GB for a 48 MB process), nodejs_active_{handles,requests,
 * resources} (always 0: Bun does not list them), nodejs_heap_space_* (zeros: no V8 heap spaces),
 * nodejs_gc_duration_seconds (never observed: Bun emits no GC performance entries) and
 * nodejs_version_info (the Node version Bun imitates, not what runs).
 */
const PROCESS_METRICS = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
] as const;

/** Drawing + JPEG encode: 0.5 ms for 320×180 measured here, 2.4 ms for 720p with libjpeg-turbo, 8 ms with sharp (docs/BENCHMARKS.md). */
const ENCODE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];
/** Detector runs: a few ms on a GPU, 30 ms to seconds on a CPU. */
const DETECTION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A family fed event by event, labelled `camera` first. */
type EventFamily = { name: string; help: string; labelNames: readonly ['camera', ...string[]] } & ({ type: 'counter' } | { type: 'histogram'; buckets: number[] });

/**
 * The families fed as things happen (each observation counts, so they cannot be read at a
 * scrape): adding one is one entry here and the call that feeds it. Those labelled by `camera`
 * alone start at 0 for each camera; every one loses a removed camera's series.
 */
const EVENT_FAMILIES = {
  reconnects: {
    type: 'counter',
    name: 'cctv_camera_reconnects_total',
    help: 'Times the camera was lost and its decoder started again (a failed attempt to reconnect counts too)',
    labelNames: ['camera'],
  },
  encodeSeconds: {
    type: 'histogram',
    name: 'cctv_jpeg_encode_seconds',
    help: 'Time to draw the detections into a frame and encode it as JPEG (once per frame, whatever the number of viewers)',
    labelNames: ['camera'],
    buckets: ENCODE_BUCKETS,
  },
  inferenceSeconds: {
    type: 'histogram',
    name: 'cctv_inference_seconds',
    help: "The model's run on one frame, without pre- and post-processing",
    labelNames: ['camera'],
    buckets: DETECTION_BUCKETS,
  },
  lineCrossings: {
    type: 'counter',
    name: 'cctv_line_crossings_total',
    help: 'Objects that crossed a counting line, by line, direction (in, out) and class',
    labelNames: ['camera', 'line', 'direction', 'class'],
  },
  detectionSeconds: {
    type: 'histogram',
    name: 'cctv_detection_seconds',
    help: "The detector's whole run on one frame: letterbox, inference, box decoding and NMS",
    labelNames: ['camera'],
    buckets: DETECTION_BUCKETS,
  },
} as const satisfies Record<string, EventFamily>;

type EventMetrics = { [K in keyof typeof EVENT_FAMILIES]: (typeof EVENT_FAMILIES)[K]['type'] extends 'counter' ? Counter : Histogram };

/**
 * GET /metrics for Prometheus: every camera's families labelled `camera`, the outbox, and the
 * process. SAMPLED_FAMILIES are read from the state at each scrape; EVENT_FAMILIES are fed as
 * things happen, through the CameraMetrics hook and statusChanged. Series of a camera removed
 * from the config go at the next scrape.
 */
export class Metrics implements CameraMetrics {
  readonly #registry = new Registry();
  readonly #sampled: Array<{ family: SampledFamily; metric: Gauge | Counter }>;
  readonly #events: EventMetrics;
  /** The cameras whose event series were started at 0. */
  readonly #eventCameras = new Set<string>();
  /** The capture state each camera was last told in, to count its entries into Reconnecting. */
  readonly #lastState = new WeakMap<Camera, CaptureState>();

  constructor(private readonly state: () => ServerState) {
    const registers = [this.#registry];
    this.#sampled = SAMPLED_FAMILIES.map((family) => {
      const options = { name: family.name, help: family.help, labelNames: family.labelNames, registers };
      return { family, metric: family.type === 'gauge' ? new Gauge(options) : new Counter(options) };
    });
    const events = Object.entries(EVENT_FAMILIES as Record<string, EventFamily>).map(([key, family]) => {
      const options = { name: family.name, help: family.help, labelNames: family.labelNames, registers };
      return [key, family.type === 'counter' ? new Counter(options) : new Histogram({ ...options, buckets: family.buckets })];
    });
    this.#events = Object.fromEntries(events) as EventMetrics;
    this.#registerProcessMetrics();
  }

  /** The exposition format's media type, for the response's Content-Type. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  encoded(camera: Camera, encodeMs: number): void {
    this.#events.encodeSeconds.observe(this.#cameraLabels(camera.id), encodeMs / 1000);
  }

  detected(camera: Camera, result: DetectionResult): void {
    const labels = this.#cameraLabels(camera.id);
    this.#events.inferenceSeconds.observe(labels, result.inferMs / 1000);
    this.#events.detectionSeconds.observe(labels, result.detectMs / 1000);
  }

  /** A camera's status changed (the `status` camera event): an entry into Reconnecting is a decoder restart to come. */
  /** A tracked object crossed a line. */
  lineCrossed(camera: Camera, line: string, direction: 'in' | 'out', className: string): void {
    this.#events.lineCrossings.inc({ camera: camera.id, line, direction, class: className });
  }

  statusChanged(camera: Camera): void {
    const state = camera.capture.state;
    if (state === 'Reconnecting' && this.#lastState.get(camera) !== 'Reconnecting') this.#events.reconnects.inc(this.#cameraLabels(camera.id));
    this.#lastState.set(camera, state);
  }

  /** The text Prometheus scrapes: every family as of now. */
  async scrape(): Promise<string> {
    const state = this.state();
    const reading: Reading = {
      state,
      cameras: state.cameras.map((camera) => ({ id: camera.id, status: camera.status(), viewers: camera.viewerTotals() })),
    };
    for (const { family, metric } of this.#sampled) {
      metric.reset();
      for (const [labels, value] of family.samples(reading)) {
        if (metric instanceof Gauge) metric.set(labels, value);
        else metric.inc(labels, value);
      }
    }
    await this.#followCameras(new Set(reading.cameras.map((camera) => camera.id)));
    return this.#registry.metrics();
  }

  /** Event series start at 0 for each camera there is, and those of cameras removed from the config go. */
  async #followCameras(current: Set<string>): Promise<void> {
    for (const id of current) this.#cameraLabels(id);
    for (const id of [...this.#eventCameras]) if (!current.has(id)) this.#eventCameras.delete(id);
    for (const metric of Object.values(this.#events) as Array<Counter | Histogram>) {
      for (const { labels } of (await metric.get()).values) {
        if (current.has(String(labels.camera))) continue;
        const { le: _bucket, ...series } = labels;
        metric.remove(series);
      }
    }
  }

  /**
   * A camera's labels for the families labelled by `camera` alone. The first time, their series
   * start at 0, so a panel shows 0 rather than nothing (only then: zero() wipes what was recorded).
   */
  #cameraLabels(camera: string): Labels {
    const labels = { camera };
    if (this.#eventCameras.has(camera)) return labels;
    this.#eventCameras.add(camera);
    for (const [key, family] of Object.entries(EVENT_FAMILIES as Record<string, EventFamily>)) {
      if (family.labelNames.length > 1) continue;
      const metric = this.#events[key as keyof EventMetrics];
      if (metric instanceof Histogram) metric.zero(labels);
      else metric.inc(labels, 0);
    }
    return labels;
  }

  /** prom-client's defaults go to a registry of their own; the ones that work under Bun are registered in ours. */
  #registerProcessMetrics(): void {
    const defaults = new Registry();
    collectDefaultMetrics({ register: defaults });
    for (const name of PROCESS_METRICS) {
      const metric = defaults.getSingleMetric(name);
      if (!metric) throw new Error(`prom-client has no default metric ${name}`);
      this.#registry.registerMetric(metric);
    }
  }
}
