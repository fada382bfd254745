import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type FakeGoogle, type FakeTelegram, jpegSize, launchChromium, requireFixtures, type RunningServer, startGoogleApis, startServer, startTelegramApi, waitFor } from '@cctv/testbed';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The colour-patch model finds the demo scene's red box, which paces left and right across a
// 640×360 frame (a full swing every ~9 s): a line down the middle is crossed both ways, and the
// left third is a zone it enters and leaves.
const PATCH_MODEL = resolve(import.meta.dirname, '../packages/detector/models/colour-patches-yolov8.onnx');
const AREAS = {
  lines: [{ name: 'middle', from: [320, 0], to: [320, 360] }],
  zones: [{ name: 'left', points: [[0, 0], [200, 0], [200, 360], [0, 360]] }],
};

interface Counts {
  day: string;
  daily_reset: boolean;
  inbound: number | null;
  outbound: number | null;
  cameras: Record<string, { lines: Record<string, { today: { in: Record<string, number>; out: Record<string, number> }; total: { in: Record<string, number>; out: Record<string, number> } }>; zones: Record<string, { occupancy: Record<string, number>; entered_today: Record<string, number> }> }>;
}

describe('counting on the demo scene: tracker, lines, zones, events, the integrations', () => {
  let dataDir: string;
  let google: FakeGoogle;
  let telegram: FakeTelegram;
  let server: RunningServer;
  const config = () => ({
    camera_url: 'demo:640x360',
    detection_enabled: true,
    model_path: PATCH_MODEL,
    ...AREAS,
    data_dir: dataDir,
    sheets_enabled: true,
    sheets_config: { webapp_url: google.webappUrl, poll_interval: 1 },
    telegram_enabled: true,
    telegram_config: { bot_token: telegram.token, chat_id: 1001, api_root: telegram.apiRoot, commands: false },
    integrations: { outbox_path: join(dataDir, 'outbox.sqlite'), snapshot_dir: '', retry_initial_s: 0.1, retry_max_s: 1 },
  });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cctv-counting-'));
    google = startGoogleApis();
    telegram = startTelegramApi({ chats: [1001] });
    server = await startServer(config());
  });

  afterAll(async () => {
    await server?.stop();
    await google?.stop();
    await telegram?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts the red box crossing the line both ways and entering the zone, once each time, and tells everyone', async () => {
    const socket = io(server.url, { transports: ['websocket'] });
    const events: Array<{ type: string; change: { kind: string }; event: { id: number } }> = [];
    const countUpdates: Counts[] = [];
    socket.on('event', (event) => events.push(event));
    socket.on('counts_update', (counts: Counts) => countUpdates.push(counts));
    try {
      const counts = await waitFor('a crossing each way', async () => {
        const body = await server.get<Counts>('/api/counts');
        const line = body.cameras.default?.lines.middle?.today;
        return line && (line.in.red ?? 0) >= 1 && (line.out.red ?? 0) >= 1 && body;
      }, 30_000);
      expect(counts).toMatchObject({ daily_reset: true, day: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
      expect(counts.cameras.default!.zones.left!.entered_today.red).toBeGreaterThanOrEqual(1);
      // The seed's inbound/outbound are the server's own now: the lines' in and out, summed.
      const stats = await server.get('/api/stats');
      const line = (await server.get<Counts>('/api/counts')).cameras.default!.lines.middle!.today;
      expect([stats.inbound, stats.outbound]).toEqual([line.in.red, line.out.red]);

      // One object all along: one event, with every crossing and zone visit, and its best snapshot.
      const { events: stored } = await server.get('/api/events');
      expect(stored).toHaveLength(1);
      const [event] = stored;
      expect(event).toMatchObject({ camera: 'default', track_id: 1, class_name: 'red', ended_at: null, snapshot: `api/events/${event.id}/snapshot.jpg` });
      expect(event.lines.map((c: { direction: string }) => c.direction)).toEqual(expect.arrayContaining(['in', 'out']));
      // Directions alternate: jitter at the line never counts twice in a row.
      for (let i = 1; i < event.lines.length; i++) expect(event.lines[i].direction).not.toBe(event.lines[i - 1].direction);
      expect(event.zones[0]).toMatchObject({ zone: 'left', entered_at: expect.any(String) });
      const snapshot = await fetch(`${server.url}/${event.snapshot}`);
      expect(snapshot.headers.get('content-type')).toBe('image/jpeg');
      expect(jpegSize(new Uint8Array(await snapshot.arrayBuffer()))).toEqual({ width: 640, height: 360 });
      expect((await fetch(`${server.url}/api/events/99999/snapshot.jpg`)).status).toBe(404);
      expect((await server.get(`/api/events?class=dog`)).events).toEqual([]);
      expect((await server.get(`/api/events?camera=default&limit=1`)).events).toHaveLength(1);

      // The detections carry the track id; the frames are drawn with "red #1" and the line.
      const detections = await server.get('/api/detections');
      expect(detections.detections[0]).toMatchObject({ class_name: 'red', track_id: 1 });

      // Socket.IO heard the object appear and cross, and the counts change.
      expect(events.map((e) => e.change.kind)).toEqual(expect.arrayContaining(['appeared', 'crossed', 'entered']));
      expect(events.filter((e) => e.type === 'new')).toHaveLength(1);
      expect(countUpdates.length).toBeGreaterThan(0);

      // The sheet got a row per crossing and the server's counts; Telegram alerted once for the one object.
      await google.waitFor(() => google.webappCrossings.length >= 2, 10_000, 'crossing rows');
      expect(google.webappCrossings[0]).toMatchObject({ camera: 'demo:640x360', line: 'middle', class: 'red', track: 1 });
      await google.waitFor(() => JSON.stringify(google.webappCounts) === JSON.stringify({ inbound: stats.inbound, outbound: stats.outbound }) || (google.webappCounts as { inbound: number }).inbound >= stats.inbound, 10_000, 'the counts written into the sheet');
      await telegram.waitFor(() => telegram.delivered.length >= 1, 10_000, 'the alert');
      await Bun.sleep(1000);
      expect(telegram.delivered.filter((c) => c.method === 'sendPhoto')).toHaveLength(1);
      expect(telegram.delivered[0]!.params.caption).toMatch(/^🚨 red #1 \(100 %\) on camera demo:640x360 at /);
    } finally {
      socket.close();
    }
  });

  it('keeps the counts and the events across a restart; the object that was tracked ended', async () => {
    const before = await server.get<Counts>('/api/counts');
    await server.stop();
    server = await startServer(config());
    const after = await server.get<Counts>('/api/counts');
    expect(after.cameras.default!.lines.middle!.today.in.red).toBeGreaterThanOrEqual(before.cameras.default!.lines.middle!.today.in.red!);
    expect(after.cameras.default!.lines.middle!.total).toEqual(after.cameras.default!.lines.middle!.today);
    const { events } = await server.get('/api/events');
    expect(events[events.length - 1]).toMatchObject({ id: 1, ended_at: expect.any(String) });
    // The events database is this user's alone, like the outbox.
    expect(readFileSync(join(dataDir, 'events.sqlite')).length).toBeGreaterThan(0);
  });

  it('draws and saves a line on the dashboard, which counts on it at once without restarting the video', async () => {
    let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
    try {
      chromium = await launchChromium({ viewport: { width: 1400, height: 900 } });
      const page = await chromium.browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${server.url}/`);
      // The counts and the recent objects, with a snapshot thumbnail.
      await page.waitForFunction(() => /middle: in \d+ · out \d+/.test(document.getElementById('counts')?.textContent ?? ''), undefined, { timeout: 15_000 });
      await page.waitForFunction(() => (document.querySelector('#objects img') as HTMLImageElement | null)?.naturalWidth === 640, undefined, { timeout: 15_000 });
      const { since } = (await server.get('/api/status')).camera;

      await page.click('#areas-edit');
      await page.waitForFunction(() => !document.getElementById('areas-editor')!.hasAttribute('hidden'));
      await page.fill('#area-name', 'door');
      await page.click('#draw-line');
      // From the top to the bottom of the picture at a quarter of its width: "in" is left to right.
      const box = (await page.locator('#areas-editor').boundingBox())!;
      await page.mouse.click(box.x + box.width / 4, box.y + 2);
      await page.mouse.click(box.x + box.width / 4, box.y + box.height - 2);
      await page.click('#areas-save');
      await page.waitForFunction(() => document.getElementById('areas-editor')!.hasAttribute('hidden'), undefined, { timeout: 10_000 });

      const areas = await server.get('/api/cameras/default/areas');
      expect(areas.lines.map((l: { name: string }) => l.name)).toEqual(['middle', 'door']);
      const door = areas.lines[1];
      expect(door.from[0]).toBeGreaterThan(150);
      expect(door.from[0]).toBeLessThan(170);
      expect(door.to[1]).toBeGreaterThan(340);
      // Saved into the config file, the rest of it as it was.
      const saved = JSON.parse(readFileSync(server.configFile, 'utf8'));
      expect(saved.lines[1]).toEqual({ name: 'door', from: door.from, to: door.to });
      expect(saved.model_path).toBe(PATCH_MODEL);
      // Counting follows at once; the video was not restarted.
      await waitFor('a crossing of the new line', async () => {
        const counts = await server.get<Counts>('/api/counts');
        const line = counts.cameras.default?.lines.door?.today;
        return line && (line.in.red ?? 0) + (line.out.red ?? 0) >= 1;
      }, 30_000);
      expect((await server.get('/api/status')).camera.since).toBe(since);
      expect(errors).toEqual([]);
    } finally {
      await chromium?.close();
    }
  });

  it('refuses lines and zones it cannot take, naming what was wrong', async () => {
    const put = (body: unknown) => fetch(`${server.url}/api/cameras/default/areas`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const twice = await put({ lines: [AREAS.lines[0], AREAS.lines[0]], zones: [] });
    expect(twice.status).toBe(422);
    expect((await twice.json()).problems).toEqual([expect.stringMatching(/lines: the name "middle" is used twice/)]);
    const bad = await put({ lines: [{ name: 'x', from: [1, 2] }], zones: [] });
    expect(bad.status).toBe(400);
    expect((await put({ lines: [], zones: [] })).status).toBe(200);
    expect((await fetch(`${server.url}/api/cameras/nowhere/areas`)).status).toBe(404);
  });
});

const footage = requireFixtures('video/people-720p.mp4', 'models/yolox_nano.onnx');

describe.skipIf(!footage)('counting real footage: the fixture clip through the whole server', () => {
  it('counts the one crossing seen by eye on the clip (the beige coat, right to left over x = 456: out), each time the clip loops, and nothing the other way', async () => {
    const [clip, model] = footage!;
    const dataDir = mkdtempSync(join(tmpdir(), 'cctv-footage-'));
    // The line the tracker's own test counts by hand (packages/tracker/test/footage.test.ts).
    const server = await startServer({
      camera_url: clip,
      detection_enabled: true,
      model_path: model,
      lines: [{ name: 'pavement', from: [456, 500], to: [456, 700], classes: ['person'] }],
      data_dir: dataDir,
    });
    try {
      const counts = await waitFor('the crossing', async () => {
        const body = await server.get<Counts>('/api/counts');
        return (body.cameras.default?.lines.pavement?.today.out.person ?? 0) >= 1 && body;
      }, 45_000);
      expect(counts.cameras.default!.lines.pavement!.today.in).toEqual({});
      const { detection } = await server.get('/api/status');
      expect(detection.fps).toBeGreaterThan(5);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
