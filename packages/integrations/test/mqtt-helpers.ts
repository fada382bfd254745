import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { MQTT_DEFAULTS, MqttIntegration, type MqttOptions, type MqttSettings } from '../src/index.ts';
import { captureLog, until } from './helpers.ts';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
}

/** A client of the test's own (mqtt.js), subscribed to `topics` at QoS 1: what a Home Assistant or a script would see. */
export interface Subscriber {
  client: MqttClient;
  messages: Received[];
  /** Messages on one topic, oldest first. */
  on(topic: string): Received[];
  /** The latest payload on a topic, as text. */
  text(topic: string): string | undefined;
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

let clients = 0;

export async function subscribe(url: string, topics: string[], options: IClientOptions = {}): Promise<Subscriber> {
  const client = await connectAsync(url, { clientId: `test-subscriber-${process.pid}-${clients++}`, reconnectPeriod: 100, ...options });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain, qos: packet.qos }));
  await client.subscribeAsync(topics, { qos: 1 });
  const on = (topic: string) => messages.filter((m) => m.topic === topic);
  return {
    client,
    messages,
    on,
    text: (topic) => on(topic).at(-1)?.payload.toString('utf8'),
    waitFor: (predicate, what, timeoutMs = 10_000) => until(predicate, timeoutMs, what),
    close: () => client.endAsync(),
  };
}

/**
 * The retained messages under `topics` as a newcomer sees them: a fresh subscriber, and a marker
 * it publishes to itself, which the broker routes only after the retained messages it sends on
 * subscribing.
 */
export async function retainedMessages(url: string, topics: string[], options: IClientOptions = {}): Promise<Map<string, Buffer>> {
  const marker = `test/marker/${process.pid}/${clients}`;
  const subscriber = await subscribe(url, [...topics, marker], options);
  try {
    await subscriber.client.publishAsync(marker, 'end', { qos: 1 });
    await subscriber.waitFor(() => subscriber.on(marker).length > 0, 'the marker after the retained messages');
    return new Map(subscriber.messages.filter((m) => m.retain && m.topic !== marker).map((m) => [m.topic, m.payload]));
  } finally {
    await subscriber.close();
  }
}

/** Quick to reconnect, logging into `log`: what most tests start from. */
export function mqttIntegration(settings: MqttSettings, options: MqttOptions = {}) {
  const log = captureLog();
  const mqtt = new MqttIntegration(
    { ...MQTT_DEFAULTS, client_id: 'site-a', reconnect_initial_s: 0.05, reconnect_max_s: 0.3, ...settings },
    { log, ...options },
  );
  return { mqtt, log };
}

export async function connected(mqtt: MqttIntegration): Promise<void> {
  await until(() => mqtt.status().state === 'connected', 10_000, `connected (status ${JSON.stringify(mqtt.status())})`);
}
