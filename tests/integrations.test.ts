import { jpegSize, startGoogleApis, startServer, startTelegramApi } from '@cctv/testbed';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cctv-e2e-integrations-'));
const delivery = () => ({ outbox_path: join(dir, `outbox-${Math.random().toString(36).slice(2)}.sqlite`), snapshot_dir: '', retry_initial_s: 0.05, retry_max_s: 0.5 });

describe('Google Sheets counts on the dashboard', () => {
  it('shows inbound/outbound from an Apps Script web app in /api/stats and Socket.IO, and the integration in /api/status', async () => {
    const google = startGoogleApis();
    google.webappCounts = { inbound: 12, outbound: 7 };
    const server = await startServer({ camera_url: 'demo:640x360', sheets_enabled: true, sheets_config: { webapp_url: google.webappUrl, poll_interval: 1 }, integrations: delivery() });
    try {
      await server.waitForStatus((s) => s.integrations?.sheets?.state === 'connected', 10_000);
      expect(await server.get('/api/stats')).toMatchObject({ inbound: 12, outbound: 7 });
      const status = await server.get('/api/status');
      expect(status.integrations.sheets).toMatchObject({ state: 'connected', mode: 'webapp', queued: 0, dropped: 0, last_error: null, last_success: expect.any(String) });
      expect(status.integrations.telegram).toMatchObject({ state: 'disabled' });
      expect(server.output()).toMatch(/Sheets: {2}web app 127\.0\.0\.1:\d+: counts every 1 s/);

      // The dashboard hears new counts over Socket.IO.
      google.webappCounts = { inbound: 13, outbound: 9 };
      const socket = io(server.url, { path: '/socket.io/', transports: ['websocket'] });
      const stats = await new Promise<{ inbound: number; outbound: number }>((resolve) => {
        socket.on('stats_update', (s: { inbound: number; outbound: number }) => s.inbound === 13 && resolve(s));
      });
      socket.close();
      expect(stats).toMatchObject({ inbound: 13, outbound: 9 });
    } finally {
      await server.stop();
      await google.stop();
    }
  });

  it('reads the counts through the Sheets API with a service account (JWT checked, Bearer token on each call)', async () => {
    const google = startGoogleApis();
    google.ranges.set('Counts!A2:B2', [[40, 2]]);
    const server = await startServer({
      camera_url: 'demo:640x360',
      sheets_enabled: true, sheets_config: { credentials_file: google.writeKeyFile(dir), spreadsheet_id: google.spreadsheetId, api_root: google.apiRoot, poll_interval: 1 },
      integrations: delivery(),
    });
    try {
      await server.waitForStatus((s) => s.integrations?.sheets?.state === 'connected', 10_000);
      expect(await server.get('/api/stats')).toMatchObject({ inbound: 40, outbound: 2 });
      expect(google.tokensIssued).toBe(1);
      const output = server.output();
      expect(output).not.toMatch(/PRIVATE KEY|ya29\./);
    } finally {
      await server.stop();
      await google.stop();
    }
  });

  it('keeps serving video when the service-account key file is missing, and says so in the status', async () => {
    const server = await startServer({ camera_url: 'demo:640x360', sheets_enabled: true, sheets_config: { credentials_file: join(dir, 'missing.json'), spreadsheet_id: 'x' }, integrations: delivery() });
    try {
      const status = await server.waitForStatus((s) => s.status === 'Streaming' && s.integrations?.sheets?.state === 'error');
      expect(status.integrations.sheets.last_error).toMatch(/service-account key .*missing\.json: file not found/);
      expect(server.output()).toMatch(/Sheets: {2}error: service-account key .*missing\.json: file not found/);
    } finally {
      await server.stop();
    }
  });
});

describe('the Telegram bot of a running server', () => {
  it('answers /status and /snapshot in its chat only, and never shows its token', async () => {
    const telegram = startTelegramApi({ chats: [1001, 999] });
    const server = await startServer({
      camera_url: 'demo:640x360',
      telegram_enabled: true, telegram_config: { bot_token: telegram.token, chat_id: '1001', api_root: telegram.apiRoot, poll_timeout_s: 1 },
      integrations: delivery(),
    });
    try {
      await server.waitForStatus((s) => s.status === 'Streaming' && s.frame_count > 0 && s.integrations?.telegram?.state === 'connected', 15_000);
      telegram.userSays(999, '/status');
      telegram.userSays(1001, '/status');
      telegram.userSays(1001, '/snapshot');
      await telegram.waitFor(() => telegram.delivered.length === 2, 10_000, 'two answers');
      const [status, snapshot] = telegram.delivered;
      expect(Number(status!.params.chat_id)).toBe(1001);
      expect(status!.params.text).toMatch(/^📷 demo:640x360: Streaming, \d+(\.\d)? fps, \d+ frames, \d viewer\(s\)\n {3}demo:640x360\n.*telegram: connected/s);
      expect(snapshot!.method).toBe('sendPhoto');
      expect(jpegSize(snapshot!.photo!.bytes)).toEqual({ width: 640, height: 360 });
      expect(server.output()).toMatch(/ignored \/status from chat 999/);
      const secret = telegram.token.split(':')[1]!;
      expect(server.output()).not.toContain(secret);
      expect(JSON.stringify(await server.get('/api/status'))).not.toContain(secret);
      // Long polling ends at once on shutdown.
      const { code, ms } = await server.stop();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(3000);
    } finally {
      await server.stop();
      await telegram.stop();
    }
  });
});

describe('detections reach Telegram and the sheet', () => {
  it('sends a photo alert and appends a row when the demo scene shows a red patch', async () => {
    // The generated colour-patch model finds the demo scene's red box in every frame: detection end to end with nothing downloaded.
    const model = join(import.meta.dirname, '../packages/detector/models/colour-patches-yolov8.onnx');
    const telegram = startTelegramApi({ chats: [1001] });
    const google = startGoogleApis();
    const server = await startServer({
      camera_url: 'demo:640x360',
      detection_enabled: true,
      model_path: model,
      telegram_enabled: true, telegram_config: { bot_token: telegram.token, chat_id: 1001, api_root: telegram.apiRoot, poll_timeout_s: 1, alert_classes: ['red'], cooldown_s: 60 },
      sheets_enabled: true, sheets_config: { webapp_url: google.webappUrl, poll_interval: 1 },
      integrations: delivery(),
    });
    try {
      await telegram.waitFor(() => telegram.delivered.some((call) => call.method === 'sendPhoto'), 20_000, 'a photo alert');
      const alert = telegram.delivered.find((call) => call.method === 'sendPhoto')!;
      expect(Number(alert.params.chat_id)).toBe(1001);
      expect(String(alert.params.caption)).toMatch(/red/);
      expect(jpegSize(alert.photo!.bytes)).toEqual({ width: 640, height: 360 });
      const detections = await server.get('/api/detections');
      expect(detections.detections.map((d: { class_name: string }) => d.class_name)).toContain('red');
      // A row per event reaches the web app, with the class and the camera.
      const deadline = Date.now() + 10_000;
      while (!google.webappRows.length && Date.now() < deadline) await Bun.sleep(100);
      expect(google.webappRows[0]).toMatchObject({ class: 'red', camera: 'demo:640x360' });
      // The cooldown holds: one alert for a patch that stays in view.
      await Bun.sleep(2000);
      expect(telegram.delivered.filter((call) => call.method === 'sendPhoto')).toHaveLength(1);
    } finally {
      await server.stop();
      await telegram.stop();
      await google.stop();
    }
  });
});
