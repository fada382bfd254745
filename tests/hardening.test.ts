import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeLoopbackPort, SERVER_MAIN, startRtspCamera, startServer, startTelegramApi, waitFor } from '@cctv/testbed';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cctv-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe("the seed's own config", () => {
  it('starts the server as it is (config.example.json is Part 6): the camera unreachable, the model missing, the placeholder integrations failing, all said in the status', async () => {
    const seed = JSON.parse(readFileSync(resolve(import.meta.dirname, '../config.example.json'), 'utf8'));
    // Its camera is a LAN address nothing answers here; its tokens are "...". Only the port and data folder are ours.
    const server = await startServer({ ...seed, server: { ...seed.server, host: '127.0.0.1' }, data_dir: join(dir, 'seed') });
    try {
      const status = await server.waitForStatus((s) => s.detection.state === 'failed' && s.integrations.telegram.state !== 'disabled' && s.integrations.sheets.state !== 'disabled', 20_000);
      expect(status.camera).toMatchObject({ id: 'default', source: 'rtsp://admin:***@192.168.1.100:554/stream1' });
      expect(['Connecting', 'Connected', 'Reconnecting']).toContain(status.status);
      expect(status.detection.reason).toMatch(/model file not found: .*best\.engine/);
      expect((await server.get('/api/health')).status).toBe('healthy');
      expect(server.output()).toMatch(/Sheets: {2}web app script\.google\.com/);
      expect(server.output()).toMatch(/Telegram: chat \.\.\.: alerts for every class/);
      expect(server.output()).not.toContain('admin:password');
    } finally {
      await server.stop();
    }
  });
});

describe('a camera password with a raw @', () => {
  it('hides all of it everywhere: log, banner, status, cameras, config, Socket.IO, the snapshot answer, Telegram /status, the TUI', async () => {
    const password = 'p@ssw0rd99';
    const port = await freeLoopbackPort();
    const telegram = startTelegramApi({ chats: [1001] });
    const server = await startServer({
      camera_url: `rtsp://admin:${password}@127.0.0.1:${port}/stream1`,
      data_dir: join(dir, 'at'),
      telegram_enabled: true,
      telegram_config: { bot_token: telegram.token, chat_id: 1001, api_root: telegram.apiRoot, poll_timeout_s: 1 },
      integrations: { outbox_path: join(dir, 'at', 'outbox.sqlite'), snapshot_dir: '' },
    });
    const seen: string[] = [];
    try {
      await server.waitForStatus((s) => s.status === 'Reconnecting' && !!s.camera.reason && s.integrations.telegram.state === 'connected', 20_000);
      for (const path of ['/api/status', '/api/cameras', '/api/config', '/api/cameras/default/status']) seen.push(JSON.stringify(await server.get(path)));
      const snapshot = await fetch(`${server.url}/api/stream/snapshot.jpg`);
      expect(snapshot.status).toBe(503);
      seen.push(await snapshot.text());
      const socket = io(server.url, { transports: ['websocket'] });
      seen.push(JSON.stringify(await new Promise((resolve) => socket.once('status_update', resolve))));
      socket.close();
      telegram.userSays(1001, '/status');
      await telegram.waitFor(() => telegram.delivered.some((c) => c.method === 'sendMessage'), 10_000, 'the /status answer');
      seen.push(...telegram.delivered.map((c) => JSON.stringify(c.params)));
      seen.push(server.output());
      const all = seen.join('\n');
      expect(all).toContain(`rtsp://admin:***@127.0.0.1:${port}/stream1`);
      for (const part of [password, 'ssw0rd99', 'p@ss']) expect(all, part).not.toContain(part);
    } finally {
      await server.stop();
      await telegram.stop();
    }

    // The terminal dashboard, in a tmux pane of its own.
    const socket = `cctv-hardening-${process.pid}`;
    const tmux = (...args: string[]) => Bun.spawnSync(['tmux', '-L', socket, ...args], { stdout: 'pipe', stderr: 'pipe' }).stdout.toString();
    const config = join(dir, 'tui.json');
    writeFileSync(config, JSON.stringify({ camera_url: `rtsp://admin:${password}@127.0.0.1:${port}/stream1`, data_dir: join(dir, 'tui'), server: { host: '127.0.0.1' } }));
    const exitFile = join(dir, 'tui.exit');
    try {
      tmux('new-session', '-d', '-s', 'tui', '-x', '160', '-y', '40', `'${process.execPath}' '${SERVER_MAIN}' --tui --config '${config}' --port ${await freeLoopbackPort()}; echo $? > '${exitFile}'`);
      const screen = await waitFor('the TUI with the camera reconnecting', () => {
        const text = tmux('capture-pane', '-p', '-t', 'tui');
        return /Camera\s+(Reconnecting|Connecting)/.test(text) && /Source/.test(text) && text;
      });
      expect(screen).toContain('admin:***@127.0.0.1');
      for (const part of [password, 'ssw0rd99']) expect(screen).not.toContain(part);
      tmux('send-keys', '-t', 'tui', 'q');
      await waitFor('the TUI to quit', () => existsSync(exitFile), 10_000);
    } finally {
      Bun.spawnSync(['tmux', '-L', socket, 'kill-server']);
    }
  });
});

describe('the status the main thread owns', () => {
  it('lets every rate fall to 0 when the camera stalls: video fps and detection fps', async () => {
    const camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
    const model = resolve(import.meta.dirname, '../packages/detector/models/colour-patches-yolov8.onnx');
    const server = await startServer({ camera_url: camera.url, detection_enabled: true, model_path: model, data_dir: join(dir, 'rates') });
    try {
      await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 10 && s.detection.fps > 5, 30_000);
      await camera.stop();
      const stalled = await server.waitForStatus((s) => s.fps === 0 && s.detection.fps === 0, 10_000);
      expect(stalled.status).not.toBe('Streaming');
      expect(stalled.frame_count).toBeGreaterThan(0);
      const [brief] = await server.get('/api/cameras');
      expect(brief).toMatchObject({ fps: 0, detection: { fps: 0 } });
    } finally {
      await server.stop();
      await camera.stop();
    }
  });
});
