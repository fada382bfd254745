import { describe, expect, it } from 'vitest';
import { childProcesses, fixturePath, processesMatching, readStamp, startRtspCamera, stampSeqDelta } from '../src/index.ts';

/** What ffprobe, a real RTSP client, reads from the stream: `codec,width,height,rate`. */
async function probe(url: string): Promise<string> {
  const proc = Bun.spawn(['ffprobe', '-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'csv=p=0', url], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return out.trim() || err.trim();
}

describe('startRtspCamera', () => {
  it('serves 1280×720 H.264 at 15 fps by default, and comes back on the same port after a restart', async () => {
    const camera = await startRtspCamera();
    try {
      expect(camera.url).toBe(`rtsp://127.0.0.1:${camera.port}/stream`);
      expect(await probe(camera.url)).toBe('h264,1280,720,15/1');
      expect((await childProcesses()).some((p) => p.command.includes(`rtsp-camera.py --port ${camera.port}`))).toBe(true);
      await camera.restart();
      expect(await probe(camera.url)).toBe('h264,1280,720,15/1');
    } finally {
      await camera.stop();
    }
    expect(await processesMatching(new RegExp(`rtsp-camera.py --port ${camera.port}`))).toEqual([]);
  });

  it('serves the asked size, rate and path to several clients at once', async () => {
    const camera = await startRtspCamera({ width: 640, height: 360, fps: 10, path: '/live/cam1' });
    try {
      expect(camera.url).toMatch(/\/live\/cam1$/);
      expect(await Promise.all([probe(camera.url), probe(camera.url), probe(camera.url)])).toEqual(Array(3).fill('h264,640,360,10/1'));
    } finally {
      await camera.stop();
    }
  });

  it('fails clearly, with the camera’s own words, when its port is taken', async () => {
    const taken = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    try {
      await expect(startRtspCamera({ port: taken.port })).rejects.toThrow(new RegExp(`exited \\(code 1\\) before it was ready:\\ncannot listen on 127.0.0.1:${taken.port}`));
    } finally {
      taken.stop(true);
    }
  });

  it('as a measurable camera, stamps every frame with its seq and when it was made, and logs when it encoded it', async () => {
    // Stamped cameras of other runs on this machine are not this camera's to clean up.
    const others = new Set((await processesMatching(/stamped-frames\.ts/)).map((p) => p.pid));
    const camera = await startRtspCamera({ width: 640, height: 360, fps: 15, stamped: true });
    try {
      // A real client (ffmpeg) decodes 20 frames to raw RGB; each must carry a stamp.
      const ffmpeg = Bun.spawn(['ffmpeg', '-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', camera.url, '-frames:v', '20', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdout: 'pipe', stderr: 'pipe' });
      const raw = new Uint8Array(await new Response(ffmpeg.stdout).arrayBuffer());
      const receivedAt = Date.now();
      expect(await ffmpeg.exited).toBe(0);
      const size = 640 * 360 * 3;
      expect(raw.byteLength).toBe(20 * size);
      const stamps = Array.from({ length: 20 }, (_, i) => readStamp({ data: raw.subarray(i * size, (i + 1) * size), width: 640, height: 360 }));
      expect(stamps.every((s) => s !== undefined)).toBe(true);
      // Consecutive frames of a 15 fps camera: seq one apart, ~67 ms apart.
      for (let i = 1; i < 20; i++) {
        expect(stampSeqDelta(stamps[i - 1]!.seq, stamps[i]!.seq)).toBe(1);
        expect(stamps[i]!.timestamp - stamps[i - 1]!.timestamp).toBeGreaterThan(0);
      }
      expect(receivedAt - stamps[19]!.timestamp).toBeGreaterThanOrEqual(0);
      expect(receivedAt - stamps[19]!.timestamp).toBeLessThan(10_000);
      const times = camera.frameTimes(stamps[10]!.seq);
      expect(times).toMatchObject({ seq: stamps[10]!.seq, stampedAt: stamps[10]!.timestamp });
      expect(times!.encodedAt).toBeGreaterThanOrEqual(times!.stampedAt);
      expect(camera.frameTimes(999_999)).toBeUndefined();
    } finally {
      await camera.stop();
    }
    expect((await processesMatching(/stamped-frames\.ts/)).filter((p) => !others.has(p.pid))).toEqual([]);
  });

  it.skipIf(!fixturePath('video/people-720p.mp4'))('shows a real clip under the stamp when asked', async () => {
    const camera = await startRtspCamera({ stamped: true, video: fixturePath('video/people-720p.mp4') });
    try {
      const ffmpeg = Bun.spawn(['ffmpeg', '-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', camera.url, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdout: 'pipe', stderr: 'pipe' });
      const raw = new Uint8Array(await new Response(ffmpeg.stdout).arrayBuffer());
      expect(readStamp({ data: raw, width: 1280, height: 720 })).toBeDefined();
      // The clip, not the flat gradient: many distinct colours in the top half.
      const colours = new Set<number>();
      for (let i = 0; i < (raw.byteLength / 2) - 3; i += 3 * 97) colours.add((raw[i]! << 16) | (raw[i + 1]! << 8) | raw[i + 2]!);
      expect(colours.size).toBeGreaterThan(500);
    } finally {
      await camera.stop();
    }
  });
});
