import { startMosquitto, type Mosquitto } from '@cctv/testbed';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttCamera, MqttIntegration } from '../src/index.ts';
import { jpeg, until } from './helpers.ts';
import { connected, mqttIntegration, retainedMessages, subscribe, type Subscriber } from './mqtt-helpers.ts';

const GATE: MqttCamera = { id: 'gate', name: 'Gate', classes: ['person', 'car'], alertClasses: ['person'], lines: ['door'] };
const BASE = 'cctv/site-a';

let broker: Mosquitto | undefined;
let running: MqttIntegration[] = [];
let subscribers: Subscriber[] = [];

afterEach(async () => {
  await Promise.all(running.map((m) => m.stop()));
  await Promise.all(subscribers.map((s) => s.close()));
  running = [];
  subscribers = [];
  await broker?.stop();
  broker = undefined;
});

function start(settings: Parameters<typeof mqttIntegration>[0], options: Parameters<typeof mqttIntegration>[1] = {}) {
  const made = mqttIntegration(settings, options);
  running.push(made.mqtt);
  return made;
}

async function listen(url: string, topics: string[], options = {}) {
  const subscriber = await subscribe(url, topics, options);
  subscribers.push(subscriber);
  return subscriber;
}

describe('MQTT topics', () => {
  it('publishes availability, status, counts, lines, detection state and the snapshot retained, and events as QoS 1 JSON', async () => {
    broker = await startMosquitto();
    const live = await listen(broker.url, [`${BASE}/#`]);
    const { mqtt } = start({ url: broker.url });
    const photo = await jpeg(320, 240);
    mqtt.setCameras([GATE]);
    // Before the connection: kept, and sent once connected.
    mqtt.cameraStatus('gate', 'Connecting');
    mqtt.cameraStatus('gate', 'Streaming');
    mqtt.start();
    await connected(mqtt);
    mqtt.objectCounts('gate', { person: 2 });
    mqtt.lineCounts('gate', 'door', { in: 3, out: 1 });
    mqtt.detectState('gate', true);
    mqtt.snapshot('gate', photo);
    mqtt.event({ type: 'new', camera: 'gate', track: { id: 7, className: 'person', confidence: 0.91 } });
    mqtt.event({ type: 'end', camera: 'gate', track: { id: 7, className: 'person', confidence: 0.93 } });
    await live.waitFor(() => live.on(`${BASE}/events`).length === 2, 'two events');

    expect(live.text(`${BASE}/available`)).toBe('online');
    expect(live.on(`${BASE}/gate/status`).map((m) => m.payload.toString())).toEqual(['Streaming']);
    expect(live.text(`${BASE}/gate/person`)).toBe('2');
    // A class the camera counts, with none in view.
    expect(live.text(`${BASE}/gate/car`)).toBe('0');
    expect([live.text(`${BASE}/gate/door/in`), live.text(`${BASE}/gate/door/out`)]).toEqual(['3', '1']);
    expect(live.text(`${BASE}/gate/detect/state`)).toBe('ON');
    expect(new Uint8Array(live.on(`${BASE}/gate/snapshot`)[0]!.payload)).toEqual(photo);
    const events = live.on(`${BASE}/events`);
    expect(events.map((m) => m.qos)).toEqual([1, 1]);
    expect(events.map((m) => JSON.parse(m.payload.toString()))).toEqual([
      { type: 'new', camera: 'gate', track: { id: 7, className: 'person', confidence: 0.91 } },
      { type: 'end', camera: 'gate', track: { id: 7, className: 'person', confidence: 0.93 } },
    ]);

    // Every change of status goes out; the same status twice, once.
    mqtt.cameraStatus('gate', 'Reconnecting');
    mqtt.cameraStatus('gate', 'Reconnecting');
    mqtt.cameraStatus('gate', 'Streaming');
    mqtt.objectCounts('gate', { person: 2 });
    mqtt.objectCounts('gate', { person: 1, car: 1 });
    await live.waitFor(() => live.on(`${BASE}/gate/status`).length === 3 && live.text(`${BASE}/gate/car`) === '1', 'the changes');
    expect(live.on(`${BASE}/gate/status`).map((m) => m.payload.toString())).toEqual(['Streaming', 'Reconnecting', 'Streaming']);
    expect(live.on(`${BASE}/gate/person`).map((m) => m.payload.toString())).toEqual(['2', '1']);

    // What a newcomer finds: the state, retained; events are not.
    const retained = await retainedMessages(broker.url, [`${BASE}/#`]);
    expect(Object.fromEntries([...retained].filter(([topic]) => !topic.endsWith('/snapshot')).map(([topic, payload]) => [topic, payload.toString()]))).toEqual({
      [`${BASE}/available`]: 'online',
      [`${BASE}/gate/status`]: 'Streaming',
      [`${BASE}/gate/person`]: '1',
      [`${BASE}/gate/car`]: '1',
      [`${BASE}/gate/door/in`]: '3',
      [`${BASE}/gate/door/out`]: '1',
      [`${BASE}/gate/detect/state`]: 'ON',
    });
    expect(new Uint8Array(retained.get(`${BASE}/gate/snapshot`)!)).toEqual(photo);
    expect(mqtt.status()).toMatchObject({ state: 'connected', queued: 0, dropped: 0, last_error: null });
  });

  it('switches detection from <camera>/detect/set and answers on detect/state; a bad payload is logged once and changes nothing', async () => {
    broker = await startMosquitto();
    const calls: Array<[string, boolean]> = [];
    const setDetection = (camera: string, enabled: boolean) => {
      calls.push([camera, enabled]);
      return enabled;
    };
    const { mqtt, log } = start({ url: broker.url }, { setDetection });
    mqtt.setCameras([GATE]);
    mqtt.detectState('gate', true);
    mqtt.start();
    await connected(mqtt);
    const user = await listen(broker.url, [`${BASE}/gate/detect/state`]);
    await user.waitFor(() => user.text(`${BASE}/gate/detect/state`) === 'ON', 'the retained state');
    const command = (payload: string | Buffer, retain = false) => user.client.publishAsync(`${BASE}/gate/detect/set`, payload, { qos: 1, retain });

    await command('OFF');
    await user.waitFor(() => user.text(`${BASE}/gate/detect/state`) === 'OFF', 'detect/state OFF');
    expect(calls).toEqual([['gate', false]]);

    await command('maybe');
    await command('on');
    await command(Buffer.from([0xff, 0xfe, 0x00]));
    await command('ON');
    await user.waitFor(() => user.text(`${BASE}/gate/detect/state`) === 'ON', 'detect/state ON');
    expect(calls).toEqual([['gate', false], ['gate', true]]);
    const complaints = log.lines.filter((line) => line.includes('expected ON or OFF'));
    expect(complaints).toEqual([expect.stringMatching(/^warn mqtt: ignored "maybe" on cctv\/site-a\/gate\/detect\/set: expected ON or OFF/)]);

    // After a good one, the next bad run is logged again; an unknown camera is named.
    await command('{"state":"ON"}');
    await user.client.publishAsync(`${BASE}/yard/detect/set`, 'ON', { qos: 1 });
    await command('OFF');
    await user.waitFor(() => user.text(`${BASE}/gate/detect/state`) === 'OFF', 'detect/state OFF again');
    expect(log.lines.filter((line) => line.includes('expected ON or OFF'))).toHaveLength(2);
    expect(log.text()).toMatch(/ignored ON on cctv\/site-a\/yard\/detect\/set: no camera "yard" \(cameras: gate\)/);

    // A command sent retained acts once, when sent; the broker's replay on the next connection is ignored.
    await command('ON', true);
    await user.waitFor(() => user.text(`${BASE}/gate/detect/state`) === 'ON', 'detect/state ON from the retained command');
    expect(mqtt.status().state).toBe('connected');
    await mqtt.stop();
    const { mqtt: again, log: logAgain } = start({ url: broker.url }, { setDetection });
    again.setCameras([GATE]);
    again.start();
    await until(() => logAgain.text().includes('ignored a retained command on cctv/site-a/gate/detect/set'), 5000, 'the replayed command ignored');
    expect(calls).toEqual([['gate', false], ['gate', true], ['gate', false], ['gate', true]]);
    await command('', true);
  });
});

