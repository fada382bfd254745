import { startMosquitto, type Mosquitto } from '@cctv/testbed';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttCamera, MqttIntegration } from '../src/index.ts';
import { until } from './helpers.ts';
import { connected, mqttIntegration, retainedMessages, subscribe, type Subscriber } from './mqtt-helpers.ts';

const GATE: MqttCamera = { id: 'gate', name: 'Front gate', classes: ['person', 'car'], alertClasses: ['person'], lines: ['door'] };
const YARD: MqttCamera = { id: 'yard', name: 'Yard', classes: ['traffic light'], alertClasses: [], lines: [] };
const BASE = 'cctv/site-a';

/** Home Assistant's own check of a discovery topic (homeassistant/components/mqtt/discovery.py). */
const HA_TOPIC = /^homeassistant\/(?<component>\w+)\/(?:(?<node>[a-zA-Z0-9_-]+)\/)?(?<object>[a-zA-Z0-9_-]+)\/config$/;

type Config = Record<string, unknown> & { unique_id: string; device: { identifiers: string[]; name: string } };

let broker: Mosquitto | undefined;
let running: MqttIntegration[] = [];
let subscriber: Subscriber | undefined;

afterEach(async () => {
  await Promise.all(running.map((m) => m.stop()));
  await subscriber?.close();
  await broker?.stop();
  running = [];
  subscriber = broker = undefined;
});

function start(settings: Parameters<typeof mqttIntegration>[0] = {}) {
  const made = mqttIntegration({ url: broker!.url, ...settings });
  running.push(made.mqtt);
  made.mqtt.start();
  return made;
}

/** The retained discovery configs, parsed; an empty payload (a removed entity) is not retained at all. */
async function discovered(): Promise<Map<string, Config>> {
  const retained = await retainedMessages(broker!.url, ['homeassistant/#']);
  return new Map([...retained].map(([topic, payload]) => [topic, JSON.parse(payload.toString()) as Config]));
}

const configTopic = (component: string, objectId: string) => `homeassistant/${component}/site-a/${objectId}/config`;

