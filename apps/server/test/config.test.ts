import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cameraConfigs, ConfigError, configLeaves, envName, loadConfig } from '../src/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'cctv-config-'));
let n = 0;
function file(content: unknown): string {
  const path = join(dir, `config-${n++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problems(content: unknown, env: Record<string, string> = {}): string {
  try {
    loadConfig({ file: file(content), env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the config to be refused');
}

/** Part 6 of the seed document, character for character: the config its users already have. */
export const SEED_CONFIG = `{
  "camera_url": "rtsp://admin:password@192.168.1.100:554/stream1",
  "target_fps": 15,
  "jpeg_quality": 65,
  "detection_enabled": true,
  "model_path": "best.engine",

  "sheets_enabled": true,
  "sheets_config": {
    "webapp_url": "https://script.google.com/...",
    "poll_interval": 5
  },

  "telegram_enabled": true,
  "telegram_config": {
    "bot_token": "...",
    "chat_id": "..."
  },

  "server": {
    "port": 5001,
    "host": "0.0.0.0"
  }
}
`;

describe('config', () => {
  it("loads the seed's example config as it is; config.example.json is that text", async () => {
    expect(await Bun.file(join(import.meta.dirname, '../../../config.example.json')).text()).toBe(SEED_CONFIG);
    const { config } = loadConfig({ file: file(SEED_CONFIG) });
    expect(config.sheets_enabled).toBe(true);
    expect(config.sheets_config.webapp_url).toBe('https://script.google.com/...');
    expect(config.telegram_enabled).toBe(true);
    expect(config.telegram_config).toMatchObject({ bot_token: '...', chat_id: '...' });
    expect(config.camera_url).toBe('rtsp://admin:password@192.168.1.100:554/stream1');
    expect(config.target_fps).toBe(15);
    expect(config.jpeg_quality).toBe(65);
    expect(config.detection_enabled).toBe(true);
    expect(config.model_path).toBe('best.engine');
    expect(config.sheets_config.poll_interval).toBe(5);
    expect(config.server).toMatchObject({ port: 5001, host: '0.0.0.0', stream_keepalive_s: 5, auth: { tokens: [] }, trust_proxy: false, cors_origins: [], openapi: true });
  });

  it('fills every default with no file: the demo source on port 5001', () => {
    const { config, origin } = loadConfig();
    expect(origin).toBe('built-in defaults');
    expect(config).toMatchObject({ camera_url: 'demo:', target_fps: 15, jpeg_quality: 65, detection_enabled: false, server: { port: 5001, host: '0.0.0.0' } });
  });

  it('lets the environment override the file, and flags override both', () => {
    const path = file({ camera_url: 'rtsp://cam/1', server: { port: 6000 } });
    const env = { CCTV_CAMERA_URL: 'demo:640x360', CCTV_SERVER_PORT: '7000', CCTV_DETECTION_ENABLED: 'true' };
    expect(loadConfig({ file: path, env }).config).toMatchObject({ camera_url: 'demo:640x360', detection_enabled: true, server: { port: 7000 } });
    expect(loadConfig({ file: path, env, overrides: { port: 8000 } }).config.server.port).toBe(8000);
  });

  it('checks each layer before merging: a bad file key is refused even when a flag overrides it', () => {
    const path = file({ server: 'localhost' });
    expect(() => loadConfig({ file: path, overrides: { port: 5001 } })).toThrow(/server: got "localhost", expected an object/);
    expect(() => loadConfig({ file: file({ server: { port: 'abc' } }), env: { CCTV_SERVER_PORT: '5002' } })).toThrow(/server\.port: got "abc"/);
    expect(() => loadConfig({ file: file({ server: { port: 5001 } }), env: { CCTV_SERVER_PORT: 'x' }, overrides: { port: 5003 } })).toThrow(
      /server\.port \(from CCTV_SERVER_PORT\): got "x"/,
    );
  });

  it("keeps an integration off unless the seed's switch is on, even with its settings filled in", () => {
    const filled = { sheets_config: { webapp_url: 'https://script.google.com/x' }, telegram_config: { bot_token: '1:abc', chat_id: 5 } };
    expect(loadConfig({ file: file(filled) }).config).toMatchObject({ sheets_enabled: false, telegram_enabled: false });
    expect(loadConfig({ file: file({ ...filled, telegram_enabled: true }) }).config).toMatchObject({ sheets_enabled: false, telegram_enabled: true });
    expect(loadConfig({ file: file(filled), env: { CCTV_SHEETS_ENABLED: 'true' } }).config.sheets_enabled).toBe(true);
  });

  it('names each setting an integration that is on still needs', () => {
    const message = problems({ sheets_enabled: true, telegram_enabled: true, telegram_config: { chat_id: 5 } });
    expect(message).toMatch(/telegram_config\.bot_token: required when telegram_enabled is true/);
    expect(message).not.toMatch(/chat_id/);
    expect(message).toMatch(/sheets_config\.webapp_url: required when sheets_enabled is true/);
    expect(problems({ telegram_enabled: true, telegram_config: { bot_token: '1:abc' } })).toMatch(/telegram_config\.chat_id: required when telegram_enabled is true/);
    expect(problems({ sheets_enabled: true, sheets_config: { credentials_file: '/k.json' } })).toMatch(/sheets_config\.spreadsheet_id: required with sheets_config\.credentials_file/);
  });

  it('takes sheets_config.enabled / telegram_config.enabled as the same switch, and refuses the two set apart', () => {
    const { config } = loadConfig({ file: file({ telegram_config: { enabled: true, bot_token: '1:abc', chat_id: 5 } }) });
    expect(config.telegram_enabled).toBe(true);
    expect(config.telegram_config).not.toHaveProperty('enabled');
    expect(problems({ telegram_enabled: false, telegram_config: { enabled: true } })).toMatch(/telegram_config\.enabled: got true while telegram_enabled is false: they are one switch; keep telegram_enabled/);
    expect(loadConfig({ file: file({ sheets_enabled: false, sheets_config: { enabled: false } }) }).config.sheets_enabled).toBe(false);
  });

  it('takes many cameras, each over the top-level defaults, in config order; without `cameras` camera_url is the one camera, "default"', () => {
    const { config } = loadConfig({
      file: file({
        cameras: {
          door: { camera_url: 'rtsp://admin:pw@10.0.0.21:554/stream1', detection_enabled: true },
          yard: { camera_url: 'rtsp://admin:pw@10.0.0.22:554/stream1', target_fps: 10, jpeg_quality: 60, detection: { classes: ['car'] } },
          lobby: { camera_url: 'http://10.0.0.23/video.mjpg', name: 'Lobby (ground floor)' },
        },
        target_fps: 15,
        detection: { confidence: 0.4 },
        model_path: 'models/best.onnx',
      }),
    });
    const cameras = cameraConfigs(config);
    expect(cameras.map((c) => [c.id, c.name, c.target_fps, c.jpeg_quality, c.detection_enabled])).toEqual([
      ['door', 'door', 15, 65, true],
      ['yard', 'yard', 10, 60, false],
      ['lobby', 'Lobby (ground floor)', 15, 65, false],
    ]);
    // detection.* merge key by key: the camera's classes, the top level's confidence.
    expect(cameras[1]!.detection).toMatchObject({ classes: ['car'], confidence: 0.4, iou: 0.45 });
    expect(cameras[0]!.detection.classes).toEqual([]);
    expect(cameraConfigs(loadConfig({ file: file({ camera_url: 'demo:640x360' }) }).config)).toEqual([
      expect.objectContaining({ id: 'default', name: 'demo:640x360', camera_url: 'demo:640x360' }),
    ]);
  });

  it('takes the whole camera map from CCTV_CAMERAS as JSON, and single keys as usual', () => {
    const env = { CCTV_CAMERAS: JSON.stringify({ a: { camera_url: 'demo:' }, b: { camera_url: 'demo:640x360', target_fps: 5 } }), CCTV_TARGET_FPS: '12' };
    const cameras = cameraConfigs(loadConfig({ env }).config);
    expect(cameras.map((c) => [c.id, c.target_fps])).toEqual([['a', 12], ['b', 5]]);
    expect(() => loadConfig({ env: { CCTV_CAMERAS: '{not json' } })).toThrow(/cameras \(from CCTV_CAMERAS\): got "\{not json", expected an object/);
  });

  it('refuses bad camera ids, camera_url beside cameras (saying which to keep), an empty map and unknown camera keys', () => {
    expect(problems({ cameras: { 'Front Door': { camera_url: 'demo:' } } })).toMatch(/cameras\.Front Door: not a camera id; expected 1 to 32 lowercase letters, digits, _ or -/);
    expect(problems({ camera_url: 'rtsp://u:secret@cam/1', cameras: { door: { camera_url: 'demo:' } } })).toMatch(
      /camera_url and cameras are both set: keep cameras and move this camera into it \(e\.g\. "cameras": \{"default": \{"camera_url": "rtsp:\/\/u:\*\*\*@cam\/1"\}\}\), or remove cameras/,
    );
    expect(problems({ cameras: {} })).toMatch(/cameras: got an empty map, expected at least one camera/);
    expect(problems({ cameras: { door: { camera_url: 'demo:', target_fsp: 5 } } })).toMatch(/cameras\.door\.target_fsp: unknown key \(did you mean "target_fps"\?\)/);
    expect(problems({ cameras: { door: { target_fps: 5 } } })).toMatch(/cameras\.door\.camera_url: got nothing, expected a non-empty string/);
    expect(problems({ cameras: { door: { camera_url: 'demo:', jpeg_quality: 0 } } })).toMatch(/cameras\.door\.jpeg_quality: got 0, expected a whole number from 1 to 100/);
  });

  it('names an environment variable for every scalar key', () => {
    const names = configLeaves().map((leaf) => envName(leaf.path));
    expect(names).toContain('CCTV_SERVER_PORT');
    expect(names).toContain('CCTV_TELEGRAM_CONFIG_BOT_TOKEN');
    expect(new Set(names).size).toBe(names.length);
  });

  const malformed: Array<[string, unknown, RegExp]> = [
    ['a port that is a word', { server: { port: 'abc' } }, /server\.port: got "abc", expected a whole number from 1 to 65535/],
    ['a port out of range', { server: { port: 70000 } }, /server\.port: got 70000, expected a whole number from 1 to 65535/],
    ['a fraction of a port', { server: { port: 50.5 } }, /server\.port: got 50\.5/],
    ['target_fps of 0', { target_fps: 0 }, /target_fps: got 0, expected a number from 1 to 60/],
    ['target_fps as a string', { target_fps: '15' }, /target_fps: got "15", expected a number/],
    ['jpeg_quality above 100', { jpeg_quality: 101 }, /jpeg_quality: got 101, expected a whole number from 1 to 100/],
    ['detection_enabled as "yes"', { detection_enabled: 'yes' }, /detection_enabled: got "yes", expected true or false/],
    ['an empty camera_url', { camera_url: '' }, /camera_url: got "", expected a non-empty string/],
    ['camera_url as a number', { camera_url: 5 }, /camera_url: got 5, expected a non-empty string/],
    ['a misspelt key', { camera_ulr: 'rtsp://x' }, /camera_ulr: unknown key \(did you mean "camera_url"\?\)/],
    ['an unknown server key', { server: { prot: 5001 } }, /server\.prot: unknown key \(did you mean "port"\?\)/],
    ['server as a list', { server: [] }, /server: got a list, expected an object/],
    ['poll_interval of 0', { sheets_config: { poll_interval: 0 } }, /sheets_config\.poll_interval: got 0, expected a number ≥ 1/],
    ['a host that is empty', { server: { host: '' } }, /server\.host: got "", expected a non-empty string/],
  ];
  it.each(malformed)('refuses %s, naming the key, the value and what was expected', (_name, content, message) => {
    expect(problems(content)).toMatch(message);
  });

  it('refuses a file that is not JSON, or not an object, saying so', () => {
    expect(problems('{ "camera_url": ')).toMatch(/not valid JSON/);
    expect(problems('[1, 2]')).toMatch(/top level must be a JSON object/);
    expect(() => loadConfig({ file: join(dir, 'missing.json') })).toThrow(/config file not found/);
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(problems({}, { CCTV_SERVER_PORT: 'eighty' })).toMatch(/server\.port \(from CCTV_SERVER_PORT\): got "eighty"/);
  });

  it('detection.backend: auto by default, one of three choices, from the file or CCTV_DETECTION_BACKEND', () => {
    expect(loadConfig({}).config.detection.backend).toBe('auto');
    expect(loadConfig({ env: { CCTV_DETECTION_BACKEND: 'tensorrt' } }).config.detection.backend).toBe('tensorrt');
    expect(problems({ detection: { backend: 'cuda' } })).toMatch(/detection\.backend: got "cuda", expected "auto", "onnxruntime" or "tensorrt"/);
  });

  it('never prints a secret it refuses', () => {
    const message = problems({ telegram_config: { bot_token: 12345 }, camera_url: 7, server: { port: 'x' } });
    expect(message).toMatch(/telegram_config\.bot_token: got \(a hidden value\)/);
    expect(message).not.toContain('12345');
  });
});

describe('the README config table', () => {
  it('is the one generated from the schema (run `bun run docs:config` after changing it)', async () => {
    const { configTable, TABLE_START, TABLE_END } = await import('../src/config-doc.ts');
    const readme = await Bun.file(join(import.meta.dirname, '../../../README.md')).text();
    const inReadme = readme.slice(readme.indexOf(TABLE_START) + TABLE_START.length, readme.indexOf(TABLE_END)).trim();
    expect(inReadme).toBe(configTable().trim());
    for (const key of ['camera_url', 'target_fps', 'jpeg_quality', 'server.port']) expect(inReadme).toContain(`\`${key}\``);
  });
});
