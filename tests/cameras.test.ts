import { writeFileSync } from 'node:fs';
import { jpegSize, launchChromium, waitFor, readMjpegParts, type RtspCamera, type RunningServer, startRtspCamera, startServer } from '@cctv/testbed';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Nine cameras in one server, small enough for a 2-core machine that also runs the cameras and a
// browser: four real RTSP cameras, an HTTP MJPEG camera (another server), four demo scenes.
let rtsp: RtspCamera[] = [];
let mjpegCamera: RunningServer;
let server: RunningServer;
let cameras: Record<string, { camera_url: string; name?: string; target_fps?: number }>;

beforeAll(async () => {
  [rtsp, mjpegCamera] = await Promise.all([
    Promise.all([0, 1, 2, 3].map(() => startRtspCamera({ width: 320, height: 180, fps: 10 }))),
    startServer({ camera_url: 'demo:320x180', target_fps: 10 }),
  ]);
  cameras = {
    door: { camera_url: rtsp[0]!.url, name: 'Front door' },
    yard: { camera_url: rtsp[1]!.url },
    garage: { camera_url: rtsp[2]!.url },
    gate: { camera_url: rtsp[3]!.url },
    lobby: { camera_url: `${mjpegCamera.url}/api/stream/video`, name: 'Lobby (ground floor)' },
    ...Object.fromEntries(['demo-1', 'demo-2', 'demo-3', 'demo-4'].map((id) => [id, { camera_url: 'demo:320x180' }])),
  };
  server = await startServer({ cameras, target_fps: 10 });
  // Streaming, and a rate measured: a camera's fps reads 0 until it has two frames.
  await waitForCameras(server, (list) => list.length === 9 && list.every((c) => c.status === 'Streaming' && c.fps > 7), 40_000);
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await mjpegCamera?.stop();
  await Promise.all(rtsp.map((camera) => camera.stop()));
});

interface CameraBrief {
  id: string;
  name: string;
  status: string;
  fps: number;
  width: number | null;
  height: number | null;
  viewers: number;
  detection: { state: string; fps: number };
}

async function waitForCameras(on: RunningServer, predicate: (list: CameraBrief[]) => boolean, timeoutMs = 20_000): Promise<CameraBrief[]> {
  let last: CameraBrief[] = [];
  return waitFor(
    'the cameras to match',
    async () => {
      last = await on.get<CameraBrief[]>('/api/cameras').catch(() => last);
      return predicate(last) && last;
    },
    timeoutMs,
    () => JSON.stringify(last),
  );
}

