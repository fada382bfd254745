import { readFileSync } from 'node:fs';
import { Redactor, urlPasswords } from '@cctv/redact';
import { Type as t } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { connect, ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';
import { retryDelay, type BackoffSettings } from './courier.ts';
import { Health, type IntegrationStatus } from './health.ts';
import { redactingLogger, type Logger } from './logger.ts';
import { mqttConfig, type MqttConfig, type MqttSettings } from './mqtt-config.ts';
import { discoveryConfigs, type MqttCamera } from './mqtt-discovery.ts';
import { PendingQueue } from './mqtt-queue.ts';
import { MqttTopics, topicLevel } from './mqtt-topics.ts';
import { networkReason } from './network.ts';

/** A tracking event as published on `<base>/events` (JSON): its type, its camera, and whatever else describes it (the track, a line crossing…). */
export type MqttEvent = { type: 'new' | 'update' | 'end'; camera: string } & Record<string, unknown>;

export interface MqttOptions {
  /** Default: the console. Every line is redacted first. */
  log?: Logger;
  /** The server's redaction; the broker password is added to it. Default: a new one. */
  redactor?: Redactor;
  /**
   * An `ON`/`OFF` on `<camera>/detect/set`: switch detection of that camera and return whether it
   * is on afterwards, which is published on `<camera>/detect/state`. Without it, commands are
   * refused (logged).
   */
  setDetection?: (camera: string, enabled: boolean) => boolean;
}

const DetectCommand = t.Union([t.Literal('ON'), t.Literal('OFF')]);
const HomeAssistantStatus = t.Union([t.Literal('online'), t.Literal('offline')]);

/** mqtt.js' own default is 30 s; a broker that answers takes milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The broker declares us gone (and publishes the will) after 1.5 × this without a packet. */
const KEEPALIVE_S = 30;
/** A connection that ends sooner than this (a duplicate client_id throwing us off) does not reset the backoff. */
const STABLE_CONNECTION_MS = 10_000;
/** How long stop() waits for the broker to acknowledge `offline` and queued events. */
const STOP_GRACE_MS = 2000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * MQTT for the CCTV server: availability, camera status, counts in view, line counts, detection
 * state and snapshots as retained topics, tracking events as QoS 1 messages, detection switched
 * from `<camera>/detect/set`, and Home Assistant discovery. Every publishing method returns at
 * once and never throws: while the broker is away, retained state keeps its latest value (sent
 * again on every connection) and events wait in a bounded queue.
 */
export class MqttIntegration {
  readonly health: Health;
  readonly topics: MqttTopics;
  readonly #config: MqttConfig;
  readonly #log: Logger;
  readonly #redactor: Redactor;
  readonly #setDetection: MqttOptions['setDetection'];
  readonly #backoff: BackoffSettings;
  readonly #events: PendingQueue<MqttClient>;
  /** Retained state by topic (latest value): published on change and again on every connection. */
  readonly #state = new Map<string, string | Uint8Array>();
  /** Home Assistant discovery configs by topic (JSON), published like the state. */
  #discovery = new Map<string, string>();
  /** Retained topics to empty (removed entities and cameras) until the broker acknowledges it. */
  readonly #removals = new Set<string>();
  /** Cameras by topic level; undefined until `setCameras()`. */
  #cameras: Map<string, MqttCamera> | undefined;
  /** Our discovery configs the broker held when we subscribed (an earlier run's): those not announced now are removed once the cameras are known. */
  readonly #heldConfigs = new Set<string>();
  /** Topics whose last bad payload was logged; a good one clears it, so each bad run is logged once. */
  readonly #warned = new Set<string>();
  readonly #ca: string | undefined;
  #client: MqttClient | undefined;
  #running = false;
  #stopped = false;
  #attempt = 0;
  #connectedAt: number | undefined;
  #outage: { since: number; reason: string; droppedBefore: number } | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: MqttSettings, options: MqttOptions = {}) {
    this.#config = mqttConfig(settings);
    const config = this.#config;
    this.topics = new MqttTopics(config.topic_prefix, config.client_id, config.home_assistant.prefix);
    this.#redactor = options.redactor ?? new Redactor();
    this.#redactor.add([config.password, ...urlPasswords(config.url)]);
    this.#log = redactingLogger(options.log ?? console, this.#redactor, 'mqtt');
    this.#setDetection = options.setDetection;
    this.#backoff = { initialMs: config.reconnect_initial_s * 1000, maxMs: config.reconnect_max_s * 1000 };
    this.#events = new PendingQueue(config.max_queued);
    this.health = new Health(this.enabled);
    if (this.enabled && config.ca_file) {
      try {
        this.#ca = readFileSync(config.ca_file, 'utf8');
      } catch (error) {
        this.health.halted(`cannot read mqtt.ca_file: ${(error as Error).message}`);
      }
    }
  }

  get enabled(): boolean {
    return this.#config.enabled && this.#config.url !== '';
  }

  /** Connects (and keeps reconnecting) in the background; returns at once. */
  start(): void {
    if (!this.enabled || this.#running || this.#stopped) return;
    if (this.health.state === 'error') {
      this.#log.error(`not connecting: ${this.health.lastError}`);
      return;
    }
    this.#running = true;
    this.#connect();
  }

  /** Publishes `offline`, lets the broker acknowledge it and queued events (up to 2 s), then disconnects cleanly. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    if (client.connected) {
      client.publish(this.topics.available, 'offline', { qos: 1, retain: true });
      // end() sends DISCONNECT once every QoS 1 message in flight is acknowledged; after a
      // DISCONNECT the broker drops the will.
      if (await settlesWithin(client.endAsync(), STOP_GRACE_MS)) return;
      this.#log.warn(`the broker did not acknowledge within ${STOP_GRACE_MS / 1000} s; closing the connection`);
    }
    client.end(true);
    client.stream?.destroy();
  }

  status(): IntegrationStatus {
    return this.health.snapshot({ queued: this.#events.length, dropped: this.#events.dropped, rejected: 0 });
  }

  /**
   * The cameras this server has: where detect/set commands go, and (with discovery on) what
   * Home Assistant is told. Called again with a new list, it removes from the broker the
   * discovery configs and retained state of cameras, classes and lines no longer in it.
   */
  setCameras(cameras: readonly MqttCamera[]): void {
    if (!this.#accepting()) return;
    const previous = this.#cameras ?? new Map<string, MqttCamera>();
    this.#cameras = new Map(cameras.map((camera) => [topicLevel(camera.id), camera]));
    for (const level of previous.keys()) {
      if (this.#cameras.has(level)) continue;
      const prefix = this.topics.camera(level);
      for (const topic of [...this.#state.keys()]) if (topic.startsWith(prefix)) this.#remove(topic);
    }
    const configs = new Map<string, string>();
    if (this.#config.home_assistant.discovery) {
      for (const camera of cameras) for (const { topic, payload } of discoveryConfigs(camera, this.topics)) configs.set(topic, JSON.stringify(payload));
    }
    for (const topic of this.#discovery.keys()) if (!configs.has(topic)) this.#remove(topic);
    const changed = [...configs].filter(([topic, payload]) => this.#discovery.get(topic) !== payload);
    this.#discovery = configs;
    for (const [topic, payload] of changed) {
      this.#removals.delete(topic);
      this.#publish(topic, payload);
    }
    this.#removeStaleConfigs();
  }

  /** The camera's state (Streaming, Reconnecting, …): `<camera>/status`, retained, on every change. */
  cameraStatus(camera: string, state: string): void {
    if (this.#accepting()) this.#setState(this.topics.status(camera), state);
  }

  /**
   * How many of each class are in view now: `<camera>/<class>`, retained, each on change. Classes
   * the camera counts or alerts on (`setCameras`) that are missing here are 0.
   */
  objectCounts(camera: string, counts: Readonly<Record<string, number>>): void {
    if (!this.#accepting()) return;
    const described = this.#cameras?.get(topicLevel(camera));
    const classes = new Set([...(described?.classes ?? []), ...(described?.alertClasses ?? []), ...Object.keys(counts)]);
    for (const className of classes) this.#setState(this.topics.objectCount(camera, className), String(counts[className] ?? 0));
  }

  /** A line's totals: `<camera>/<line>/in` and `/out`, retained. */
  lineCounts(camera: string, line: string, counts: { in: number; out: number }): void {
    if (!this.#accepting()) return;
    this.#setState(this.topics.lineCount(camera, line, 'in'), String(counts.in));
    this.#setState(this.topics.lineCount(camera, line, 'out'), String(counts.out));
  }

  /** Whether detection runs on the camera: `<camera>/detect/state` (`ON`/`OFF`), retained. */
  detectState(camera: string, enabled: boolean): void {
    if (this.#accepting()) this.#setState(this.topics.detectState(camera), enabled ? 'ON' : 'OFF');
  }

  /**
   * The JPEG of the latest alert-worthy detection: `<camera>/snapshot`, retained (Home Assistant's
   * image entity shows it). Once per alert, not per frame: each call is one publish of the whole
   * JPEG, and the bytes are kept (not copied) to send again on the next connection.
   */
  snapshot(camera: string, jpeg: Uint8Array): void {
    if (this.#accepting()) this.#setState(this.topics.snapshot(camera), jpeg);
  }

  /** A tracking event: `<base>/events` as JSON, QoS 1, queued (bounded) while the broker is away. */
  event(event: MqttEvent): void {
    if (!this.#accepting()) return;
    let payload: string;
    try {
      payload = JSON.stringify(event);
    } catch (error) {
      this.#log.error(`event on camera ${event.camera} not sent: ${(error as Error).message}`);
      return;
    }
    const droppedOldest = this.#events.add(this.topics.events, payload);
    if (droppedOldest && this.#events.dropped === (this.#outage?.droppedBefore ?? 0) + 1) {
      this.#log.warn(`event queue full (${this.#events.max}): dropping the oldest events until the broker is back`);
    }
    this.#sendEvents();
  }

  #accepting(): boolean {
    return this.enabled && !this.#stopped;
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    const config = this.#config;
    const options: IClientOptions = {
      clientId: config.client_id,
      username: config.username || undefined,
      password: config.password || undefined,
      ca: this.#ca,
      protocolVersion: 4,
      clean: true,
      // Reconnection is ours (capped exponential backoff with jitter); mqtt.js retries at a fixed period.
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepalive: KEEPALIVE_S,
      // While disconnected nothing is handed to mqtt.js: state waits in #state, events in #events.
      queueQoSZero: false,
      resubscribe: false,
      will: { topic: this.topics.available, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    let client: MqttClient;
    try {
      client = connect(config.url, options);
    } catch (error) {
      this.health.halted(`cannot connect to ${displayUrl(config.url)}: ${this.#redactor.redact((error as Error).message)}`);
      this.#log.error(this.health.lastError!);
      return;
    }
    this.#client = client;
    let failure: { message: string; state: 'disconnected' | 'error' } | undefined;
    client.on('connect', () => this.#connected(client));
    client.on('message', (topic, payload, packet) => this.#received(topic, payload, packet.retain));
    client.on('error', (error) => {
      if (client !== this.#client) return;
      failure = this.#classify(error);
      this.health.failed(failure.message, failure.state);
    });
    client.on('close', () => {
      if (client !== this.#client) return;
      this.#client = undefined;
      this.#disconnected(client, failure);
    });
  }

  #connected(client: MqttClient): void {
    if (client !== this.#client) return;
    this.#connectedAt = Date.now();
    this.health.succeeded();
    const subscriptions = [this.topics.detectCommands, this.topics.ownDiscoveryConfigs, ...(this.#config.home_assistant.discovery ? [this.topics.homeAssistantStatus] : [])];
    client.subscribe(subscriptions, { qos: 1 }, (error) => {
      if (error && client === this.#client) this.#log.warn(`cannot subscribe to ${subscriptions.join(', ')}: ${error.message}`);
    });
    const outage = this.#outage;
    this.#outage = undefined;
    if (outage) {
      const dropped = this.#events.dropped - outage.droppedBefore;
      this.#log.info(
        `connected again after ${Math.round((Date.now() - outage.since) / 1000)} s away; sending ${this.#events.length} queued event(s)${dropped ? `, ${dropped} dropped while away (queue of ${this.#events.max})` : ''}`,
      );
    } else {
      this.#log.info(`connected to ${displayUrl(this.#config.url)} as ${this.#config.client_id}; topics under ${this.topics.base}/`);
    }
    client.publish(this.topics.available, 'online', { qos: 1, retain: true });
    for (const topic of this.#removals) this.#publish(topic, '');
    for (const [topic, payload] of this.#discovery) this.#publish(topic, payload);
    for (const [topic, payload] of this.#state) this.#publish(topic, payload);
    this.#sendEvents();
  }

  #disconnected(client: MqttClient, failure: { message: string; state: 'disconnected' | 'error' } | undefined): void {
    this.#events.connectionLost(client);
    const wasUp = this.#connectedAt !== undefined;
    const message = failure?.message ?? (wasUp ? 'connection lost' : 'the broker closed the connection');
    if (!failure) this.health.failed(message, 'disconnected');
    if (wasUp && Date.now() - this.#connectedAt! >= STABLE_CONNECTION_MS) this.#attempt = 0;
    this.#connectedAt = undefined;
    if (!this.#running) return;
    this.#attempt++;
    const delay = retryDelay(this.#attempt, this.#backoff);
    // One line when an outage starts and one when its reason changes, not one per attempt.
    if (this.#outage?.reason !== message) {
      const log = failure?.state === 'error' ? this.#log.error : this.#log.warn;
      log(`${message}; reconnecting in ${(delay / 1000).toFixed(1)} s, then less and less often (up to every ${this.#backoff.maxMs / 1000} s); ${this.#events.length} event(s) queued`);
    }
    this.#outage = { since: this.#outage?.since ?? Date.now(), reason: message, droppedBefore: this.#outage?.droppedBefore ?? this.#events.dropped };
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  /** What a connection error means: `error` when the broker or its certificate refuses us (a config fix is needed), `disconnected` otherwise. */
  #classify(error: Error & { code?: unknown }): { message: string; state: 'disconnected' | 'error' } {
    if (error instanceof ErrorWithReasonCode) {
      const hint = [4, 5, 134, 135].includes(error.code) ? ' (check mqtt.username and mqtt.password)' : error.code === 2 || error.code === 133 ? ' (check mqtt.client_id)' : '';
      return { message: this.#redactor.redact(`the broker refused the connection: ${error.message.replace(/^Connection refused: /, '')}${hint}`), state: 'error' };
    }
    const reason = this.#redactor.redact(networkReason(error));
    if (typeof error.code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|ALTNAME|TLS/.test(error.code)) {
      return { message: `TLS: ${reason} (check mqtt.ca_file and the broker's certificate)`, state: 'error' };
    }
    return { message: reason, state: 'disconnected' };
  }

  #received(topic: string, payload: Buffer, retained: boolean): void {
    try {
      const camera = this.topics.detectSetCamera(topic);
      if (camera !== undefined) this.#detectCommand(topic, camera, payload, retained);
      else if (topic === this.topics.homeAssistantStatus) this.#homeAssistantStatus(topic, payload, retained);
      else if (retained && payload.length > 0 && this.topics.isOwnDiscoveryConfig(topic)) {
        this.#heldConfigs.add(topic);
        this.#removeStaleConfigs();
      }
    } catch (error) {
      this.#log.error(`handling a message on ${topic}: ${(error as Error).message}`);
    }
  }

  #detectCommand(topic: string, level: string, payload: Buffer, retained: boolean): void {
    if (retained) return this.#warnOnce(topic, `ignored a retained command on ${topic} (commands are acted on when sent, not replayed: publish without retain)`);
    const text = decode(payload);
    if (!Value.Check(DetectCommand, text)) return this.#warnOnce(topic, `ignored ${describePayload(payload, text)} on ${topic}: expected ON or OFF`);
    const camera = this.#cameras?.get(level);
    if (!camera) return this.#warnOnce(topic, `ignored ${text} on ${topic}: no camera "${level}" (cameras: ${[...(this.#cameras?.keys() ?? [])].join(', ') || 'none'})`);
    if (!this.#setDetection) return this.#warnOnce(topic, `ignored ${text} on ${topic}: detection cannot be switched over MQTT here`);
    this.#warned.delete(topic);
    this.#log.info(`detection ${text} for camera ${camera.id} (${topic})`);
    this.detectState(camera.id, this.#setDetection(camera.id, text === 'ON'));
  }

  #homeAssistantStatus(topic: string, payload: Buffer, retained: boolean): void {
    // A retained birth message is an old one: the configs went out when we connected.
    if (retained) return;
    const text = decode(payload);
    if (!Value.Check(HomeAssistantStatus, text)) return this.#warnOnce(topic, `ignored ${describePayload(payload, text)} on ${topic}: expected online or offline`);
    this.#warned.delete(topic);
    if (text !== 'online') return;
    this.#log.info(`Home Assistant is online: announcing ${this.#discovery.size} entities again`);
    for (const [configTopic, config] of this.#discovery) this.#publish(configTopic, config);
  }

  /**
   * Removes configs an earlier run (or this one with discovery on) left on the broker for entities
   * we no longer have. Only once the cameras are known: removing an entity deletes it from Home
   * Assistant's registry, with the names and areas the user gave it.
   */
  #removeStaleConfigs(): void {
    if (!this.#cameras) return;
    for (const topic of this.#heldConfigs) {
      if (this.#discovery.has(topic)) continue;
      this.#log.info(`removing stale Home Assistant entity ${topic}`);
      this.#remove(topic);
    }
    this.#heldConfigs.clear();
  }

  #warnOnce(topic: string, message: string): void {
    if (this.#warned.has(topic)) return;
    this.#warned.add(topic);
    this.#log.warn(`${message} (further bad messages on this topic are not logged until a good one)`);
  }

  #setState(topic: string, payload: string | Uint8Array): void {
    if (typeof payload === 'string' && this.#state.get(topic) === payload) return;
    this.#state.set(topic, payload);
    this.#removals.delete(topic);
    this.#publish(topic, payload);
  }

  /** Empties a retained topic (QoS 1, again on every connection until the broker acknowledges it). */
  #remove(topic: string): void {
    this.#state.delete(topic);
    this.#discovery.delete(topic);
    this.#removals.add(topic);
    this.#publish(topic, '');
  }

  /** Retained, QoS 0 (QoS 1 for removals) on the live connection; nothing while disconnected: the next connection sends it. */
  #publish(topic: string, payload: string | Uint8Array): void {
    const client = this.#client;
    if (!client?.connected) return;
    const body = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (body.length > 0) {
      client.publish(topic, body, { qos: 0, retain: true });
      return;
    }
    client.publish(topic, body, { qos: 1, retain: true }, (error) => {
      if (!error && client === this.#client && !this.#state.has(topic) && !this.#discovery.has(topic)) this.#removals.delete(topic);
    });
  }

  #sendEvents(): void {
    const client = this.#client;
    if (!client?.connected) return;
    for (const message of this.#events.unsent()) {
      message.sentOn = client;
      client.publish(message.topic, message.payload, { qos: 1 }, (error) => {
        if (message.sentOn !== client) return;
        if (error) {
          message.sentOn = undefined;
          return;
        }
        this.#events.acknowledged(message);
        this.health.succeeded();
      });
    }
  }
}

/** True when the promise settles within `ms` (its timer does not hold the process open after). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The broker URL without credentials, for log lines. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href.replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

function decode(payload: Buffer): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

function describePayload(payload: Buffer, text: string | undefined): string {
  if (text === undefined) return `${payload.length} bytes that are not UTF-8`;
  return text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}… (${payload.length} bytes)` : JSON.stringify(text);
}
