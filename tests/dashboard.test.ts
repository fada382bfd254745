import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium, playerMotion, requireFixtures, type RtspCamera, type RunningServer, startRtspCamera, startServer } from '@cctv/testbed';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ARTEFACTS = process.env.TEST_REPORT_DIR ?? resolve(import.meta.dirname, '../test-results');
const detectionFixtures = requireFixtures('video/people-720p.mp4', 'models/yolox_nano.onnx');

let camera: RtspCamera;
let server: RunningServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: BrowserContext;

beforeAll(async () => {
  [camera, chromium] = await Promise.all([startRtspCamera({ width: 1280, height: 720, fps: 15 }), launchChromium({ viewport: { width: 1400, height: 820 } })]);
  browser = chromium.browser;
  server = await startServer({ camera_url: camera.url, target_fps: 15 });
  await server.waitForStatus((s) => s.status === 'Streaming');
});

afterAll(async () => {
  await chromium?.close();
  await server?.stop();
  await camera?.stop();
});

/** Waits until the picture moves: the video plays. */
async function expectMovingVideo(page: Page): Promise<void> {
  expect(await playerMotion(page), 'pixels that changed between two samples of the picture').toBeGreaterThan(0);
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector))?.trim() ?? '';
}

async function waitForText(page: Page, selector: string, pattern: RegExp, timeout = 20_000): Promise<string> {
  await page.waitForFunction(
    ([s, source]) => new RegExp(source).test(document.querySelector(s)?.textContent ?? ''),
    [selector, pattern.source] as const,
    { timeout, polling: 100 },
  );
  return text(page, selector);
}

/** Waits until the full view plays the camera's H.264 (decoded by WebCodecs) at its full size. */
async function waitForFullSizeVideo(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const player = document.getElementById('video')!;
    const canvas = player.querySelector<HTMLCanvasElement>('canvas.picture')!;
    return player.dataset.mode === 'webcodecs' && Number(player.dataset.frames) > 0 && canvas.width === 1280 && canvas.height === 720;
  }, undefined, { timeout: 15_000 });
}

