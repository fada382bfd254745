import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freeLoopbackPort, jpegSize, readMjpegParts, requireFixtures, SERVER_MAIN } from '@cctv/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The user's story: download one file and run it. `bun run build:binary` builds both executables;
 * the one for this machine, copied alone into an empty folder and run with nothing else (no Bun or
 * node on PATH, no node_modules up the tree, an empty HOME), serves the API, the demo stream and
 * the dashboard, and detects people with a user's model. The other one runs the same smoke test
 * under qemu-user where Debian's qemu-user-static and the arm64 C/C++ runtime are installed
 * (scripts/test.sh installs them); detection is left out there: emulated inference takes minutes.
 */

const REPO = resolve(import.meta.dirname, '..');
const fixtures = requireFixtures('video/people-720p.mp4', 'models/yolox_nano.onnx');
const HOST = `linux-${process.arch}`;
const FOREIGN = HOST === 'linux-x64' ? 'linux-arm64' : 'linux-x64';
const ELF_MACHINE: Record<string, number> = { 'linux-x64': 62, 'linux-arm64': 183 };

/** qemu-user for the other architecture, and its C runtime, or undefined (loudly; required under CI=true on x64). */
function emulator(): string | undefined {
  const [qemu, loader] = FOREIGN === 'linux-arm64' ? ['qemu-aarch64-static', '/lib/ld-linux-aarch64.so.1'] : ['qemu-x86_64-static', '/lib64/ld-linux-x86-64.so.2'];
  const path = Bun.which(qemu);
  if (path && existsSync(loader)) return path;
  const missing = `${path ? '' : `${qemu} (apt-get install qemu-user-static) `}${existsSync(loader) ? '' : `${loader} (the ${FOREIGN} C runtime: Debian multiarch)`}`;
  if (process.env.CI === 'true' && HOST === 'linux-x64') throw new Error(`cannot run the ${FOREIGN} executable: missing ${missing}`);
  console.warn(`SKIPPING the ${FOREIGN} executable's smoke test: missing ${missing}`);
  return undefined;
}

/** An empty folder with only the executable in it, an empty HOME, and a PATH holding only what is named. */
function isolate(executable: string, onPath: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-binary-'));
  made.push(dir);
  const exe = join(dir, 'cctv-server');
  copyFileSync(executable, exe);
  const home = join(dir, 'home');
  const bin = join(dir, 'bin');
  mkdirSync(home);
  mkdirSync(bin);
  for (const [name, target] of Object.entries(onPath)) symlinkSync(target, join(bin, name));
  return { dir, exe, home, env: { HOME: home, PATH: bin } };
}
const made: string[] = [];

interface Running {
  url: string;
  output(): string;
  status(): Promise<any>;
  stop(): Promise<number>;
}

