import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { launchChromium, playerMotion, requireFixtures, type RtspCamera, type RtspCameras, type RunningServer, startRtspCamera, startRtspCameras, startServer } from '@cctv/testbed';
import type { BrowserContext, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The camera's own H.264 to the browser over /api/ws, boxes drawn by the page. Debian's chromium
// (apt-get install chromium) decodes H.264 with WebCodecs and MSE; it does not decode H.265.
const ARTEFACTS = process.env.TEST_REPORT_DIR ?? resolve(import.meta.dirname, '../test-results');
const detectionFixtures = requireFixtures('video/people-720p.mp4', 'models/yolox_nano.onnx');

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: BrowserContext;

beforeAll(async () => {
  chromium = await launchChromium({ viewport: { width: 1400, height: 820 } });
  browser = chromium.browser;
});

afterAll(async () => {
  await chromium?.close();
});

// ---- What the live-video WebSocket sends (the README's "Remote viewing") --------------------

interface LiveMessage {
  kind: number;
  camera: string;
  /** Kind 1 and 3. */
  seq?: number;
  /** Kind 3. */
  keyframe?: boolean;
  mediaTime?: number;
  capturedAt?: number;
  /** Kind 2. */
  codec?: string;
  width?: number;
  height?: number;
  description?: Uint8Array;
  /** Kind 3: the Annex-B bytes. */
  data?: Uint8Array;
  receivedAt: number;
}

function parseLive(bytes: Uint8Array): LiveMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idLength = bytes[1]!;
  const camera = new TextDecoder().decode(bytes.subarray(2, 2 + idLength));
  const at = 2 + idLength;
  const message: LiveMessage = { kind: bytes[0]!, camera, receivedAt: Date.now() };
  if (message.kind === 1) Object.assign(message, { seq: view.getUint32(at), capturedAt: view.getFloat64(at + 4) });
  if (message.kind === 2) {
    const length = bytes[at]!;
    Object.assign(message, {
      codec: new TextDecoder().decode(bytes.subarray(at + 1, at + 1 + length)),
      width: view.getUint16(at + 1 + length),
      height: view.getUint16(at + 3 + length),
      description: bytes.slice(at + 5 + length),
    });
  }
  if (message.kind === 3) {
    Object.assign(message, { seq: view.getUint32(at), keyframe: (bytes[at + 4]! & 1) === 1, mediaTime: view.getFloat64(at + 5), capturedAt: view.getFloat64(at + 13), data: bytes.slice(at + 21) });
  }
  return message;
}

/** A viewer on /api/ws (Bun's WebSocket client) that keeps every binary message, parsed. */
async function liveViewer(server: RunningServer, cameras: Record<string, object>) {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/ws`);
  ws.binaryType = 'arraybuffer';
  const messages: LiveMessage[] = [];
  const texts: any[] = [];
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') texts.push(JSON.parse(event.data));
    else messages.push(parseLive(new Uint8Array(event.data as ArrayBuffer)));
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const subscribedAt = Date.now();
  ws.send(JSON.stringify({ type: 'subscribe', cameras }));
  return { messages, texts, subscribedAt, close: () => ws.close() };
}

/**
 * A viewer that stops reading its socket for `stallMs` once subscribed (a phone in a tunnel), then
 * reads as fast as it can: raw TCP, so the server sees real backpressure; the WebSocket handshake
 * and frame parsing are written out here.
 */
function stalledLiveViewer(server: RunningServer, cameras: Record<string, object>, stallMs: number) {
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  const messages: LiveMessage[] = [];
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  socket.write(
    `GET /api/ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!buffer.subarray(0, end).toString().startsWith('HTTP/1.1 101')) throw new Error(`no upgrade: ${buffer.subarray(0, end)}`);
      buffer = buffer.subarray(end + 4);
      upgraded = true;
      socket.write(maskedTextFrame(JSON.stringify({ type: 'subscribe', cameras })));
      // Unread, the kernel's buffers fill, then the server's.
      socket.pause();
      setTimeout(() => socket.resume(), stallMs);
    }
    for (;;) {
      if (buffer.length < 2) return;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) [length, offset] = [buffer.length >= 4 ? buffer.readUInt16BE(2) : Infinity, 4];
      else if (length === 127) [length, offset] = [buffer.length >= 10 ? Number(buffer.readBigUInt64BE(2)) : Infinity, 10];
      if (buffer.length < offset + length) return;
      if ((buffer[0]! & 0x0f) === 2) messages.push(parseLive(new Uint8Array(buffer.subarray(offset, offset + length))));
      buffer = buffer.subarray(offset + length);
    }
  });
  return { messages, close: () => socket.destroy() };
}