describe('the web dashboard', () => {
  it('shows the live camera, its status and counters, and follows the camera down and back up without a reload', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${server.url}/`);
      await page.evaluate(() => ((window as any).sameDocument = true));

      // The video: the camera's own H.264, full size, and moving; the toggle says so, with its bitrate.
      await waitForFullSizeVideo(page);
      await expectMovingVideo(page);
      expect(await waitForText(page, '#video .player-toggle', /^H\.264 · WebCodecs · \d/)).toMatch(/(k|M)bit\/s$/);

      // Status and counters, pushed over Socket.IO.
      expect(await waitForText(page, '#camera-state', /^Streaming$/)).toBe('Streaming');
      // `socket` is the page's own global (a top-level const in dashboard.js).
      expect(await page.evaluate('socket.connected')).toBe(true);
      const fps = Number((await waitForText(page, '#video-fps', /^\d+\.\d fps$/)).split(' ')[0]);
      expect(fps).toBeGreaterThan(0);
      expect(Number(await waitForText(page, '#viewers', /^[1-9]\d*$/))).toBeGreaterThanOrEqual(1);
      expect(await waitForText(page, '#detections-now', /^\d+$/)).toBe('0');
      expect(await text(page, '#inbound')).toBe('0');
      expect(await text(page, '#outbound')).toBe('0');
      // Detection is not running on this server: its row says off (or a dash, from a server without the field).
      expect(await text(page, '#detection')).toMatch(/^(—|off)/);
      expect(await page.isHidden('#video-banner')).toBe(true);
      // The frame counter keeps moving with each once-a-second update.
      const frames = await text(page, '#frames');
      await page.waitForFunction((before) => document.querySelector('#frames')?.textContent !== before, frames, { timeout: 5000 });

      mkdirSync(ARTEFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTEFACTS, 'dashboard.png') });

      // The camera loses power: the page says so, with the reason.
      await camera.stop();
      expect(await waitForText(page, '#camera-state', /^(Reconnecting|Connecting)$/, 15_000)).toMatch(/Reconnecting|Connecting/);
      await page.waitForFunction(() => document.querySelector('#camera-reason')?.textContent !== '', undefined, { timeout: 15_000 });
      expect(await page.isVisible('#video-banner')).toBe(true);
      expect(await text(page, '#video-banner')).toMatch(/^(Reconnecting|Connecting)/);
      await page.screenshot({ path: join(ARTEFACTS, 'dashboard-reconnecting.png') });

      // It comes back: the page recovers by itself, in the same document.
      await camera.restart();
      expect(await waitForText(page, '#camera-state', /^Streaming$/, 30_000)).toBe('Streaming');
      expect(await page.isHidden('#video-banner')).toBe(true);
      await waitForFullSizeVideo(page);
      await expectMovingVideo(page);
      expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('works behind a reverse proxy under a path prefix, Socket.IO over WebSocket included, and reconnects when the server restarts', async () => {
    let upstream = server.url;
    const proxy = startPrefixProxy('/cctv', () => upstream);
    const page = await browser.newPage();
    let second: RunningServer | undefined;
    try {
      // Without the trailing slash: the page moves itself to /cctv/ so its relative URLs resolve under the prefix.
      await page.goto(`${proxy.url}/cctv`);
      await page.waitForURL(`${proxy.url}/cctv/`);
      // From here on, nothing may be asked for outside the prefix (the browser's look-ahead may have before the move).
      proxy.forget();
      await page.reload();
      await page.evaluate(() => ((window as any).sameDocument = true));
      await waitForFullSizeVideo(page);
      await expectMovingVideo(page);
      expect(await waitForText(page, '#camera-state', /^Streaming$/)).toBe('Streaming');
      // Socket.IO starts on long-polling and upgrades to a WebSocket, both through the proxy.
      await page.waitForFunction("socket.io.engine?.transport?.name === 'websocket'", undefined, { timeout: 10_000 });
      expect(proxy.websockets()).toBeGreaterThanOrEqual(1);
      expect(proxy.seen().some((p) => p.startsWith('/cctv/socket.io/'))).toBe(true);
      // The video over the dashboard's own WebSocket, under the prefix too.
      expect(proxy.seen().some((p) => p === '/cctv/api/ws')).toBe(true);
      expect(proxy.seen().some((p) => p.startsWith('/cctv/vendor/socket.io.min.js'))).toBe(true);
      // Nothing asked for outside the prefix: every URL on the page is relative.
      expect(proxy.outside()).toEqual([]);

      // The server restarts (here: a new process behind the same proxy address): the page reconnects
      // Socket.IO and the video's WebSocket by itself.
      await server.stop();
      await page.waitForFunction(() => document.querySelector('#connection')?.getAttribute('data-state') === 'down', undefined, { timeout: 10_000 });
      second = await startServer({ camera_url: camera.url, target_fps: 15 });
      upstream = second.url;
      await page.waitForFunction(() => document.querySelector('#connection')?.getAttribute('data-state') === 'live', undefined, { timeout: 20_000 });
      expect(await waitForText(page, '#camera-state', /^Streaming$/, 20_000)).toBe('Streaming');
      await expectMovingVideo(page);
      // The player subscribed on the new server (and only once: a replaced socket is closed).
      await second.waitForStatus((s) => s.stream.clients === 1, 5000);
      expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
      expect(proxy.outside()).toEqual([]);
    } finally {
      await page.close();
      proxy.stop();
      await second?.stop();
    }
  });

  it.skipIf(!detectionFixtures)('lights up the detection panels when the server detects: rate, counts and recent events', async () => {
    const [video, model] = detectionFixtures!;
    const detecting = await startServer({ camera_url: video, detection_enabled: true, model_path: model });
    const page = await browser.newPage();
    try {
      await page.goto(`${detecting.url}/`);
      expect(await waitForText(page, '#detection', /^\d+\.\d fps · \d+ ms · yolox_nano\.onnx$/)).toBeTruthy();
      // The clip has people in every frame: events arrive over detections_update and are listed.
      const event = await waitForText(page, '#events li:first-child', /^\d\d:\d\d:\d\d .*person/);
      expect(event).toMatch(/person/);
      expect(Number(await waitForText(page, '#detections-now', /^[1-9]\d*$/))).toBeGreaterThan(0);
      expect(await page.locator('#events li').count()).toBeLessThanOrEqual(20);
      await page.screenshot({ path: join(ARTEFACTS, 'dashboard-detection.png') });
    } finally {
      await page.close();
      await detecting.stop();
    }
  });
});

/**
 * A reverse proxy like the ones people put in front of the server: `/cctv/…` is forwarded to the
 * server's `/…` (HTTP streamed both ways, WebSocket upgrades bridged to a WebSocket upstream).
 */
function startPrefixProxy(prefix: string, upstream: () => string) {
  const seen: string[] = [];
  const outside: string[] = [];
  let websockets = 0;
  interface Bridge {
    target: string;
    upstream?: WebSocket;
    pending: (string | Buffer)[];
  }
  const proxy = Bun.serve<Bridge>({
    hostname: '127.0.0.1',
    port: 0,
    // Long-polling requests wait up to Socket.IO's ping interval (25 s); never cut them.
    idleTimeout: 0,
    fetch(request, bun) {
      const url = new URL(request.url);
      if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
        outside.push(url.pathname);
        return new Response(`not under ${prefix}`, { status: 404 });
      }
      seen.push(url.pathname + url.search);
      const target = upstream() + (url.pathname.slice(prefix.length) || '/') + url.search;
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        const upgraded = bun.upgrade(request, { data: { target: target.replace(/^http/, 'ws'), pending: [] } });
        return upgraded ? undefined : new Response('upgrade failed', { status: 400 });
      }
      const headers = new Headers(request.headers);
      headers.delete('host');
      // The client's abort (an <img> that reloads) ends the upstream request too, so viewers do not pile up.
      return fetch(target, { method: request.method, headers, body: request.body, redirect: 'manual', signal: request.signal }).then(
        (response) => new Response(response.body && endQuietly(response.body), response),
        () => new Response('bad gateway', { status: 502 }),
      );
    },
    error: () => new Response('bad gateway', { status: 502 }),
    websocket: {
      open(ws) {
        websockets++;
        const up = new WebSocket(ws.data.target);
        up.binaryType = 'arraybuffer';
        ws.data.upstream = up;
        up.onopen = () => {
          for (const message of ws.data.pending) up.send(message);
          ws.data.pending = [];
        };
        up.onmessage = (event) => ws.send(event.data as string | ArrayBuffer);
        up.onclose = () => ws.close();
        up.onerror = () => ws.close();
      },
      message(ws, message) {
        if (ws.data.upstream?.readyState === WebSocket.OPEN) ws.data.upstream.send(message);
        else ws.data.pending.push(message);
      },
      close(ws) {
        ws.data.upstream?.close();
      },
    },
  });
  /** A response body that ends when the upstream connection breaks (a server that stops), as a proxy's would. */
  function endQuietly(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    return new ReadableStream({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch {
          controller.close();
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
  return {
    url: `http://127.0.0.1:${proxy.port}`,
    seen: () => [...seen],
    outside: () => [...outside],
    websockets: () => websockets,
    forget: () => {
      seen.length = 0;
      outside.length = 0;
    },
    stop: () => proxy.stop(true),
  };
}