describe('Home Assistant discovery', () => {
  it('announces a device per camera with an image, status, counts, occupancy, line sensors and a detection switch, all fed by our topics', async () => {
    broker = await startMosquitto();
    const { mqtt } = start();
    mqtt.setCameras([GATE, YARD]);
    await connected(mqtt);
    mqtt.cameraStatus('gate', 'Streaming');
    mqtt.objectCounts('gate', { person: 1 });
    mqtt.lineCounts('gate', 'door', { in: 2, out: 0 });
    mqtt.detectState('gate', true);
    mqtt.snapshot('gate', new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
    subscriber = await subscribe(broker.url, [`${BASE}/gate/door/in`]);
    await subscriber.waitFor(() => subscriber!.text(`${BASE}/gate/door/in`) === '2', 'the state published');

    const configs = await discovered();
    expect([...configs.keys()].toSorted()).toEqual(
      [
        configTopic('image', 'gate_snapshot'),
        configTopic('sensor', 'gate_status'),
        configTopic('switch', 'gate_detect'),
        configTopic('sensor', 'gate_person_count'),
        configTopic('sensor', 'gate_car_count'),
        configTopic('binary_sensor', 'gate_person_occupancy'),
        configTopic('sensor', 'gate_door_in'),
        configTopic('sensor', 'gate_door_out'),
        configTopic('image', 'yard_snapshot'),
        configTopic('sensor', 'yard_status'),
        configTopic('switch', 'yard_detect'),
        configTopic('sensor', 'yard_traffic_light_count'),
      ].toSorted(),
    );
    const state = await retainedMessages(broker.url, [`${BASE}/#`]);
    const uniqueIds = new Set<string>();
    for (const [topic, config] of configs) {
      const { component } = HA_TOPIC.exec(topic)!.groups!;
      expect(['image', 'sensor', 'switch', 'binary_sensor']).toContain(component);
      // What every entity needs: a unique id, a device with an identifier, availability on our topic.
      expect(config.unique_id).toMatch(/^site-a_/);
      uniqueIds.add(config.unique_id);
      expect(config.device.identifiers).toEqual([`site-a_${topic.includes('/gate_') ? 'gate' : 'yard'}`]);
      expect(config.device.name).toBe(topic.includes('/gate_') ? 'Front gate' : 'Yard');
      expect(config).toMatchObject({ availability_topic: `${BASE}/available`, payload_available: 'online', payload_not_available: 'offline', origin: { name: 'cctv' } });
      expect(typeof config.name).toBe('string');
      for (const key of ['state_topic', 'image_topic', 'command_topic']) {
        if (key in config) expect(config[key]).toMatch(/^cctv\/site-a\/(gate|yard)\/[^#+]+$/);
      }
    }
    expect(uniqueIds.size).toBe(configs.size);

    const gate = (component: string, objectId: string) => configs.get(configTopic(component, objectId))!;
    expect(gate('image', 'gate_snapshot')).toMatchObject({ image_topic: `${BASE}/gate/snapshot`, content_type: 'image/jpeg' });
    expect(gate('switch', 'gate_detect')).toMatchObject({ command_topic: `${BASE}/gate/detect/set`, state_topic: `${BASE}/gate/detect/state`, payload_on: 'ON', payload_off: 'OFF' });
    expect(gate('sensor', 'gate_person_count')).toMatchObject({ state_topic: `${BASE}/gate/person`, state_class: 'measurement' });
    expect(gate('sensor', 'yard_traffic_light_count')).toMatchObject({ state_topic: `${BASE}/yard/traffic_light`, name: 'traffic light count' });
    expect(gate('sensor', 'gate_door_in')).toMatchObject({ state_topic: `${BASE}/gate/door/in`, state_class: 'total_increasing' });
    expect(gate('sensor', 'gate_door_out')).toMatchObject({ state_topic: `${BASE}/gate/door/out`, state_class: 'total_increasing' });
    expect(gate('binary_sensor', 'gate_person_occupancy')).toMatchObject({ state_topic: `${BASE}/gate/person`, device_class: 'occupancy', payload_on: 'ON', payload_off: 'OFF' });
    expect(gate('binary_sensor', 'gate_person_occupancy').value_template).toMatch(/value \| int\(0\)\) > 0/);

    // Every state topic of the gate has its value on the broker, as Home Assistant will read it.
    const fed = (config: Config) => state.get(String(config.state_topic ?? config.image_topic))?.toString('latin1');
    expect(fed(gate('sensor', 'gate_status'))).toBe('Streaming');
    expect(fed(gate('sensor', 'gate_person_count'))).toBe('1');
    expect(fed(gate('sensor', 'gate_car_count'))).toBe('0');
    expect(fed(gate('sensor', 'gate_door_in'))).toBe('2');
    expect(fed(gate('switch', 'gate_detect'))).toBe('ON');
    expect(fed(gate('image', 'gate_snapshot'))).toBe('\xff\xd8\xff\xd9');
  });

  it('announces again when Home Assistant says online on homeassistant/status, and ignores other payloads there (logged once)', async () => {
    broker = await startMosquitto();
    const { mqtt, log } = start();
    mqtt.setCameras([GATE]);
    await connected(mqtt);
    subscriber = await subscribe(broker.url, ['homeassistant/+/site-a/+/config']);
    // On subscribing, the 8 retained configs.
    await subscriber.waitFor(() => subscriber!.messages.length === 8, 'the retained configs');
    const home = subscriber.client;
    await home.publishAsync('homeassistant/status', 'offline', { qos: 1 });
    await home.publishAsync('homeassistant/status', 'rebooting', { qos: 1 });
    await home.publishAsync('homeassistant/status', 'rebooting', { qos: 1 });
    await home.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await subscriber.waitFor(() => subscriber!.messages.length === 16, 'the configs again');
    const again = subscriber.messages.slice(8);
    expect(again.every((m) => !m.retain)).toBe(true);
    expect(again.map((m) => m.topic).toSorted()).toEqual(subscriber.messages.slice(0, 8).map((m) => m.topic).toSorted());
    expect(log.lines.filter((line) => line.includes('homeassistant/status'))).toEqual([
      'warn mqtt: ignored "rebooting" on homeassistant/status: expected online or offline (further bad messages on this topic are not logged until a good one)',
    ]);
    expect(log.text()).toContain('Home Assistant is online: announcing 8 entities again');
  });

  it('removes the entities of cameras, classes and lines no longer configured, now and after a restart of ours', async () => {
    broker = await startMosquitto();
    const first = start();
    first.mqtt.setCameras([GATE, YARD]);
    await connected(first.mqtt);
    first.mqtt.cameraStatus('yard', 'Streaming');
    first.mqtt.cameraStatus('gate', 'Streaming');
    subscriber = await subscribe(broker.url, ['homeassistant/#', `${BASE}/#`]);
    await subscriber.waitFor(() => subscriber!.text(`${BASE}/yard/status`) === 'Streaming', 'the yard status');
    expect((await discovered()).size).toBe(12);

    // The yard goes, and the gate no longer counts cars or the door.
    first.mqtt.setCameras([{ ...GATE, classes: ['person'], lines: [] }]);
    const removed = [
      configTopic('image', 'yard_snapshot'),
      configTopic('sensor', 'yard_status'),
      configTopic('switch', 'yard_detect'),
      configTopic('sensor', 'yard_traffic_light_count'),
      configTopic('sensor', 'gate_car_count'),
      configTopic('sensor', 'gate_door_in'),
      configTopic('sensor', 'gate_door_out'),
    ];
    await subscriber.waitFor(() => removed.every((topic) => subscriber!.text(topic) === ''), 'empty configs for the removed entities');
    const left = await discovered();
    expect([...left.keys()].toSorted()).toEqual(
      [configTopic('image', 'gate_snapshot'), configTopic('sensor', 'gate_status'), configTopic('switch', 'gate_detect'), configTopic('sensor', 'gate_person_count'), configTopic('binary_sensor', 'gate_person_occupancy')].toSorted(),
    );
    // The yard's retained state goes too; the gate's stays.
    const state = await retainedMessages(broker.url, [`${BASE}/#`]);
    expect(state.has(`${BASE}/yard/status`)).toBe(false);
    expect(state.get(`${BASE}/gate/status`)?.toString()).toBe('Streaming');
    await first.mqtt.stop();

    // A later run that announces only what it has: the broker still holds the gate's configs from
    // the first run, and the new run removes those it does not announce.
    const second = start();
    await connected(second.mqtt);
    // Nothing is removed before setCameras(): until then, every held config looks stale. A command
    // for a camera it does not know yet, answered after the retained configs it subscribed to,
    // shows it has read them (sent until it is subscribed).
    while (!second.log.text().includes('no camera "gate" (cameras: none)')) {
      await subscriber.client.publishAsync(`${BASE}/gate/detect/set`, 'ON', { qos: 1 });
      await Bun.sleep(50);
    }
    expect(second.log.text()).not.toContain('removing stale');
    second.mqtt.setCameras([{ ...GATE, classes: [], alertClasses: [], lines: [] }]);
    await until(() => second.log.text().includes(`removing stale Home Assistant entity ${configTopic('binary_sensor', 'gate_person_occupancy')}`), 5000, 'the stale occupancy removed');
    await subscriber.waitFor(() => subscriber!.on(configTopic('sensor', 'gate_person_count')).at(-1)?.payload.length === 0, 'the stale count removed');
    expect([...(await discovered()).keys()].toSorted()).toEqual([configTopic('image', 'gate_snapshot'), configTopic('sensor', 'gate_status'), configTopic('switch', 'gate_detect')].toSorted());
    await second.mqtt.stop();

    // Discovery turned off: whatever was announced is removed.
    const third = start({ home_assistant: { discovery: false } });
    third.mqtt.setCameras([GATE]);
    await connected(third.mqtt);
    await subscriber.waitFor(() => subscriber!.on(configTopic('switch', 'gate_detect')).at(-1)?.payload.length === 0, 'the switch removed');
    for (let tries = 0; (await discovered()).size > 0 && tries < 100; tries++) await Bun.sleep(50);
    expect((await discovered()).size).toBe(0);
  });
});