describe('many cameras in one server', () => {
  it('lists every camera in config order, answers each one on its own routes, and the seed routes for the first', async () => {
    const list = await server.get<CameraBrief[]>('/api/cameras');
    expect(list.map((c) => c.id)).toEqual(Object.keys(cameras));
    expect(list[0]).toMatchObject({ id: 'door', name: 'Front door', status: 'Streaming', width: 320, height: 180, detection: { state: 'off', fps: 0 } });
    expect(list.find((c) => c.id === 'lobby')!.name).toBe('Lobby (ground floor)');
    for (const camera of list) expect(camera.fps, camera.id).toBeGreaterThan(7);

    for (const id of ['door', 'lobby', 'demo-4']) {
      const status = await server.get(`/api/cameras/${id}/status`);
      expect(status).toMatchObject({ status: 'Streaming', camera: { id, state: 'Streaming', width: 320, height: 180 }, security: { auth: false } });
      const detections = await server.get(`/api/cameras/${id}/detections`);
      expect(detections).toEqual({ camera: id, seq: null, timestamp: null, media_time: null, width: null, height: null, detections: [] });
      // A camera nobody watches encodes nothing; a snapshot encodes one frame on demand.
      const snapshot = await fetch(`${server.url}/api/cameras/${id}/stream/snapshot.jpg`);
      expect(snapshot.status).toBe(200);
      expect(jpegSize(new Uint8Array(await snapshot.arrayBuffer()))).toEqual({ width: 320, height: 180 });
      const parts = await readMjpegParts(`${server.url}/api/cameras/${id}/stream/video`, { maxParts: 5 });
      expect(parts.errors).toEqual([]);
      expect(jpegSize(parts.parts[4]!.body)).toEqual({ width: 320, height: 180 });
    }
    // The seed's routes are the first camera's.
    expect(await server.get('/api/status')).toMatchObject({ status: 'Streaming', camera: { id: 'door', name: 'Front door' } });
    expect((await server.get('/api/detections')).camera).toBe('door');
    expect(await server.get('/api/config')).toMatchObject({ camera_url: rtsp[0]!.url, cameras: { door: { camera_url: rtsp[0]!.url } } });

    const unknown = await fetch(`${server.url}/api/cameras/nowhere/status`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown camera', camera: 'nowhere' });
    expect((await fetch(`${server.url}/api/cameras/nowhere/stream/video`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/cameras/nowhere/stream/snapshot.jpg`)).status).toBe(404);
  });

  it('pushes every camera over Socket.IO: the seed keys for the first, `cameras` for all, detections_update naming its camera', async () => {
    const socket = io(server.url, { transports: ['websocket'] });
    try {
      const update = await new Promise<Record<string, any>>((resolve) => socket.once('status_update', resolve));
      expect(update).toMatchObject({ status: 'Streaming', camera: { id: 'door' } });
      expect(Object.keys(update.cameras)).toEqual(Object.keys(cameras));
      expect(update.cameras.lobby).toMatchObject({ status: 'Streaming', camera: { id: 'lobby', name: 'Lobby (ground floor)' } });
    } finally {
      socket.close();
    }
  });

  it('shows every camera live on one page over one WebSocket: nine tiles (the RTSP cameras in their own H.264, the others as JPEG), each picture changing at least 5 times a second', async () => {
    let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
    try {
      chromium = await launchChromium({ viewport: { width: 1400, height: 1000 } });
      const page = await chromium.browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const requests: string[] = [];
      page.on('request', (request) => requests.push(new URL(request.url()).pathname));
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(new URL(ws.url()).pathname));
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 9, undefined, { timeout: 15_000 });
      expect(await page.isHidden('#camera-view')).toBe(true);

      // Each tile's picture, sampled every 100 ms for 2 s: how many times it changed.
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('#grid .tile .player')].every((player) => Number(player.dataset.frames ?? 0) > 0), undefined, { timeout: 20_000 });
      // What each tile plays: H.264 decoded by the page where the camera sends it, else JPEG frames.
      const modes = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll<HTMLElement>('#grid .tile')].map((tile) => [tile.dataset.camera, tile.querySelector<HTMLElement>('.player')!.dataset.mode])));
      expect(modes).toEqual({ door: 'webcodecs', yard: 'webcodecs', garage: 'webcodecs', gate: 'webcodecs', lobby: 'jpeg', 'demo-1': 'jpeg', 'demo-2': 'jpeg', 'demo-3': 'jpeg', 'demo-4': 'jpeg' });
      const changes = await page.evaluate(async () => {
        const tiles = [...document.querySelectorAll<HTMLElement>('#grid .tile')];
        const probe = document.createElement('canvas');
        probe.width = 32;
        probe.height = 18;
        const context = probe.getContext('2d', { willReadFrequently: true })!;
        const sample = (canvas: HTMLCanvasElement) => {
          context.drawImage(canvas, 0, 0, 32, 18);
          return Array.from(context.getImageData(0, 0, 32, 18).data).join(',');
        };
        const last = tiles.map((tile) => sample(tile.querySelector('canvas')!));
        const counts = tiles.map(() => 0);
        for (let i = 0; i < 20; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          tiles.forEach((tile, n) => {
            const now = sample(tile.querySelector('canvas')!);
            if (now !== last[n]) counts[n]!++;
            last[n] = now;
          });
        }
        return Object.fromEntries(tiles.map((tile, n) => [tile.dataset.camera!, counts[n]! / 2]));
      });
      expect(Object.keys(changes)).toEqual(Object.keys(cameras));
      for (const [id, perSecond] of Object.entries(changes)) expect(perSecond, `${id}: picture changes a second`).toBeGreaterThanOrEqual(5);

      // Over one connection: one WebSocket for the video, no MJPEG stream while the grid shows.
      expect(sockets.filter((path) => path === '/api/ws')).toHaveLength(1);
      expect(requests.filter((path) => path.includes('/stream/video'))).toEqual([]);
      const list = await server.get<CameraBrief[]>('/api/cameras');
      for (const camera of list) expect(camera.viewers, camera.id).toBe(1);

      // A click opens that camera full size over the same WebSocket: its picture, its status, a way back.
      const fullSize = (mode: string) =>
        page.waitForFunction((mode) => {
          const player = document.getElementById('video')!;
          return player.dataset.mode === mode && Number(player.dataset.frames) > 0 && player.querySelector<HTMLCanvasElement>('canvas.picture')!.width === 320;
        }, mode, { timeout: 10_000 });
      await page.click('#grid .tile[data-camera="lobby"]');
      await fullSize('jpeg');
      expect(await page.textContent('#view-name')).toBe('Lobby (ground floor)');
      expect(await page.textContent('#camera-state')).toBe('Streaming');
      await waitForCameras(server, (cams) => cams.find((c) => c.id === 'lobby')!.viewers === 1 && cams.find((c) => c.id === 'door')!.viewers === 0, 10_000);
      await page.click('#back');
      await page.waitForFunction(() => !document.getElementById('grid')!.hidden, undefined, { timeout: 5000 });
      await page.click('#grid .tile[data-camera="door"]');
      await fullSize('webcodecs');
      await waitForCameras(server, (cams) => cams.find((c) => c.id === 'door')!.viewers === 1 && cams.find((c) => c.id === 'lobby')!.viewers === 0, 10_000);
      // Still one WebSocket, and no MJPEG stream at any point.
      expect(sockets.filter((path) => path === '/api/ws')).toHaveLength(1);
      expect(requests.filter((path) => path.includes('/stream/video'))).toEqual([]);
      await page.click('#back');
      await page.waitForFunction(() => !document.getElementById('grid')!.hidden, undefined, { timeout: 5000 });
      expect(errors).toEqual([]);
    } finally {
      await chromium?.close();
    }
  });

  it('keeps every other camera at its rate when one camera dies', async () => {
    const before = await waitForCameras(server, (list) => list.every((c) => c.status === 'Streaming' && c.fps > 8));
    await rtsp[1]!.stop();
    try {
      await waitForCameras(server, (list) => list.find((c) => c.id === 'yard')!.status !== 'Streaming', 15_000);
      await Bun.sleep(2500);
      const after = await server.get<CameraBrief[]>('/api/cameras');
      for (const camera of after.filter((c) => c.id !== 'yard')) {
        const was = before.find((c) => c.id === camera.id)!;
        expect(camera.status, camera.id).toBe('Streaming');
        expect(camera.fps, `${camera.id}: fps before ${was.fps}`).toBeGreaterThan(was.fps * 0.85);
      }
      expect((await server.get('/api/cameras/yard/status')).camera.reason).toBeTruthy();
    } finally {
      await rtsp[1]!.restart();
    }
    await waitForCameras(server, (list) => list.find((c) => c.id === 'yard')!.status === 'Streaming', 30_000);
  });
});

describe('reloading the config', () => {
  it('adds and removes cameras without a restart while a viewer of another camera keeps every frame; refuses a bad file and keeps running', async () => {
    const reloading = await startServer({ cameras: { stays: { camera_url: 'demo:320x180', target_fps: 10 }, goes: { camera_url: 'demo:320x180', target_fps: 10 } } });
    try {
      await waitForCameras(reloading, (list) => list.length === 2 && list.every((c) => c.status === 'Streaming'));
      const watching = readMjpegParts(`${reloading.url}/api/cameras/stays/stream/video`, { durationMs: 6000, keepBodies: 0 });
      const started = Date.now();
      const leaving = readMjpegParts(`${reloading.url}/api/cameras/goes/stream/video`, { durationMs: 6000, keepBodies: 0 }).then((result) => ({ ...result, endedAfterMs: Date.now() - started }));
      await Bun.sleep(1500);

      // Through the API: "goes" removed, "comes" added.
      writeFileSync(reloading.configFile, JSON.stringify({ cameras: { stays: { camera_url: 'demo:320x180', target_fps: 10 }, comes: { camera_url: 'demo:320x180', target_fps: 5 } }, server: { host: '127.0.0.1' } }));
      const answer = await fetch(`${reloading.url}/api/config/reload`, { method: 'POST' });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ reloaded: true, cameras: { added: ['comes'], removed: ['goes'], restarted: [], unchanged: ['stays'] }, integrations: 'unchanged', restart_required: [] });
      const left = await leaving;
      // The removed camera's viewer was ended by the server, before its own deadline.
      expect(left.endedAfterMs).toBeLessThan(5500);
      expect(left.parts.length).toBeGreaterThan(5);
      await waitForCameras(reloading, (list) => list.map((c) => c.id).join() === 'stays,comes' && list.every((c) => c.status === 'Streaming'));

      // Through SIGHUP: a changed camera restarts.
      writeFileSync(reloading.configFile, JSON.stringify({ cameras: { stays: { camera_url: 'demo:320x180', target_fps: 10 }, comes: { camera_url: 'demo:640x360', target_fps: 5 } }, server: { host: '127.0.0.1' } }));
      process.kill(reloading.pid, 'SIGHUP');
      await waitForCameras(reloading, (list) => list.find((c) => c.id === 'comes')?.width === 640);
      expect(reloading.output()).toMatch(/SIGHUP: config reloaded: restarted comes/);

      // A bad file is refused with the usual message; the running config stays.
      writeFileSync(reloading.configFile, JSON.stringify({ cameras: { stays: { camera_url: 'demo:320x180', target_fps: 0 } } }));
      const refused = await fetch(`${reloading.url}/api/config/reload`, { method: 'POST' });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ reloaded: false, error: 'invalid config', problems: [expect.stringMatching(/cameras\.stays\.target_fps: got 0, expected a number from 1 to 60/)] });
      expect((await reloading.get<CameraBrief[]>('/api/cameras')).map((c) => c.id)).toEqual(['stays', 'comes']);

      // The viewer of the camera nobody touched saw every frame, across both reloads.
      const watched = await watching;
      expect(watched.errors).toEqual([]);
      const seqs = watched.parts.map((part) => Number(part.headers['x-frame-seq']));
      expect(seqs.length).toBeGreaterThan(40);
      const gaps = seqs.slice(1).filter((seq, i) => seq !== seqs[i]! + 1);
      expect(gaps, `frame numbers seen: ${seqs.join(' ')}`).toEqual([]);
    } finally {
      await reloading.stop();
    }
  });
});
