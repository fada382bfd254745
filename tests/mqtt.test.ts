import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jpegSize, startMosquitto, startServer, waitFor as waitUntil, type Mosquitto, type RunningServer } from '@cctv/testbed';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.ts';

// Two servers, one per "box", each with its own cameras and client_id, on one broker: a
// subscriber (Home Assistant, Node-RED) sees both. Site A counts the demo scene's red box (the
// colour-patch model) crossing a line; site B just streams.
const PATCH_MODEL = resolve(import.meta.dirname, '../packages/detector/models/colour-patches-yolov8.onnx');

let broker: Mosquitto;
let siteA: RunningServer;
let siteB: RunningServer;
let watcher: MqttClient;
let dataDir: string;
/** The latest payload of each topic the watcher saw, and every event message in order. */
const latest = new Map<string, Buffer>();
const events: Array<{ type: string; camera: string; change: { kind: string }; event: { id: number } }> = [];

function text(topic: string): string | undefined {
  return latest.get(topic)?.toString('utf8');
}

/** waitFor, saying which topics were seen when it times out. */
function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return waitUntil(what, probe, timeoutMs, () => `topics seen: ${[...latest.keys()].slice(0, 60).join(' ')}`);
}

function site(clientId: string, extra: Record<string, unknown>) {
  return {
    mqtt: { url: broker.url, client_id: clientId, topic_prefix: 'cctv', reconnect_initial_s: 0.2, reconnect_max_s: 1 },
    data_dir: join(dataDir, clientId),
    ...extra,
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cctv-mqtt-'));
  broker = await startMosquitto();
  watcher = mqtt.connect(broker.url, { clientId: 'watcher', reconnectPeriod: 100 });
  watcher.on('message', (topic, payload) => {
    latest.set(topic, payload);
    if (topic.endsWith('/events')) events.push(JSON.parse(payload.toString('utf8')));
  });
  await new Promise<void>((done) => watcher.on('connect', () => watcher.subscribe(['cctv/#', 'homeassistant/#'], { qos: 1 }, () => done())));
  [siteA, siteB] = await Promise.all([
    startServer(
      site('site-a', {
        cameras: { door: { camera_url: 'demo:640x360', name: 'Front door', detection_enabled: true, model_path: PATCH_MODEL, lines: [{ name: 'middle', from: [320, 0], to: [320, 360] }], detection: { classes: ['red'] } } },
        telegram_config: { alert_classes: ['red'] },
      }),
    ),
    startServer(site('site-b', { cameras: { yard: { camera_url: 'demo:320x180' }, gate: { camera_url: 'demo:320x180' } } })),
  ]);
});

