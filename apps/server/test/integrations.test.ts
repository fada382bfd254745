import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { cameraConfigs } from '../src/config.ts';
import { createIntegrations, detectionEvent, integrationLines } from '../src/integrations.ts';
import type { ServerState } from '../src/state.ts';

const noState = () => ({}) as ServerState;

describe('integrations config', () => {
  it("runs the seed's keys alone: a web app for Sheets, a bot token and chat for Telegram", () => {
    const { config } = loadConfig({
      file: join(import.meta.dirname, '../../../config.example.json'),
      env: { CCTV_TELEGRAM_CONFIG_BOT_TOKEN: '123456789:ABCdefGhIJKlmNoPQRsTUVwxyZ' },
    });
    const integrations = createIntegrations({ ...config, integrations: { ...config.integrations, outbox_path: ':memory:' } }, noState);
    expect(integrations.sheets.mode).toBe('webapp');
    expect(integrations.telegram.enabled).toBe(true);
    expect(integrations.enabled).toEqual(['sheets', 'telegram']);
    const status = integrations.status();
    expect(status.sheets).toMatchObject({ state: 'disconnected', queued: 0, dropped: 0, last_success: null });
    expect(JSON.stringify(status)).not.toContain('ABCdefGhIJKlmNoPQRsTUVwxyZ');
  });

  it("is off, with no file written, when nothing is configured or the seed's switch is not on", () => {
    const { config } = loadConfig();
    expect(createIntegrations(config, noState).status()).toMatchObject({ sheets: { state: 'disabled' }, telegram: { state: 'disabled' } });
    const off = loadConfig({ env: { CCTV_TELEGRAM_CONFIG_BOT_TOKEN: '1:x', CCTV_TELEGRAM_CONFIG_CHAT_ID: '5', CCTV_SHEETS_CONFIG_WEBAPP_URL: 'https://script.google.com/x' } }).config;
    const integrations = createIntegrations(off, noState);
    expect(integrations.enabled).toEqual([]);
    expect(integrationLines(off, integrations)).toEqual([
      '   Sheets:  off (sheets_enabled is not true; its settings are ignored)',
      '   Telegram: off (telegram_enabled is not true; its settings are ignored)',
      '   MQTT:    off',
    ]);
  });

  it('refuses unknown keys and malformed quiet hours, and never prints a token it refuses', () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig({ env });
      } catch (error) {
        return (error as ConfigError).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refused({ CCTV_TELEGRAM_CONFIG_QUIET_HOURS: '25:00-06:00' })).toMatch(/telegram_config\.quiet_hours.*got "25:00-06:00", expected a string like "22:00-06:00"/);
    expect(refused({ CCTV_INTEGRATIONS_OUTBOX_MAX_ENTRIES: '0' })).toMatch(/integrations\.outbox_max_entries.*got 0, expected a whole number ≥ 1/);
    expect(refused({ CCTV_SHEETS_CONFIG_MIN_CONFIDENCE: '2' })).toMatch(/sheets_config\.min_confidence.*got 2/);
    const { config } = loadConfig({ env: { CCTV_TELEGRAM_CONFIG_ALERT_CLASSES: 'person,car' } });
    expect(config.telegram_config.alert_classes).toEqual(['person', 'car']);
  });

  it("names the seed's one camera by its host, never its password, and turns a detector result into an event with the camera's id and name", () => {
    const name = (camera_url: string) => cameraConfigs(loadConfig({ env: { CCTV_CAMERA_URL: camera_url } }).config)[0]!.name;
    expect(name('rtsp://admin:secret@192.168.1.100:554/stream1')).toBe('192.168.1.100:554');
    expect(name('demo:640x360')).toBe('demo:640x360');
    // A raw @ in the password, and a URL that URL() refuses: never the password.
    expect(name('rtsp://admin:p@ssw0rd99@10.0.0.21:554/stream1')).toBe('10.0.0.21:554');
    expect(name('rtsp://admin:pass word@cam/1')).not.toContain('pass word');
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const event = detectionEvent({ capturedAt: 5, detections: [{ className: 'person', confidence: 0.9 }] }, { id: 'gate', name: 'Front gate' }, jpeg);
    expect(event).toEqual({ at: 5, camera: 'Front gate', cameraId: 'gate', detections: [{ className: 'person', confidence: 0.9 }], snapshot: jpeg });
  });
});
