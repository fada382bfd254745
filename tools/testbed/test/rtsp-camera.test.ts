import { describe, expect, it } from 'vitest';
import { childProcesses, processesMatching, startRtspCamera } from '../src/index.ts';

/** What ffprobe, a real RTSP client, reads from the stream: `codec,width,height,rate`. */
async function probe(url: string): Promise<string> {
  const proc = Bun.spawn(['ffprobe', '-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'csv=p=0', url], { stdout: 'pipe', stderr: 'pipe' });
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
});
