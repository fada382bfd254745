import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { freeLoopbackPort, startServer, type RunningServer } from '@cctv/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, type Family, type MetricType, type Sample } from './prometheus-text.ts';

const TOKEN = 'tok-prometheus-8c2e4a6f1d3b';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const README = resolve(import.meta.dirname, '../README.md');
const DASHBOARD = resolve(import.meta.dirname, '../docs/grafana/cctv-dashboard.json');
const CAMERA_STATES = ['Stopped', 'Connecting', 'Connected', 'Streaming', 'Reconnecting', 'Failed'];
// The generated colour-patch model finds the demo scene's red box: detection with nothing downloaded.
const MODEL = resolve(import.meta.dirname, '../packages/detector/models/colour-patches-yolov8.onnx');
const DETECTING = { detection_enabled: true, model_path: MODEL };

/** Every family a scrape must have: its type and label names (a histogram's `le` aside). */
/** Every family and its labels; `empty`: this server has nothing to report in it (no MQTT, no counting lines; tests/mqtt.test.ts sees them filled). */
const FAMILIES: Record<string, { type: MetricType; labels: string[]; empty?: true }> = {
  cctv_camera_up: { type: 'gauge', labels: ['camera'] },
  cctv_camera_state: { type: 'gauge', labels: ['camera', 'state'] },
  cctv_camera_fps: { type: 'gauge', labels: ['camera'] },
  cctv_camera_frames_total: { type: 'counter', labels: ['camera'] },
  cctv_camera_reconnects_total: { type: 'counter', labels: ['camera'] },
  cctv_detection_fps: { type: 'gauge', labels: ['camera'] },
  cctv_inference_seconds: { type: 'histogram', labels: ['camera'] },
  cctv_detection_seconds: { type: 'histogram', labels: ['camera'] },
  cctv_jpeg_encode_seconds: { type: 'histogram', labels: ['camera'] },
  cctv_viewers: { type: 'gauge', labels: ['camera'] },
  cctv_viewer_frames_dropped_total: { type: 'counter', labels: ['camera'] },
  cctv_viewer_sent_bytes_total: { type: 'counter', labels: ['camera'] },
  cctv_outbox_depth: { type: 'gauge', labels: ['service'] },
  cctv_mqtt_up: { type: 'gauge', labels: [], empty: true },
  cctv_line_crossings_total: { type: 'counter', labels: ['camera', 'line', 'direction', 'class'], empty: true },
  process_cpu_seconds_total: { type: 'counter', labels: [] },
  process_cpu_user_seconds_total: { type: 'counter', labels: [] },
  process_cpu_system_seconds_total: { type: 'counter', labels: [] },
  process_start_time_seconds: { type: 'gauge', labels: [] },
  process_resident_memory_bytes: { type: 'gauge', labels: [] },
  process_open_fds: { type: 'gauge', labels: [] },
  process_max_fds: { type: 'gauge', labels: [] },
  nodejs_eventloop_lag_seconds: { type: 'gauge', labels: [] },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', labels: [] },
  nodejs_heap_size_used_bytes: { type: 'gauge', labels: [] },
};

let server: RunningServer;
let viewer: Watcher;

beforeAll(async () => {
  server = await startServer(config({ a: { camera_url: 'demo:320x180', ...DETECTING }, b: { camera_url: 'demo:320x180' } }), { token: TOKEN });
  await server.waitForStatus(() => true);
  await until(async () => {
    const list = await server.get<Array<{ status: string }>>('/api/cameras');
    return list.length === 2 && list.every((camera) => camera.status === 'Streaming');
  });
  await until(async () => {
    const list = await server.get<Array<{ detection: { state: string } }>>('/api/cameras');
    return list[0]!.detection.state === 'running';
  });
  viewer = watchMjpeg(`${server.url}/api/cameras/a/stream/video`);
}, 60_000);

afterAll(async () => {
  await viewer?.stop();
  await server?.stop();
});