describe('MQTT availability', () => {
  it('the broker says offline (its will) when the client dies without a goodbye, and the client says it itself on a clean stop', async () => {
    broker = await startMosquitto();
    const watcher = await listen(broker.url, [`${BASE}/available`, 'cctv/site-b/available']);

    const child = Bun.spawn([process.execPath, join(import.meta.dirname, 'fixtures/mqtt-process.ts'), JSON.stringify({ url: broker.url, client_id: 'site-b' })], { stdout: 'pipe', stderr: 'pipe' });
    const stdout = child.stdout.getReader();
    const { value } = await stdout.read();
    expect(new TextDecoder().decode(value)).toBe('connected\n');
    await watcher.waitFor(() => watcher.text('cctv/site-b/available') === 'online', 'site-b online');
    child.kill('SIGKILL');
    await child.exited;
    await watcher.waitFor(() => watcher.text('cctv/site-b/available') === 'offline', 'site-b offline from its will');
    expect(broker.log()).toMatch(/Client site-b closed its connection/);

    const { mqtt } = start({ url: broker.url });
    mqtt.start();
    await watcher.waitFor(() => watcher.text(`${BASE}/available`) === 'online', 'site-a online');
    await mqtt.stop();
    await watcher.waitFor(() => watcher.text(`${BASE}/available`) === 'offline', 'site-a offline');
    // A DISCONNECT, so the offline came from the client, not from its will.
    expect(broker.log()).toMatch(/Client site-a disconnected\./);
    const retained = await retainedMessages(broker.url, ['cctv/+/available']);
    expect(Object.fromEntries([...retained].map(([topic, payload]) => [topic, payload.toString()]))).toEqual({ 'cctv/site-a/available': 'offline', 'cctv/site-b/available': 'offline' });
  });
});