/** A client's text frame: masked, as RFC 6455 requires of clients. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const units = (messages: LiveMessage[]) => messages.filter((m) => m.kind === 3);

// ---- The page -------------------------------------------------------------------------------

/** Ultralytics' palette, as player.js and the server draw: class 0 (person) is #ff3838. */
const PALETTE = [0xff3838, 0xff9d97, 0xff701f, 0xffb21d, 0xcfd231, 0x48f90a, 0x92cc17, 0x3ddb86, 0x1a9334, 0x00d4bb, 0x2c99a8, 0x00c2ff, 0x344593, 0x6473ff, 0x0018ec, 0x8438ff, 0x520085, 0xcb38ff, 0xff95c8, 0xff37c7];

interface ApiDetections {
  camera: string;
  media_time: number | null;
  width: number;
  height: number;
  detections: Array<{ class_id: number; class_name: string; track_id: number | null; confidence: number; box: { x1: number; y1: number; x2: number; y2: number } }>;
}

/** The full view's mode ('webcodecs', 'mse', 'jpeg') once it has drawn `frames` frames. */
async function playing(page: Page, frames = 10): Promise<string> {
  await page.waitForFunction((n) => Number(document.getElementById('video')?.dataset.frames) >= n, frames, { timeout: 20_000, polling: 100 });
  return page.evaluate(() => document.getElementById('video')!.dataset.mode!);
}

async function expectPictureChanges(page: Page): Promise<void> {
  expect(await playerMotion(page, 6000), 'pixels that changed between two samples of the picture').toBeGreaterThan(0);
}

/** player.js draws no result more than this older (media time) than the frame shown. */
const STALE_MS = 3000;

/**
 * Checks the boxes over the picture against the detector's results: at one instant, the media
 * time of the frame shown and a copy of the overlay; then, from the results /api/detections gave
 * (pushed as detections_update) that the page had by then, the one for that frame (or the newest
 * before it): each of its boxes must be in its class's colour where the result puts its edges.
 * (On this shared machine the detector may fall seconds behind; such instants are passed over.)
 */
async function expectBoxesOfTheFrameShown(page: Page, results: ApiDetections[]): Promise<void> {
  let snapshot: { mediaTime: number; received: number[]; width: number } | undefined;
  let drawn: ApiDetections | undefined;
  for (let attempt = 0; attempt < 40 && !drawn; attempt++) {
    if (attempt) await Bun.sleep(250);
    snapshot = await page.evaluate(() => {
      const player = document.getElementById('video')!;
      const overlay = player.querySelector<HTMLCanvasElement>('canvas.overlay')!;
      (window as any).overlaySnapshot = overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height);
      return { mediaTime: Number(player.dataset.mediaTime), received: [...(window as any).resultsReceived] as number[], width: overlay.width };
    });
    // The page got these over its own socket; ours may get the last of them a moment later.
    await Bun.sleep(500);
    const { mediaTime, received } = snapshot;
    const newest = results.filter((r) => r.media_time !== null && received.includes(r.media_time) && r.media_time <= mediaTime + 0.5).at(-1);
    if (newest && mediaTime - newest.media_time! < STALE_MS - 500 && newest.detections.length) drawn = newest;
  }
  expect(drawn, `a recent result for the frame at ${snapshot?.mediaTime} ms`).toBeDefined();
  const scale = snapshot!.width / drawn!.width;
  const points = drawn!.detections.flatMap(({ class_id, box }) => {
    const [x1, y1, x2, y2] = [box.x1, box.y1, box.x2, box.y2].map((v) => Math.round(v * scale)) as [number, number, number, number];
    const midY = Math.round((y1 + y2) / 2);
    return [
      { x: x1, y: midY, colour: PALETTE[class_id % PALETTE.length]! },
      { x: x2, y: midY, colour: PALETTE[class_id % PALETTE.length]! },
      { x: Math.round((x1 + x2) / 2), y: y2, colour: PALETTE[class_id % PALETTE.length]! },
    ];
  });
  const found = await page.evaluate((points) => {
    const image = (window as any).overlaySnapshot as ImageData;
    return points.map(({ x, y }) => {
      const i = (Math.min(image.height - 1, Math.max(0, y)) * image.width + Math.min(image.width - 1, Math.max(0, x))) * 4;
      return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!, image.data[i + 3]!];
    });
  }, points);
  const matches = points.filter((point, n) => {
    const [r, g, b, a] = found[n]! as [number, number, number, number];
    return a === 255 && Math.abs(r - (point.colour >> 16)) <= 8 && Math.abs(g - ((point.colour >> 8) & 0xff)) <= 8 && Math.abs(b - (point.colour & 0xff)) <= 8;
  });
  // Boxes overlap (a person in front of a bus): most edges show their own colour, not all.
  expect(matches.length, `box edges in their class colour: ${JSON.stringify(found)}`).toBeGreaterThanOrEqual(Math.ceil(points.length * 0.6));
}

