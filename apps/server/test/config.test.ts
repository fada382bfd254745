import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configLeaves, envName, loadConfig } from '../src/config.ts';

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

describe('config', () => {
  it("loads the seed's example config.json as it is", () => {
    const { config } = loadConfig({ file: join(import.meta.dirname, '../../../config.example.json') });
    expect(config.camera_url).toBe('rtsp://admin:password@192.168.1.100:554/stream1');
    expect(config.target_fps).toBe(15);
    expect(config.jpeg_quality).toBe(65);
    expect(config.detection_enabled).toBe(true);
    expect(config.model_path).toBe('best.engine');
    expect(config.sheets_config.poll_interval).toBe(5);
    expect(config.telegram_config.chat_id).toBe('-1001234567890');
    expect(config.server).toEqual({ port: 5001, host: '0.0.0.0', stream_keepalive_s: 5, auth: { tokens: [] }, trust_proxy: false, cors_origins: [], openapi: true });
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
