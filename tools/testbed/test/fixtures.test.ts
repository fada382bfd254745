import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixturePath, fixturesDir, jpegSize, requireFixtures } from '../src/index.ts';

const saved = { SHARED_FIXTURES: process.env.SHARED_FIXTURES, CI: process.env.CI };
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  vi.restoreAllMocks();
});

describe('fixtures', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'testbed-fixtures-'));
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images/a.jpg'), '');
    process.env.SHARED_FIXTURES = dir;
    delete process.env.CI;
    return () => rmSync(dir, { recursive: true });
  });

  it('default to ../shared/fixtures beside the repository, whatever the cwd', async () => {
    const expected = resolve(import.meta.dirname, '../../../../shared/fixtures');
    delete process.env.SHARED_FIXTURES;
    expect(fixturesDir()).toBe(expected);
    const source = resolve(import.meta.dirname, '../src/fixtures.ts');
    const env = { ...process.env };
    const elsewhere = Bun.spawn([process.execPath, '-e', `console.log((await import(${JSON.stringify(source)})).fixturesDir())`], { cwd: tmpdir(), env, stdout: 'pipe' });
    expect((await new Response(elsewhere.stdout).text()).trim()).toBe(expected);
  });

  it('give the path of a fixture that is there', () => {
    expect(fixturePath('images/a.jpg')).toBe(join(dir, 'images/a.jpg'));
    expect(requireFixtures('images/a.jpg')).toEqual([join(dir, 'images/a.jpg')]);
  });

  it('give undefined and a warning naming what is missing, so a test can skip loudly', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(fixturePath('video/gone.mp4')).toBeUndefined();
    expect(requireFixtures('images/a.jpg', 'models/gone.onnx', 'video/gone.mp4')).toBeUndefined();
    expect(warn.mock.calls.map((c) => c.join(' '))).toEqual([
      expect.stringContaining('video/gone.mp4'),
      expect.stringMatching(/models\/gone\.onnx, video\/gone\.mp4: missing from/),
    ]);
  });

  it('throw under CI=true, where the tests are required', () => {
    process.env.CI = 'true';
    expect(() => requireFixtures('images/a.jpg', 'models/gone.onnx')).toThrow(/fixtures missing from .*: models\/gone\.onnx \(required under CI=true/);
    expect(() => fixturePath('video/gone.mp4')).toThrow(/video\/gone\.mp4/);
  });
});

const bus = fixturePath('images/bus.jpg');
describe('the shared fixtures', () => {
  it.skipIf(!bus)('are found without SHARED_FIXTURES', async () => {
    expect(jpegSize(new Uint8Array(await Bun.file(bus!).arrayBuffer()))).toEqual({ width: 810, height: 1080 });
  });
});
