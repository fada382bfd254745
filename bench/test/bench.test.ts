// Each bench for a second or two, so that none rots: it runs, exits 0, and reports what it should.
// Timings are never asserted: this machine's load decides them.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fixturePath, processesMatching } from '@cctv/testbed';
import { afterAll, describe, expect, it } from 'vitest';
import type { BinaryResults } from '../binary.ts';
import type { CamerasResults } from '../cameras.ts';
import type { DecodersResults } from '../decoders.ts';
import type { EncodeResults } from '../encode.ts';
import type { FanoutResults } from '../fanout.ts';
import type { H264Results } from '../h264.ts';
import type { LatencyResults } from '../latency.ts';
import type { MemoryResults } from '../memory.ts';
import type { SlowClientResults } from '../slow-client.ts';
import type { TrackerResults } from '../tracker.ts';

const dir = mkdtempSync(join(tmpdir(), 'cctv-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasVideo = fixturePath('video/people-720p.mp4') !== undefined;

/** Runs `bun bench/<name>.ts …args --json FILE`; its markdown and its JSON results. */
async function bench<T>(name: string, args: string[]): Promise<{ markdown: string; results: T }> {
  const json = join(dir, `${name}-${Date.now()}.json`);
  const proc = Bun.spawn([process.execPath, resolve(import.meta.dirname, `../${name}.ts`), ...args, '--json', json], { stdout: 'pipe', stderr: 'pipe' });
  const [markdown, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`bench/${name}.ts exited ${code}:\n${markdown}\n${stderr}`);
  return { markdown, results: JSON.parse(readFileSync(json, 'utf8')) as T };
}

describe('benchmarks (smoke: a second or two each)', () => {
  it.skipIf(!hasVideo)("encode: the server's encoder, sharp and the libjpeg-turbo floor on frames of the fixture clip", async () => {
    const { markdown, results } = await bench<EncodeResults>('encode', ['--frames', '4', '--rounds', '1']);
    expect(markdown).toContain('| encoder | ms p50 |');
    expect(results.frames).toBe(4);
    expect(results.server).toBe('libjpeg-turbo (libturbojpeg.so.0)');
    expect(results.variants[0]!.name).toBe(`the server's encoder: ${results.server}`);
    expect(results.variants.at(-1)!.name).toMatch(/^libjpeg-turbo .*called directly/);
    for (const v of results.variants) expect(Number.isFinite(v.ratio)).toBe(true);
    for (const v of results.variants) expect(v.kb).toBeGreaterThan(10);
  });

  it('latency: every frame the viewer got carries a readable stamp, and every stage is measured', async () => {
    const { markdown, results } = await bench<LatencyResults>('latency', ['--seconds', '2', '--scene', 'pattern', '--floor-frames', '15']);
    expect(markdown).toContain('camera → viewer');
    expect(results.parts).toBeGreaterThan(5);
    expect(results.unreadable).toBe(0);
    expect(results.glassToGlass.n).toBe(results.parts - 1);
    expect(results.server.n).toBeGreaterThan(0);
    expect(results.stages.toCapture.n).toBe(results.server.n);
    expect(results.floor.decodeMs).toBeGreaterThan(0);
    expect(results.floor.encodeMs).toBeGreaterThan(0);
  });

  it('latency of the demo source: stamps read back, no camera stages', async () => {
    const { results } = await bench<LatencyResults>('latency', ['--seconds', '2', '--source', 'demo']);
    expect(results.source).toBe('demo');
    expect(results.unreadable).toBe(0);
    expect(results.glassToGlass.n).toBeGreaterThan(5);
  });

  it('decoders: ffmpeg (and GStreamer, where avdec_h264 is installed) read the stamped camera', async () => {
    const { results } = await bench<DecodersResults>('decoders', ['--seconds', '3']);
    expect(results.readers[0]!.latency.n).toBeGreaterThan(0);
    expect(results.readers).toHaveLength(2);
  });

  it('fanout: viewers in other processes, CPU, RSS and /api/health round trips per step', async () => {
    const { markdown, results } = await bench<FanoutResults>('fanout', ['--clients', '2,4', '--seconds', '2', '--scene', 'pattern']);
    expect(markdown).toContain('| viewers |');
    expect(results.steps.map((s) => s.clients)).toEqual([2, 4]);
    for (const step of results.steps) {
      expect(step.fpsMedian).toBeGreaterThan(0);
      expect(step.rssPeakMb).toBeGreaterThan(10);
      expect(step.health.n).toBeGreaterThan(0);
      expect(step.formatErrors).toBe(0);
    }
  });

  it('slow-client: normal viewers with and without one throttled viewer', async () => {
    const { results } = await bench<SlowClientResults>('slow-client', ['--clients', '3', '--seconds', '2', '--scene', 'pattern']);
    expect(results.alone.fpsMedian).toBeGreaterThan(0);
    expect(results.withSlow.fpsMedian).toBeGreaterThan(0);
    expect(results.withSlow.slow?.bytes).toBeGreaterThan(0);
    expect(results.rss.length).toBeGreaterThan(2);
  });

  it('memory: RSS at each state and a slope over the soak', async () => {
    const { results } = await bench<MemoryResults>('memory', ['--minutes', '0.05', '--clients', '3', '--settle', '1', '--scene', 'pattern']);
    expect(results.startedMb).toBeGreaterThan(10);
    expect(results.oneCameraMb).toBeGreaterThan(10);
    expect(Number.isFinite(results.soak.slopeMbPerMin)).toBe(true);
  });

  it.skipIf(!hasVideo)('cameras: 1 and 2 cameras unwatched (nothing encoded) and watched, memory by part, detection share, one camera killed', async () => {
    const { markdown, results } = await bench<CamerasResults>('cameras', ['--cameras', '1,2', '--seconds', '2', '--settle', '1', '--sharing-cameras', '2', '--detection-cameras', '2', '--failure-cameras', '2']);
    expect(markdown).toContain('| cameras | state |');
    expect(results.steps.map((s) => s.cameras)).toEqual([1, 2]);
    for (const step of results.steps) {
      // Unwatched: no viewer and no detection, so not one JPEG; watched: every camera's viewer got frames.
      expect(step.unwatched.framesEncoded).toEqual(Array(step.cameras).fill(0));
      expect(step.unwatched.viewerFps).toEqual([]);
      expect(step.watched.viewerFps).toHaveLength(step.cameras);
      for (const fps of step.watched.viewerFps) expect(fps).toBeGreaterThan(0);
      for (const encoded of step.watched.framesEncoded) expect(encoded).toBeGreaterThan(0);
      expect(step.watched.decoders).toBe(step.cameras);
      expect(step.watched.rssMedianMb).toBeGreaterThan(10);
      expect(step.watched.decodersPssMb).toBeGreaterThan(0);
    }
    expect(Number.isFinite(results.rssPerCameraMb.watched)).toBe(true);
    expect(results.notAnswering.map((a) => a.cameras)).toEqual([1, 2]);
    expect(results.workerCost.map((w) => [w.kind, w.workers])).toEqual([['empty', 2], ['pipeline', 2], ['capture', 2], ['capture', 1]]);
    for (const w of results.workerCost.filter((w) => w.kind === 'capture')) expect(w.fps).toBeGreaterThan(0);
    if (fixturePath('models/yolox_nano.onnx')) {
      expect(results.detection!.alone.detectionFps[0]).toBeGreaterThan(0);
      expect(results.detection!.withoutDetection.detectionFps).toEqual([0, 0]);
      expect(results.detection!.withoutDetection.viewerFps).toHaveLength(2);
      expect(results.detection!.shared.detectionFps).toHaveLength(2);
      for (const fps of results.detection!.shared.detectionFps) expect(fps).toBeGreaterThan(0);
    }
    // The killed camera's viewer got nothing afterwards and the server says why; the other still streams.
    expect(results.failure!.after.viewerFps[1]).toBe(0);
    expect(results.failure!.failedStatus).toMatch(/^(Reconnecting|Connecting|Connected)/);
    expect(results.failure!.after.viewerFps[0]).toBeGreaterThan(0);
  }, 300_000);

  it.skipIf(!hasVideo)("h264: bytes of the camera's H.264 and of MJPEG, the stamp read off Chromium's picture on each path, H.264 and MJPEG viewers", async () => {
    const { markdown, results } = await bench<H264Results>('h264', ['--seconds', '3', '--viewers', '4', '--rounds', '1']);
    expect(markdown).toContain('| bytes per viewer-second ≥ 5× fewer than MJPEG q65');
    expect(results.bytes!.h264).toBeGreaterThan(0);
    expect(results.bytes!.mjpeg).toBeGreaterThan(results.bytes!.h264);
    expect(results.latency!.paths.map((p) => p.path)).toHaveLength(4);
    for (const path of results.latency!.paths) expect(path.latency.n, path.path).toBeGreaterThan(5);
    expect(results.fanout!.steps.map((s) => [s.path, s.viewers])).toEqual([['h264', 4], ['mjpeg', 4]]);
    for (const step of results.fanout!.steps) expect(step.fpsMedian, step.path).toBeGreaterThan(5);
  });

  it('tracker: its cost per frame for each crowd, and the ids one person gets at each detection rate', async () => {
    const { markdown, results } = await bench<TrackerResults>('tracker', ['--objects', '5,30', '--frames', '300']);
    expect(results.steps.map((step) => [step.objects, step.frames])).toEqual([[5, 300], [30, 300]]);
    for (const step of results.steps) {
      expect(step.track.n).toBe(300);
      expect(step.track.p50).toBeGreaterThan(0);
      // Every simulated person keeps an id; crossings may add a few, never fewer than there are people.
      expect(step.ids).toBeGreaterThanOrEqual(step.objects);
    }
    // One person walking, seen 15 times a second: one id, from the first frames on.
    const walking = results.rates.find((rate) => rate.fps === 15 && rate.speed < 1 && rate.bufferPerSecond > 0)!;
    expect(walking).toMatchObject({ ids: 1 });
    expect(walking.firstIdFrame).toBeGreaterThanOrEqual(0);
    expect(markdown).toContain('detections/s');
  });

  it('run-all: one command, one markdown report with the machine and the goals', async () => {
    const out = join(dir, 'report.md');
    const proc = Bun.spawn([process.execPath, resolve(import.meta.dirname, '../run-all.ts'), '--quick', '--only', 'latency', '--seconds', '2', '--scene', 'pattern', '--out', out], { stdout: 'pipe', stderr: 'pipe' });
    const [, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect(await proc.exited, stderr).toBe(0);
    const report = readFileSync(out, 'utf8');
    expect(report).toMatch(/Bun \d+\.\d+/);
    expect(report).toContain('| goal | measured | met? |');
    expect(report).toContain('latency p50, detection off');
  });

  it('leaves no camera or viewer process behind', async () => {
    // Orphans only: another run of these benches may be going on beside this one, its processes
    // with their parents alive. (Stamped cameras are the benches' own; servers are not told apart.)
    const left = await processesMatching(/rtsp-camera\.py .*--stamped|rtsp-clips\.py|stamped-frames\.ts|bench\/clients\.ts|bench\/worker-cost\.ts/);
    expect(left.filter((p) => p.ppid === 1 || !existsSync(`/proc/${p.ppid}`))).toEqual([]);
  });

  // Builds nothing: it times the executable tests/binary.test.ts (or `bun run build:binary`) left in dist/;
  // turbo.json runs these benches after the e2e tests for that.
  const executable = resolve(import.meta.dirname, `../../dist/cctv-server-linux-${process.arch}`);
  it.skipIf(!existsSync(executable))("binary: the executable's size and parts, and its start-up to the first frame", async () => {
    const { markdown, results } = await bench<BinaryResults>('binary', ['--skip-build', '--targets', `linux-${process.arch}`, '--runs', '1', '--qemu-runs', '0']);
    expect(markdown).toContain('| executable | size |');
    expect(results.sizes[0]!.bytes).toBeGreaterThan(50e6);
    expect(results.starts.map((s) => s.label)).toEqual([expect.stringContaining('from source'), expect.stringContaining(`cctv-server-linux-${process.arch}`)]);
    for (const start of results.starts) expect(start.warm.firstFrameMs).toBeGreaterThan(start.warm.healthMs);
  }, 120_000);
});