describe('MQTT credentials and TLS', () => {
  it('a wrong password is an error with the reason, never with the secret; the right one connects', async () => {
    broker = await startMosquitto({ users: { 'cam-user-7': 'right-password-1' } });
    const { mqtt: refused, log } = start({ url: broker.url, username: 'cam-user-7', password: 'wrong-password-2' });
    refused.start();
    await until(() => refused.status().state === 'error', 10_000, 'refused');
    expect(refused.status().last_error).toBe('the broker refused the connection: Not authorized (check mqtt.username and mqtt.password)');
    expect(log.text()).toMatch(/^error mqtt: the broker refused the connection: Not authorized/m);

    // The credentials in the URL instead: the same answer, and the password hidden there too.
    const inUrl = broker.url.replace('mqtt://', 'mqtt://cam-user-7:wrong-password-3@');
    const { mqtt: refusedToo, log: logToo } = start({ url: inUrl, client_id: 'site-c' });
    refusedToo.start();
    await until(() => refusedToo.status().state === 'error', 10_000, 'refused again');

    const { mqtt: accepted, log: acceptedLog } = start({ url: broker.url, username: 'cam-user-7', password: 'right-password-1', client_id: 'site-d' });
    accepted.start();
    await connected(accepted);
    expect(acceptedLog.text()).toContain(`connected to ${broker.url} as site-d`);

    const everything = [log.text(), logToo.text(), acceptedLog.text(), JSON.stringify([refused.status(), refusedToo.status(), accepted.status()])].join('\n');
    for (const secret of ['wrong-password-2', 'wrong-password-3', 'right-password-1', 'cam-user-7']) expect(everything).not.toContain(secret);
  });

  it('connects over mqtts:// to a broker whose certificate its CA file vouches for, and says why not without it', async () => {
    broker = await startMosquitto({ tls: true });
    const { mqtt } = start({ url: broker.tlsUrl!, ca_file: broker.caFile! });
    mqtt.setCameras([GATE]);
    mqtt.start();
    await connected(mqtt);
    const live = await listen(broker.tlsUrl!, [`${BASE}/gate/status`], { ca: await Bun.file(broker.caFile!).text() });
    mqtt.cameraStatus('gate', 'Streaming');
    await live.waitFor(() => live.text(`${BASE}/gate/status`) === 'Streaming', 'the status over TLS');

    const { mqtt: untrusting } = start({ url: broker.tlsUrl!, client_id: 'site-e' });
    untrusting.start();
    await until(() => untrusting.status().state === 'error', 10_000, 'the certificate refused');
    expect(untrusting.status().last_error).toMatch(/^TLS: .*(certificate|verify).*\(check mqtt\.ca_file and the broker's certificate\)$/i);

    const { mqtt: missing } = start({ url: broker.tlsUrl!, ca_file: '/nonexistent/ca.pem', client_id: 'site-f' });
    missing.start();
    expect(missing.status()).toMatchObject({ state: 'error', last_error: expect.stringMatching(/^cannot read mqtt\.ca_file: .*ENOENT/) });
  });
});