function config(cameras: Record<string, { camera_url: string; target_fps?: number; detection_enabled?: boolean; model_path?: string }>) {
  return { cameras, target_fps: 10, server: { host: '127.0.0.1', auth: { tokens: [TOKEN] } } };
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms\n${server.output().slice(-2000)}`);
    await Bun.sleep(100);
  }
}

interface Watcher {
  bytes(): number;
  stop(): Promise<void>;
}

/** An MJPEG viewer that stays, counting the bytes it received. */
function watchMjpeg(url: string): Watcher {
  const controller = new AbortController();
  let bytes = 0;
  const reading = (async () => {
    const response = await fetch(url, { headers: AUTH, signal: controller.signal });
    for await (const chunk of response.body!) bytes += chunk.byteLength;
  })().catch(() => {});
  return {
    bytes: () => bytes,
    stop: async () => {
      controller.abort();
      await reading;
    },
  };
}

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${server.url}/metrics`, { headers: AUTH });
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

/** The samples of a family (or of a histogram's _bucket/_sum/_count) that have these labels. */
function samples(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  if (!family) throw new Error(`no family ${name}`);
  return family.samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The one value of a series. */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const found = samples(families, name, labels);
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

describe('GET /metrics', () => {
  it('is behind the API token: refused without it or with a wrong one, answered with Authorization: Bearer', async () => {
    const without = await fetch(`${server.url}/metrics`);
    expect(without.status).toBe(401);
    expect(await without.json()).toEqual({ error: 'unauthorized' });
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    const scraped = await fetch(`${server.url}/metrics`, { headers: AUTH });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await scraped.text()).toContain('# TYPE cctv_camera_up gauge');
  });

  it('writes every family with its type, help and label names, and every cctv_ family is in the README table', async () => {
    const families = await scrape();
    for (const [name, expected] of Object.entries(FAMILIES)) {
      const family = families.get(name);
      expect(family, name).toBeDefined();
      expect(family!.type, name).toBe(expected.type);
      expect(family!.help, name).not.toBe('');
      if (!expected.empty) expect(family!.samples.length, name).toBeGreaterThan(0);
      for (const sample of family!.samples) {
        const labels = Object.keys(sample.labels).filter((label) => !(sample.name.endsWith('_bucket') && label === 'le'));
        expect(labels.sort(), `${sample.name}${JSON.stringify(sample.labels)}`).toEqual([...expected.labels].sort());
      }
    }
    const ours = [...families.values()].filter((family) => family.name.startsWith('cctv_'));
    expect(ours.map((family) => family.name).sort()).toEqual(Object.keys(FAMILIES).filter((name) => name.startsWith('cctv_')).sort());

    // The README's metric table says what the scrape has: name, type and labels.
    const section = readFileSync(README, 'utf8').split('\n## Prometheus')[1]!.split('\n## ')[0]!;
    const rows = [...section.matchAll(/^\| `(cctv_\w+)` \| (\w+) \| ([^|]*) \|/gm)].map(([, name, type, labels]) => ({
      name,
      type,
      labels: [...labels!.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort(),
    }));
    expect(rows.sort((x, y) => x.name!.localeCompare(y.name!))).toEqual(
      ours.map((family) => ({ name: family.name, type: family.type, labels: [...FAMILIES[family.name]!.labels].sort() })).sort((x, y) => x.name.localeCompare(y.name)),
    );
  });

  it('tells each camera apart: the watched one has its viewer, its encodes and its bytes, the other none', async () => {
    await until(async () => {
      const families = await scrape();
      return value(families, 'cctv_viewers', { camera: 'a' }) === 1 && viewer.bytes() > 0;
    });
    const receivedBefore = viewer.bytes();
    const first = await scrape();
    for (const camera of ['a', 'b']) {
      expect(value(first, 'cctv_camera_up', { camera })).toBe(1);
      for (const state of CAMERA_STATES) expect(value(first, 'cctv_camera_state', { camera, state }), `${camera} ${state}`).toBe(state === 'Streaming' ? 1 : 0);
      // target_fps 10; the demo source makes frames at that rate.
      expect(value(first, 'cctv_camera_fps', { camera })).toBeGreaterThan(7);
      expect(value(first, 'cctv_camera_fps', { camera })).toBeLessThanOrEqual(12);
      expect(value(first, 'cctv_camera_frames_total', { camera })).toBeGreaterThan(0);
      expect(value(first, 'cctv_camera_reconnects_total', { camera })).toBe(0);
    }
    // a detects: every run observed; the whole run includes the model's.
    expect(value(first, 'cctv_detection_fps', { camera: 'a' })).toBeGreaterThan(0);
    const runs = value(first, 'cctv_inference_seconds_count', { camera: 'a' });
    expect(runs).toBeGreaterThan(0);
    expect(value(first, 'cctv_detection_seconds_count', { camera: 'a' })).toBe(runs);
    expect(value(first, 'cctv_detection_seconds_sum', { camera: 'a' })).toBeGreaterThan(value(first, 'cctv_inference_seconds_sum', { camera: 'a' }));
    // b does not: no runs, and its histograms are there at 0.
    expect(value(first, 'cctv_detection_fps', { camera: 'b' })).toBe(0);
    expect(value(first, 'cctv_inference_seconds_count', { camera: 'b' })).toBe(0);
    expect(samples(first, 'cctv_inference_seconds_bucket', { camera: 'b' }).every((bucket) => bucket.value === 0)).toBe(true);
    expect(value(first, 'cctv_viewers', { camera: 'b' })).toBe(0);
    // The server counts what it wrote; the viewer has read no more than that.
    expect(value(first, 'cctv_viewer_sent_bytes_total', { camera: 'a' })).toBeGreaterThanOrEqual(receivedBefore);
    expect(value(first, 'cctv_viewer_sent_bytes_total', { camera: 'b' })).toBe(0);
    // Only a watched camera encodes: one histogram observation per frame of a.
    const encodes = value(first, 'cctv_jpeg_encode_seconds_count', { camera: 'a' });
    expect(encodes).toBeGreaterThan(0);
    expect(value(first, 'cctv_jpeg_encode_seconds_sum', { camera: 'a' })).toBeGreaterThan(0);
    expect(value(first, 'cctv_jpeg_encode_seconds_count', { camera: 'b' })).toBe(0);
    const buckets = samples(first, 'cctv_jpeg_encode_seconds_bucket', { camera: 'a' });
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(encodes);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);

    expect(Object.fromEntries(samples(first, 'cctv_outbox_depth').map((s) => [s.labels.service, s.value]))).toEqual({ sheets: 0, telegram: 0, mqtt: 0 });
    expect(value(first, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(value(first, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(first, 'process_open_fds')).toBeGreaterThan(0);

    await until(async () => viewer.bytes() > value(first, 'cctv_viewer_sent_bytes_total', { camera: 'a' }));
    const second = await scrape();
    expect(value(second, 'cctv_viewer_sent_bytes_total', { camera: 'a' })).toBeGreaterThan(value(first, 'cctv_viewer_sent_bytes_total', { camera: 'a' }));
    expect(value(second, 'cctv_jpeg_encode_seconds_count', { camera: 'a' })).toBeGreaterThan(encodes);
    // An unwatched camera's frames are counted too.
    await until(async () => value(await scrape(), 'cctv_camera_frames_total', { camera: 'b' }) > value(first, 'cctv_camera_frames_total', { camera: 'b' }));
  });

  it('counts a /api/ws viewer and the bytes of its frame messages', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`, { headers: AUTH } as unknown as string[]);
    ws.binaryType = 'arraybuffer';
    let received = 0;
    let frames = 0;
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') return;
      received += (event.data as ArrayBuffer).byteLength;
      frames++;
    };
    await new Promise((opened) => (ws.onopen = opened));
    ws.send(JSON.stringify({ type: 'subscribe', cameras: { b: {} } }));
    try {
      await until(async () => frames >= 5);
      // Read before the scrape: frames go on arriving while it is answered.
      const receivedBefore = received;
      const families = await scrape();
      expect(value(families, 'cctv_viewers', { camera: 'b' })).toBe(1);
      expect(value(families, 'cctv_viewers', { camera: 'a' })).toBe(1);
      expect(value(families, 'cctv_viewer_sent_bytes_total', { camera: 'b' })).toBeGreaterThanOrEqual(receivedBefore);
    } finally {
      ws.close();
    }
    await until(async () => value(await scrape(), 'cctv_viewers', { camera: 'b' }) === 0);
    // The viewer left; what it was sent is still counted.
    expect(value(await scrape(), 'cctv_viewer_sent_bytes_total', { camera: 'b' })).toBeGreaterThanOrEqual(received);
  });

  it('is described in the OpenAPI document as text', async () => {
    const document = await server.get('/api/openapi.json');
    expect(Object.keys(document.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain; version=0.0.4; charset=utf-8']);
  });

  it("ships a Grafana dashboard whose every query names metrics and labels that a real scrape has", async () => {
    const families = await scrape();
    const sampleNames = new Set([...families.values()].flatMap((family) => family.samples.map((sample) => sample.name)));
    const labelsOf = (name: string) => new Set(samples(families, name).flatMap((sample) => Object.keys(sample.labels)));
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));

    const variables = dashboard.templating.list as Array<{ name: string; type: string; query: string | { query: string } }>;
    expect(variables.map((variable) => variable.name)).toEqual(expect.arrayContaining(['instance', 'camera']));
    const queries: string[] = [];
    for (const variable of variables.filter((v) => v.type === 'query')) {
      const text = typeof variable.query === 'string' ? variable.query : variable.query.query;
      const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(text);
      expect(labelValues, text).not.toBeNull();
      queries.push(labelValues![1]!);
    }
    const panels = (dashboard.panels as Array<{ type: string; panels?: unknown[] }>).flatMap((panel) => [panel, ...((panel.panels ?? []) as typeof panel[])]);
    for (const panel of panels as Array<{ targets?: Array<{ expr: string }> }>) for (const target of panel.targets ?? []) queries.push(target.expr);
    expect(queries.length).toBeGreaterThan(10);

    const used = new Set<string>();
    for (const query of queries) {
      // Grafana's own variables, as it substitutes them before Prometheus sees the query.
      const expr = query.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$__interval', '1m');
      const tree = promql.parse(expr);
      tree.iterate({
        enter: (node) => {
          expect(node.type.isError, `${query}: does not parse at ${node.from}`).toBe(false);
          if (node.name !== 'VectorSelector') return;
          const name = node.node.getChild('Identifier');
          expect(name, `${query}: a selector without a metric name`).not.toBeNull();
          const metric = expr.slice(name!.from, name!.to);
          used.add(metric);
          expect(sampleNames.has(metric), `${query}: ${metric} is not in a scrape`).toBe(true);
          const known = new Set([...labelsOf(metric), 'instance', 'job']);
          for (const label of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
            const labelName = label.getChild('LabelName')!;
            expect(known.has(expr.slice(labelName.from, labelName.to)), `${query}: ${metric} has no label ${expr.slice(labelName.from, labelName.to)}`).toBe(true);
          }
        },
      });
    }
    // The panels the dashboard promises.
    for (const metric of ['cctv_camera_frames_total', 'cctv_inference_seconds_bucket', 'cctv_viewers', 'cctv_viewer_sent_bytes_total', 'cctv_camera_reconnects_total', 'cctv_outbox_depth', 'process_resident_memory_bytes', 'process_cpu_seconds_total']) {
      expect(used, metric).toContain(metric);
    }
  });

  it('keeps counting through a reload: a restarted camera keeps its totals, a removed one leaves, a lost one counts its reconnects', async () => {
    const before = await scrape();
    const closedPort = await freeLoopbackPort();
    writeFileSync(server.configFile, JSON.stringify(config({ a: { camera_url: 'demo:320x180', ...DETECTING, target_fps: 8 }, c: { camera_url: `rtsp://127.0.0.1:${closedPort}/nothing` } })));
    const reload = await fetch(`${server.url}/api/config/reload`, { method: 'POST', headers: AUTH });
    expect(await reload.json()).toMatchObject({ reloaded: true, cameras: { added: ['c'], removed: ['b'], restarted: ['a'] } });

    await until(async () => value(await scrape(), 'cctv_camera_reconnects_total', { camera: 'c' }) >= 1);
    await until(async () => value(await scrape(), 'cctv_camera_up', { camera: 'a' }) === 1);
    const after = await scrape();
    for (const name of ['cctv_camera_frames_total', 'cctv_viewer_sent_bytes_total', 'cctv_jpeg_encode_seconds_count', 'cctv_inference_seconds_count', 'cctv_viewer_frames_dropped_total']) {
      expect(value(after, name, { camera: 'a' }), name).toBeGreaterThanOrEqual(value(before, name, { camera: 'a' }));
    }
    // A restart on purpose is no reconnect; the viewer stayed through it.
    expect(value(after, 'cctv_camera_reconnects_total', { camera: 'a' })).toBe(0);
    expect(value(after, 'cctv_viewers', { camera: 'a' })).toBe(1);
    expect(value(after, 'cctv_camera_up', { camera: 'c' })).toBe(0);
    expect(value(after, 'cctv_camera_state', { camera: 'c', state: 'Streaming' })).toBe(0);
    for (const family of after.values()) {
      expect(family.samples.filter((sample) => sample.labels.camera === 'b'), family.name).toEqual([]);
    }
  });
});
