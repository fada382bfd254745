import { MqttIntegration, type MqttCamera } from '@cctv/integrations';
import type { Camera } from './camera.ts';
import type { Config } from './config.ts';
import { log } from './log.ts';
import { redactor } from './redact.ts';
import type { ServerState } from './state.ts';
import { publicEvent, type ObjectEvent } from './tracking.ts';

/**
 * The server on an MQTT broker (see @cctv/integrations' MqttIntegration for the topics): each
 * camera's status, the objects of each class in view, line counts, tracking events, the snapshot
 * of each new object of an alert class, and detection switched from `<camera>/detect/set`.
 */
export class MqttBridge {
  readonly client: MqttIntegration;

  constructor(
    config: Config,
    private readonly state: () => ServerState,
  ) {
    this.client = new MqttIntegration(config.mqtt, {
      log,
      redactor,
      setDetection: (id, enabled) => {
        const camera = this.state().camera(id);
        if (!camera) return false;
        camera.setDetectionEnabled(enabled);
        return camera.detectionEnabled;
      },
    });
  }

  get enabled(): boolean {
    return this.client.enabled;
  }

  /** Starts with every camera announced (Home Assistant discovery) and its state published. */
  start(): void {
    if (!this.enabled) return;
    this.cameras();
    this.client.start();
  }

  stop(): Promise<void> {
    return this.client.stop();
  }

  /** The cameras (after a reload too): discovery for each, entities of removed ones taken away. */
  cameras(): void {
    if (!this.enabled) return;
    const state = this.state();
    this.client.setCameras(state.cameras.map((camera) => describe(camera, state.config)));
    for (const camera of state.cameras) this.status(camera);
  }

  /** A camera's capture or detection state changed. */
  status(camera: Camera): void {
    if (!this.enabled) return;
    this.client.cameraStatus(camera.id, camera.capture.state);
    this.client.detectState(camera.id, camera.detectionEnabled);
  }

  /** A detector result: the objects of each class in view now. */
  detections(camera: Camera): void {
    if (this.enabled) this.client.objectCounts(camera.id, camera.tracking.inView);
  }

  /** Tracked objects' events, the line counts they changed, and the picture of each new object of an alert class. */
  objects(camera: Camera, events: readonly ObjectEvent[], picture: Uint8Array | undefined): void {
    if (!this.enabled) return;
    const alertClasses = alertClassesOf(this.state().config);
    for (const event of events) {
      this.client.event({ camera: camera.id, ...publicEvent(event) });
      if (event.change.kind === 'crossed') this.#lineCounts(camera, event.change.line);
      if (event.change.kind === 'appeared' && picture && (!alertClasses.length || alertClasses.includes(event.event.class_name))) this.client.snapshot(camera.id, picture);
    }
  }

  #lineCounts(camera: Camera, line: string): void {
    const counts = camera.tracking.counts(this.state().config.counting.daily_reset ? 'today' : 'total').lines[line];
    const sum = (byClass: Record<string, number> | undefined) => Object.values(byClass ?? {}).reduce((a, b) => a + b, 0);
    this.client.lineCounts(camera.id, line, { in: sum(counts?.in), out: sum(counts?.out) });
  }
}

/** The classes whose presence is an alert: Telegram's alert classes, else people. */
function alertClassesOf(config: Config): string[] {
  return config.telegram_config.alert_classes.length ? config.telegram_config.alert_classes : ['person'];
}

/**
 * A camera as Home Assistant sees it: a count sensor for each class the camera is configured to
 * care about (its detection classes, else those of its lines and zones and the alert classes),
 * an occupancy sensor per alert class, in and out sensors per line.
 */
function describe(camera: Camera, config: Config): MqttCamera {
  const { detection, lines, zones } = camera.config;
  const alertClasses = alertClassesOf(config);
  const named = detection.classes.filter((c): c is string => typeof c === 'string');
  const classes = named.length ? named : [...new Set([...lines.flatMap((l) => l.classes ?? []), ...zones.flatMap((z) => z.classes ?? []), ...alertClasses])];
  return { id: camera.id, name: camera.name, classes, alertClasses, lines: lines.map((line) => line.name) };
}