/** Starts the executable (through qemu when given) in `dir`, and waits until /api/health answers. */
async function start(options: { exe: string; dir: string; env: Record<string, string>; config?: Record<string, unknown>; qemu?: string; timeoutMs?: number }): Promise<Running> {
  const port = await freeLoopbackPort();
  writeFileSync(join(options.dir, 'config.json'), JSON.stringify({ ...options.config, server: { host: '127.0.0.1' } }));
  // Started by path, in its own folder, where ./config.json is found as when a user runs it.
  const proc = Bun.spawn([...(options.qemu ? [options.qemu] : []), options.exe, '--port', String(port)], { cwd: options.dir, env: options.env, stdout: 'pipe', stderr: 'pipe' });
  let output = '';
  const decoder = new TextDecoder();
  void (async () => { for await (const c of proc.stdout) output += decoder.decode(c); })();
  void (async () => { for await (const c of proc.stderr) output += decoder.decode(c); })();
  const url = `http://127.0.0.1:${port}`;
  const running: Running = {
    url,
    output: () => output,
    status: () => fetch(`${url}/api/status`).then((r) => r.json()),
    async stop() {
      proc.kill('SIGTERM');
      return proc.exited;
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`the executable exited with ${proc.exitCode}:\n${output}`);
    if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) return running;
    await Bun.sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`/api/health did not answer within ${options.timeoutMs ?? 15_000} ms:\n${output}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await Bun.sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** The checks every executable must pass: health, JPEG parts from the demo source, the dashboard. */
async function smokeTest(server: Running, options: { streamMs: number; minParts: number }) {
  const health = await fetch(`${server.url}/api/health`).then((r) => r.json());
  expect(health.status).toBe('healthy');

  await waitFor('the demo source streaming', async () => ((await server.status()).status === 'Streaming' ? true : undefined), 60_000);
  const stream = await readMjpegParts(`${server.url}/api/stream/video`, { durationMs: options.streamMs, keepBodies: 5 });
  expect(stream.errors).toEqual([]);
  expect(stream.parts.length).toBeGreaterThanOrEqual(options.minParts);
  const last = stream.parts.at(-1)!;
  expect(jpegSize(last.body)).toEqual({ width: 1280, height: 720 });

  const page = await fetch(`${server.url}/`);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(await page.text()).toContain('dashboard.js');
  for (const path of ['/dashboard.js', '/dashboard.css', '/vendor/socket.io.min.js']) {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status, path).toBe(200);
    expect((await response.text()).length, path).toBeGreaterThan(100);
  }
}

describe('the server as one executable', () => {
  const built: Record<string, string> = {};

  beforeAll(async () => {
    // As a user (or a release job) builds them: both targets, into dist/.
    const build = Bun.spawn(['bun', 'run', 'build:binary'], { cwd: REPO, stdout: 'pipe', stderr: 'pipe' });
    const [out, err] = await Promise.all([new Response(build.stdout).text(), new Response(build.stderr).text()]);
    if ((await build.exited) !== 0) throw new Error(`bun run build:binary failed:\n${out}\n${err}`);
    console.log(out.trim());
    for (const target of ['linux-x64', 'linux-arm64']) built[target] = join(REPO, 'dist', `cctv-server-${target}`);
  }, 300_000);

  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('builds dist/cctv-server-linux-x64 and dist/cctv-server-linux-arm64, each one ELF executable for its CPU', () => {
    for (const [target, path] of Object.entries(built)) {
      const head = readFileSync(path).subarray(0, 20);
      expect([...head.subarray(0, 4)], target).toEqual([0x7f, 0x45, 0x4c, 0x46]);
      expect(head.readUInt16LE(18), target).toBe(ELF_MACHINE[target]);
      expect(readFileSync(`${path}.sha256`, 'utf8'), target).toContain(new Bun.CryptoHasher('sha256').update(readFileSync(path)).digest('hex'));
    }
  });

  it('runs alone: no Bun, no node, no node_modules; --version says what is inside', async () => {
    const { dir, exe, env } = isolate(built[HOST]!);
    for (let up = dir; up !== dirname(up); up = dirname(up)) expect(existsSync(join(up, 'node_modules')), up).toBe(false);
    expect(Bun.which('bun', { PATH: env.PATH })).toBeNull();
    expect(Bun.which('node', { PATH: env.PATH })).toBeNull();

    const proc = Bun.spawn([exe, '--version'], { cwd: dir, env, stdout: 'pipe', stderr: 'pipe' });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out).toMatch(new RegExp(`^cctv-server \\d+\\.\\d+\\.\\d+ \\(${HOST} executable, built \\S+ from \\S+\\)`));
    expect(out).toContain(`Bun ${Bun.version}`);
    expect(out).toMatch(/onnxruntime-node \d+\.\d+\.\d+/);
    expect(out).toMatch(/sharp \d+\.\d+\.\d+ \(libvips \d+\.\d+\.\d+\)/);

    // The same flag from source, in the same words.
    const fromSource = Bun.spawn([process.execPath, SERVER_MAIN, '--version'], { stdout: 'pipe' });
    const sourceOut = await new Response(fromSource.stdout).text();
    expect(sourceOut).toMatch(/^cctv-server \d+\.\d+\.\d+ \(from source\)/);
    expect(sourceOut).toContain(`Bun ${Bun.version}`);
    expect(sourceOut).toMatch(/sharp \d+\.\d+\.\d+ \(libvips \d+\.\d+\.\d+\)/);
  });

  it('serves the API, the demo stream and the dashboard, and unpacks only the image library it needs', async () => {
    const { dir, exe, home, env } = isolate(built[HOST]!);
    // With the system's libjpeg-turbo, nothing needs unpacking for video.
    const server = await start({ exe, dir, env, config: { camera_url: 'demo:' } });
    try {
      await smokeTest(server, { streamMs: 2000, minParts: 15 });
      expect((await server.status()).encoder.name).toBe('libjpeg-turbo (libturbojpeg.so.0)');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(existsSync(join(home, '.cache/cctv-server')) ? readdirSync(join(home, '.cache/cctv-server')) : []).toEqual([]);
    // Without it (TURBOJPEG_PATH names no file, as on a box without libturbojpeg0), sharp encodes:
    // its libraries are unpacked into ~/.cache on first use; ONNX Runtime only once detection is on.
    const withoutTurbo = await start({ exe, dir, env: { ...env, TURBOJPEG_PATH: '/nonexistent/libturbojpeg.so.0' }, config: { camera_url: 'demo:' } });
    try {
      await smokeTest(withoutTurbo, { streamMs: 1000, minParts: 5 });
      expect((await withoutTurbo.status()).encoder.name).toMatch(/^sharp [\d.]+ \(libvips [\d.]+\)$/);
    } finally {
      expect(await withoutTurbo.stop()).toBe(0);
    }
    expect(readdirSync(join(home, '.cache/cctv-server'))).toEqual([expect.stringMatching(new RegExp(`^sharp-[\\d.]+-${HOST}-[0-9a-f]{12}$`))]);
  });

  it.skipIf(!fixtures)("detects people with a user's .onnx model, on a video file read by the system's ffmpeg", async () => {
    const [video, model] = fixtures!;
    const { dir, exe, home, env } = isolate(built[HOST]!, { ffmpeg: Bun.which('ffmpeg')! });
    // The model beside the executable, named relative to where it runs, as a user would.
    copyFileSync(model, join(dir, 'yolox_nano.onnx'));
    const server = await start({ exe, dir, env, config: { camera_url: video, detection_enabled: true, model_path: 'yolox_nano.onnx' } });
    try {
      const status = await waitFor('detection running', async () => {
        const s = await server.status();
        if (s.detection.state === 'failed') throw new Error(`detection failed: ${s.detection.reason}`);
        return s.status === 'Streaming' && s.detection.state === 'running' && s.detection.frames_detected > 3 ? s : undefined;
      }, 60_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${server.output()}`);
      });
      expect(status.detection.backend).toContain('onnxruntime-node');
      const found = await waitFor('a person in /api/detections', async () => {
        const body = await fetch(`${server.url}/api/detections`).then((r) => r.json());
        return body.detections.some((d: { class_name: string }) => d.class_name === 'person') ? body : undefined;
      }, 20_000);
      expect(found.width).toBe(1280);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(readdirSync(join(home, '.cache/cctv-server'))).toEqual([expect.stringMatching(/^onnxruntime-node-/)]);
  }, 120_000);

  it('says clearly that ffmpeg is missing when a real camera needs it', async () => {
    const { dir, exe, env } = isolate(built[HOST]!);
    const server = await start({ exe, dir, env, config: { camera_url: 'rtsp://127.0.0.1:1/stream' } });
    try {
      const status = await waitFor('the camera failing', async () => {
        const s = await server.status();
        return s.camera.reason ? s : undefined;
      }, 15_000);
      expect(status.camera.reason).toContain('ffmpeg not found: install it (apt-get install ffmpeg) or set FFMPEG_PATH');
      expect((await fetch(`${server.url}/api/health`)).ok).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('says which folder to set when it has nowhere to unpack its native libraries, and keeps answering', async () => {
    const { dir, exe, env } = isolate(built[HOST]!);
    // HOME and the temp folder are files: no cache folder can be made under them; and no
    // libjpeg-turbo on the system, so sharp's libraries are needed for the video.
    writeFileSync(join(dir, 'not-a-folder'), '');
    const server = await start({
      exe,
      dir,
      env: { ...env, HOME: join(dir, 'not-a-folder'), TMPDIR: join(dir, 'not-a-folder'), TURBOJPEG_PATH: '/nonexistent/libturbojpeg.so.0' },
      config: { camera_url: 'demo:' },
    });
    try {
      const status = await waitFor('the pipeline failing', async () => {
        const s = await server.status();
        return s.camera.reason?.includes('cannot unpack') ? s : undefined;
      }, 15_000);
      expect(status.camera.reason).toMatch(/cannot unpack the native library sharp-.*ENOTDIR.*Set XDG_CACHE_HOME \(or systemd CacheDirectory=\)/);
      expect((await fetch(`${server.url}/api/health`)).ok).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it(`runs the ${FOREIGN} executable's smoke test under qemu-user: health, demo stream, dashboard`, async (context) => {
    const qemu = emulator();
    if (!qemu) return context.skip();
    const { dir, exe, env } = isolate(built[FOREIGN]!);
    const version = Bun.spawn([qemu, exe, '--version'], { cwd: dir, env, stdout: 'pipe' });
    expect(await new Response(version.stdout).text()).toContain(`(${FOREIGN} executable`);
    // Emulated: ~5 s to answer, a few frames a second.
    const server = await start({ exe, dir, env, qemu, config: { camera_url: 'demo:' }, timeoutMs: 90_000 });
    try {
      await smokeTest(server, { streamMs: 4000, minParts: 3 });
    } finally {
      await server.stop();
    }
  }, 240_000);
});