afterAll(async () => {
  watcher?.end(true);
  await Promise.all([siteA?.stop(), siteB?.stop()]);
  await broker?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('many servers, one broker', () => {
  it("shows both servers' cameras, statuses, counts, events and snapshots to one subscriber", async () => {
    await waitFor('both servers online', () => text('cctv/site-a/available') === 'online' && text('cctv/site-b/available') === 'online');
    await waitFor('every camera Streaming', () => ['site-a/door', 'site-b/yard', 'site-b/gate'].every((c) => text(`cctv/${c}/status`) === 'Streaming'));
    expect(text('cctv/site-a/door/detect/state')).toBe('ON');
    expect(text('cctv/site-b/yard/detect/state')).toBe('OFF');

    // Counting on site A: the red box in view, its crossings as retained line counts and as events.
    await waitFor('a crossing counted', () => Number(text('cctv/site-a/door/middle/in') ?? 0) + Number(text('cctv/site-a/door/middle/out') ?? 0) >= 1, 30_000);
    expect(text('cctv/site-a/door/red')).toBe('1');
    const kinds = events.filter((e) => e.camera === 'door').map((e) => e.change.kind);
    expect(kinds).toEqual(expect.arrayContaining(['appeared', 'crossed']));
    expect(events.find((e) => e.change.kind === 'appeared')).toMatchObject({ type: 'new', camera: 'door', event: { class_name: 'red', track_id: 1 } });
    // The snapshot of the new object of an alert class: a JPEG of the camera.
    expect(jpegSize(new Uint8Array(latest.get('cctv/site-a/door/snapshot')!))).toEqual({ width: 640, height: 360 });
    // The server's /api/counts and the broker agree.
    await waitFor('the retained counts to match the server', async () => {
      const line = (await siteA.get('/api/counts')).cameras.door.lines.middle.today;
      return text('cctv/site-a/door/middle/in') === String(line.in.red ?? 0) && text('cctv/site-a/door/middle/out') === String(line.out.red ?? 0);
    });

    // Home Assistant discovery of both servers: a device per camera, with availability.
    const configs = [...latest.keys()].filter((topic) => topic.startsWith('homeassistant/') && topic.endsWith('/config') && latest.get(topic)!.length);
    const devices = new Set(configs.map((topic) => JSON.parse(text(topic)!).device?.identifiers?.[0]));
    expect([...devices].toSorted()).toEqual(expect.arrayContaining([expect.stringContaining('door'), expect.stringContaining('yard'), expect.stringContaining('gate')]));
    const doorSwitch = configs.map((topic) => JSON.parse(text(topic)!)).find((config) => config.command_topic === 'cctv/site-a/door/detect/set');
    expect(doorSwitch).toMatchObject({ state_topic: 'cctv/site-a/door/detect/state', availability_topic: 'cctv/site-a/available' });

    // Each server says in its status how the broker link is, and Prometheus sees it.
    expect((await siteA.get('/api/status')).integrations.mqtt).toMatchObject({ state: 'connected', last_error: null });
    const scrape = parsePrometheusText(await (await fetch(`${siteA.url}/metrics`)).text());
    expect(scrape.get('cctv_mqtt_up')?.samples[0]?.value).toBe(1);
    expect(scrape.get('cctv_line_crossings_total')?.samples.some((s) => s.labels.line === 'middle' && s.labels.camera === 'door')).toBe(true);
  });

  it('switches detection from the broker, answered on detect/state', async () => {
    watcher.publish('cctv/site-b/gate/detect/set', 'ON');
    await waitFor('detection on for gate', async () => (await siteB.get('/api/cameras/gate/status')).detection.enabled === true);
    await waitFor('detect/state ON', () => text('cctv/site-b/gate/detect/state') === 'ON');
    watcher.publish('cctv/site-b/gate/detect/set', 'off, please');
    watcher.publish('cctv/site-b/gate/detect/set', 'OFF');
    await waitFor('detect/state OFF', () => text('cctv/site-b/gate/detect/state') === 'OFF');
    expect((await siteB.get('/api/cameras/gate/status')).detection.enabled).toBe(false);
    expect(siteB.output()).toMatch(/detect\/set.*expected "ON" or "OFF"|expected.*ON.*OFF/);
  });

  it('keeps the video going while the broker is away, and sends what waited once it is back', async () => {
    const before = Date.now();
    await broker.down();
    await waitFor('site A to see the broker gone', async () => (await siteA.get('/api/status')).integrations.mqtt.state !== 'connected', 10_000);
    // The red box crosses every ~4.5 s: wait for one while the broker is down.
    const crossingsBefore = (await siteA.get('/api/events')).events[0]?.lines.length ?? 0;
    await waitFor('a crossing during the outage', async () => ((await siteA.get('/api/events')).events[0]?.lines.length ?? 0) > crossingsBefore, 20_000);
    const status = await siteA.get('/api/status');
    expect(status.fps).toBeGreaterThan(12);
    await broker.up();
    await waitFor('site A back on the broker', async () => (await siteA.get('/api/status')).integrations.mqtt.state === 'connected', 15_000);
    // The crossing made while the broker was away arrives (the events queue), and the retained state is back.
    await waitFor('the queued crossing event', () => events.some((e) => e.change.kind === 'crossed' && Date.parse((e as unknown as { event: { lines: Array<{ at: string }> } }).event.lines.at(-1)!.at) > before), 15_000);
    await waitFor('availability republished', () => text('cctv/site-a/available') === 'online');
  });

  it("turns a server killed outright offline through the broker's last will; the other stays online", async () => {
    await waitFor('both online', () => text('cctv/site-a/available') === 'online' && text('cctv/site-b/available') === 'online', 15_000);
    await siteB.stop('SIGKILL');
    await waitFor('site B offline (the will)', () => text('cctv/site-b/available') === 'offline', 10_000);
    expect(text('cctv/site-a/available')).toBe('online');
  });
});