/** Opens the dashboard, recording which detector results (by media time) the page received. */
async function openDashboard(server: RunningServer, options: { path?: string; noVideoDecoder?: boolean; noMediaSource?: boolean } = {}): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(({ noVideoDecoder, noMediaSource }) => {
    // The browsers the fallbacks are for: no WebCodecs (an insecure origin, an older browser), no MSE (iPhone before iOS 17.1).
    if (noVideoDecoder) (window as any).VideoDecoder = undefined;
    if (noMediaSource) (window as any).MediaSource = (window as any).ManagedMediaSource = undefined;
    (window as any).resultsReceived = [];
    // `socket` is dashboard.js's own (a top-level const: a global binding, not a property of window).
    addEventListener('DOMContentLoaded', () => (0, eval)('socket').on('detections_update', (update: ApiDetections) => (window as any).resultsReceived.push(update.media_time)));
  }, { noVideoDecoder: options.noVideoDecoder ?? false, noMediaSource: options.noMediaSource ?? false });
  await page.goto(`${server.url}/${options.path ?? ''}`);
  return page;
}

function collectDetections(server: RunningServer): { results: ApiDetections[]; socket: Socket } {
  const socket = io(server.url, { transports: ['websocket'] });
  const results: ApiDetections[] = [];
  socket.on('detections_update', (update: ApiDetections) => results.push(update));
  return { results, socket };
}

describe.skipIf(!detectionFixtures)('the dashboard plays the camera\'s own H.264 with the boxes drawn over it', () => {
  let cameras: RtspCameras;
  let server: RunningServer;

  beforeAll(async () => {
    const [video, model] = detectionFixtures!;
    // The fixture clip as it is (720p, 15 fps, H.264 High with B-frames), and YOLOX-Nano on it.
    cameras = await startRtspCameras({ count: 1, video });
    server = await startServer({ camera_url: cameras.urls[0]!, target_fps: 15, detection_enabled: true, model_path: model });
    await server.waitForStatus((s) => s.status === 'Streaming' && s.detection.state === 'running' && s.detection.frames_detected > 0, 60_000);
  });

  afterAll(async () => {
    await server?.stop();
    await cameras?.stop();
  });

  it('WebCodecs: the picture moves, each frame\'s boxes are those /api/detections gave for that frame, and its frames are not encoded as JPEG', async () => {
    const { results, socket } = collectDetections(server);
    const page = await openDashboard(server);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      expect(await playing(page)).toBe('webcodecs');
      await expectPictureChanges(page);
      for (let i = 0; i < 3; i++) await expectBoxesOfTheFrameShown(page, results);
      expect(await page.textContent('#video .player-toggle')).toMatch(/^H\.264 · WebCodecs · [\d.]+ (k|M)bit\/s$/);
      // The viewer counts; its video costs the server no JPEG encode per frame (only the pictures
      // that events and snapshots ask for).
      const before = await server.get('/api/status');
      expect(before.stream.clients).toBe(1);
      await Bun.sleep(2000);
      const after = await server.get('/api/status');
      expect(after.encoder.frames_encoded - before.encoder.frames_encoded).toBeLessThan((after.frame_count - before.frame_count) / 2);
      mkdirSync(ARTEFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTEFACTS, 'dashboard-h264.png') });
      expect(errors).toEqual([]);
    } finally {
      socket.close();
      await page.close();
    }
  });

  it('MSE where WebCodecs is missing: fragmented MP4 in a <video>, the boxes matched to the frame it shows', async () => {
    const { results, socket } = collectDetections(server);
    const page = await openDashboard(server, { noVideoDecoder: true });
    try {
      expect(await playing(page)).toBe('mse');
      await expectPictureChanges(page);
      for (let i = 0; i < 3; i++) await expectBoxesOfTheFrameShown(page, results);
      expect(await page.textContent('#video .player-toggle')).toMatch(/^H\.264 · MSE · /);
    } finally {
      socket.close();
      await page.close();
    }
  });

  it('falls back to JPEG frames by itself without WebCodecs and MSE (boxes drawn by the server), and the toggle switches by hand', async () => {
    const page = await openDashboard(server, { noVideoDecoder: true, noMediaSource: true });
    try {
      expect(await playing(page)).toBe('jpeg');
      await expectPictureChanges(page);
      expect(await page.textContent('#video .player-toggle')).toMatch(/^JPEG · [\d.]+ (k|M)bit\/s$/);
      // The boxes are in the JPEGs: nothing is drawn over them.
      const overlayPixels = await page.evaluate(() => {
        const overlay = document.querySelector<HTMLCanvasElement>('#video canvas.overlay')!;
        return overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height).data.some((v) => v !== 0);
      });
      expect(overlayPixels).toBe(false);
      const status = await server.get('/api/status');
      expect(status.encoder.frames_encoded).toBeGreaterThan(0);
    } finally {
      await page.close();
    }

    // A browser that plays H.264, told to show JPEG by the toggle (remembered), then back.
    const chosen = await openDashboard(server);
    try {
      expect(await playing(chosen)).toBe('webcodecs');
      await chosen.click('#video .player-toggle');
      await chosen.waitForFunction(() => document.getElementById('video')!.dataset.mode === 'jpeg', undefined, { timeout: 10_000 });
      await chosen.reload();
      expect(await playing(chosen, 3)).toBe('jpeg');
      await chosen.click('#video .player-toggle');
      await chosen.waitForFunction(() => document.getElementById('video')!.dataset.mode === 'webcodecs', undefined, { timeout: 10_000 });
    } finally {
      await chosen.close();
    }
  });

  it('?video=jpeg plays JPEG frames in a browser that could play H.264', async () => {
    const page = await openDashboard(server, { path: '?video=jpeg' });
    try {
      expect(await playing(page, 3)).toBe('jpeg');
    } finally {
      await page.close();
    }
  });
});

