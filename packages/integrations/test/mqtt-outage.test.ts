import { startMosquitto, type Mosquitto } from '@cctv/testbed';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttCamera, MqttIntegration } from '../src/index.ts';
import { jpeg, until } from './helpers.ts';
import { connected, mqttIntegration, retainedMessages, subscribe, type Subscriber } from './mqtt-helpers.ts';

const GATE: MqttCamera = { id: 'gate', name: 'Gate', classes: ['person'], alertClasses: ['person'], lines: ['door'] };
const BASE = 'cctv/site-a';

let broker: Mosquitto | undefined;
let mqtt: MqttIntegration | undefined;
let subscriber: Subscriber | undefined;

afterEach(async () => {
  await mqtt?.stop();
  await subscriber?.close();
  await broker?.stop();
  mqtt = subscriber = broker = undefined;
});

const eventIds = (s: Subscriber) => s.on(`${BASE}/events`).map((m) => (JSON.parse(m.payload.toString()) as { id: number }).id);

describe('the broker goes away', () => {
  it('keeps QoS 1 events up to the bound while the broker is down (the oldest beyond it dropped and counted) and delivers them when it is back', async () => {
    // Persistence keeps the test subscriber's session across the broker's restart, so it misses
    // nothing sent before it reconnects.
    broker = await startMosquitto({ persistence: true });
    subscriber = await subscribe(broker.url, [`${BASE}/events`], { clean: false, clientId: 'events-reader' });
    const made = mqttIntegration({ url: broker.url, max_queued: 20 });
    mqtt = made.mqtt;
    mqtt.start();
    await connected(mqtt);
    for (let id = 0; id < 5; id++) mqtt.event({ type: 'new', camera: 'gate', id });
    await subscriber.waitFor(() => subscriber!.on(`${BASE}/events`).length === 5, 'five events while up');
    await until(() => mqtt!.status().queued === 0, 5000, 'the five acknowledged');

    await broker.down();
    await until(() => mqtt!.status().state === 'disconnected', 5000, 'disconnected');
    for (let id = 5; id < 35; id++) mqtt.event({ type: 'update', camera: 'gate', id });
    expect(mqtt.status()).toMatchObject({ state: 'disconnected', queued: 20, dropped: 10, last_error: expect.any(String) });
    expect(made.log.text()).toMatch(/event queue full \(20\): dropping the oldest events until the broker is back/);

    await broker.up();
    await subscriber.waitFor(() => subscriber!.on(`${BASE}/events`).length >= 25, 'the queued events', 15_000);
    await until(() => mqtt!.status().queued === 0, 5000, 'the queue drained');
    // The 10 oldest of the outage were dropped; the 20 newest arrive, in order, after the first 5.
    expect(eventIds(subscriber)).toEqual([...[0, 1, 2, 3, 4], ...Array.from({ length: 20 }, (_, i) => 15 + i)]);
    expect(mqtt.status()).toMatchObject({ state: 'connected', queued: 0, dropped: 10, last_error: null });
    expect(made.log.text()).toMatch(/connected again after \d+ s away; sending 20 queued event\(s\), 10 dropped while away \(queue of 20\)/);
  });

  it('publishes its retained state again (the latest values) when it reconnects to a broker that forgot everything', async () => {
    broker = await startMosquitto();
    const made = mqttIntegration({ url: broker.url });
    mqtt = made.mqtt;
    const photo = await jpeg(160, 120);
    mqtt.setCameras([GATE]);
    mqtt.start();
    mqtt.cameraStatus('gate', 'Streaming');
    mqtt.objectCounts('gate', { person: 1 });
    mqtt.lineCounts('gate', 'door', { in: 4, out: 2 });
    mqtt.detectState('gate', true);
    mqtt.snapshot('gate', photo);
    await connected(mqtt);
    const before = await retainedMessages(broker.url, ['#']);
    expect(before.get(`${BASE}/gate/status`)?.toString()).toBe('Streaming');

    await broker.down();
    await until(() => mqtt!.status().state === 'disconnected', 5000, 'disconnected');
    // Changes while away: the latest value is what goes out, and calls return at once.
    mqtt.cameraStatus('gate', 'Reconnecting');
    mqtt.cameraStatus('gate', 'Streaming');
    mqtt.objectCounts('gate', { person: 3 });
    mqtt.lineCounts('gate', 'door', { in: 5, out: 2 });
    await broker.up();

    // The broker came back empty (no persistence): everything there now was published again.
    let after = new Map<string, Buffer>();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && after.size < before.size; ) {
      after = await retainedMessages(broker.url, ['#']);
      if (after.size < before.size) await Bun.sleep(50);
    }
    expect([...after.keys()].toSorted()).toEqual([...before.keys()].toSorted());
    const text = (topic: string) => after.get(topic)?.toString();
    expect([text(`${BASE}/available`), text(`${BASE}/gate/status`), text(`${BASE}/gate/person`), text(`${BASE}/gate/door/in`), text(`${BASE}/gate/detect/state`)]).toEqual(['online', 'Streaming', '3', '5', 'ON']);
    expect(new Uint8Array(after.get(`${BASE}/gate/snapshot`)!)).toEqual(photo);
    expect([...after.keys()].filter((topic) => topic.startsWith('homeassistant/'))).toHaveLength(7);
    expect(mqtt.status().state).toBe('connected');
  });
});