describe('the camera\'s own video on /api/ws', () => {
  let camera: RtspCamera;
  let server: RunningServer;

  beforeAll(async () => {
    // A keyframe every second (15 frames), 15 fps.
    camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
    server = await startServer({ cameras: { door: { camera_url: camera.url }, scene: { camera_url: 'demo:320x180' } }, target_fps: 15 });
    await server.waitForStatus((s) => s.status === 'Streaming');
  });

  afterAll(async () => {
    await server?.stop();
    await camera?.stop();
  });

  it('a viewer who joins mid-GOP gets the configuration, the last keyframe and every unit since at once, then each unit live', async () => {
    // A viewer already watching says where the stream is: a keyframe and three units after it.
    const watching = await liveViewer(server, { door: { format: 'h264' } });
    try {
      const keyframe = await until('a keyframe and 3 units after it', () => {
        const got = units(watching.messages);
        const last = got.findLastIndex((u) => u.keyframe);
        return last >= 0 && got.length - last >= 4 && got[last];
      });
      const joining = await liveViewer(server, { door: { format: 'h264' } });
      try {
        await until('10 units', () => units(joining.messages).length >= 10);
        const [config, ...rest] = joining.messages;
        expect(config).toMatchObject({ kind: 2, camera: 'door', width: 640, height: 360 });
        expect(config!.codec).toMatch(/^avc1\.[0-9A-F]{6}$/);
        // The avcC record: version 1, then the profile, compatibility and level of the codec string.
        expect(config!.description![0]).toBe(1);
        expect(Buffer.from(config!.description!.subarray(1, 4)).toString('hex').toUpperCase()).toBe(config!.codec!.slice(5));
        const got = units(rest);
        expect(got.length).toBe(rest.length);
        // It starts at the keyframe the other viewer saw (or a later one), made before it joined,
        // and no unit is missing from there on.
        expect(got[0]!.keyframe).toBe(true);
        expect(got[0]!.seq).toBeGreaterThanOrEqual(keyframe.seq!);
        const seqs = got.map((u) => u.seq!);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
        expect(got[0]!.capturedAt).toBeLessThan(joining.subscribedAt);
        // Annex-B: a keyframe begins with a start code and its SPS.
        expect(Array.from(got[0]!.data!.subarray(0, 5))).toEqual([0, 0, 0, 1, 0x67]);
        // Every unit the two viewers share is the same bytes, media time and capture time.
        for (const unit of got) {
          const same = units(watching.messages).find((u) => u.seq === unit.seq);
          if (same) expect({ ...same, receivedAt: 0 }).toEqual({ ...unit, receivedAt: 0 });
        }
        // Media time goes up by 1000/15 ms a frame.
        expect(got[5]!.mediaTime! - got[4]!.mediaTime!).toBeCloseTo(1000 / 15, 0);
        expect((await server.get('/api/cameras/door/status')).stream.clients).toBe(2);
      } finally {
        joining.close();
      }
    } finally {
      watching.close();
    }
  });

  it('a camera without H.264 (demo:) is sent as JPEG frames to a viewer that asks for H.264; fps caps JPEG only', async () => {
    const viewer = await liveViewer(server, { scene: { format: 'h264', fps: 5 }, door: { format: 'h264', fps: 5 } });
    try {
      await until('JPEG frames of scene', () => viewer.messages.filter((m) => m.camera === 'scene').length >= 3);
      expect(new Set(viewer.messages.filter((m) => m.camera === 'scene').map((m) => m.kind))).toEqual(new Set([1]));
      expect(viewer.texts[1]).toEqual({ type: 'subscribed', cameras: ['scene', 'door'], unknown: [] });
      await Bun.sleep(2000);
      // The H.264 camera: every unit, fps or not (15 a second); the JPEG camera at 5 a second.
      const door = units(viewer.messages.filter((m) => m.camera === 'door'));
      const scene = viewer.messages.filter((m) => m.camera === 'scene');
      expect(door.length).toBeGreaterThan(scene.length * 2);
    } finally {
      viewer.close();
    }
  });

  it('a viewer that stops reading skips to the next keyframe instead of buffering; a viewer beside it gets every unit', async () => {
    // Noise at 720p: ~1 MB/s of H.264, which fills the kernel's buffers and the server's 1 MB in seconds.
    const noisy = await startRtspCamera({ width: 1280, height: 720, fps: 15, pattern: 'snow' });
    const busy = await startServer({ camera_url: noisy.url, target_fps: 15 });
    try {
      await busy.waitForStatus((s) => s.status === 'Streaming');
      const stalled = stalledLiveViewer(busy, { default: { format: 'h264' } }, 15_000);
      const normal = await liveViewer(busy, { default: { format: 'h264' } });
      try {
        // Skipped units show as gaps in seq, once it reads again.
        await until('the stalled viewer to skip', () => units(stalled.messages).some((u, i, all) => i > 0 && u.seq! > all[i - 1]!.seq! + 1), 40_000);
        await Bun.sleep(2000);
        const got = units(stalled.messages);
        const gaps = got.filter((u, i) => i > 0 && u.seq! > got[i - 1]!.seq! + 1);
        expect(gaps.length).toBeGreaterThan(0);
        // After each gap a keyframe: what it gets always decodes.
        for (const unit of gaps) expect(unit.keyframe, `unit ${unit.seq} after a gap`).toBe(true);
        // What waited for it was the newest keyframe's units, not the 15 s it missed: it is live again.
        expect(got.at(-1)!.seq).toBeGreaterThanOrEqual(units(normal.messages).at(-1)!.seq! - 15);
        const status = await busy.get('/api/status');
        expect(status.stream.frames_dropped).toBeGreaterThan(0);
        // The other viewer, on its own socket, lost nothing.
        const seqs = units(normal.messages).map((u) => u.seq!);
        expect(seqs.length).toBeGreaterThan(30);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      } finally {
        stalled.close();
        normal.close();
      }
    } finally {
      await busy.stop();
      await noisy.stop();
    }
  });
});

describe('an H.265 camera', () => {
  it('goes to viewers that say they decode H.265 as it is, and to the rest (Chromium here) as JPEG frames', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 10, codec: 'h265' });
    const server = await startServer({ camera_url: camera.url, target_fps: 10 });
    try {
      await server.waitForStatus((s) => s.status === 'Streaming');
      const takes = await liveViewer(server, { default: { format: 'h264', h265: true } });
      const declines = await liveViewer(server, { default: { format: 'h264' } });
      try {
        await until('H.265 units', () => units(takes.messages).length >= 3);
        expect(takes.messages[0]).toMatchObject({ kind: 2, width: 320, height: 240 });
        expect(takes.messages[0]!.codec).toMatch(/^hvc1\./);
        await until('JPEG frames', () => declines.messages.length >= 3);
        expect(new Set(declines.messages.map((m) => m.kind))).toEqual(new Set([1]));
      } finally {
        takes.close();
        declines.close();
      }
      // Debian's Chromium has no H.265 decoder: the page asks for JPEG by itself.
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}/`);
        expect(await playing(page, 3)).toBe('jpeg');
      } finally {
        await page.close();
      }
    } finally {
      await server.stop();
      await camera.stop();
    }
  });
});
