import { describe, expect, it } from 'vitest';
import { childProcesses, fixturePath, startRtspCameras } from '../src/index.ts';

/** What ffprobe reads from a stream: `codec,width,height,rate`; its error when nothing comes for 10 s. */
async function probe(url: string): Promise<string> {
  const proc = Bun.spawn(['ffprobe', '-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'csv=p=0', url], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return out.trim() || err.trim();
}

const clip = fixturePath('video/people-720p.mp4');

describe('startRtspCameras', () => {
  it.skipIf(!clip)('serves the pre-encoded clip on 16 mounts from one server process, as it is (720p H.264 at 15 fps)', async () => {
    const cameras = await startRtspCameras({ count: 16, video: clip! });
    try {
      expect(cameras.urls).toHaveLength(16);
      expect(cameras.urls[15]).toBe(`rtsp://127.0.0.1:${cameras.port}/cam16`);
      // One at a time: see rtsp-clips.py on mounts first played at the same moment.
      const probed: string[] = [];
      for (const url of [cameras.urls[0]!, cameras.urls[7]!, cameras.urls[15]!]) probed.push(await probe(url));
      expect(probed).toEqual(Array(3).fill('h264,1280,720,15/1'));
      expect((await childProcesses()).filter((p) => p.command.includes('rtsp-clips.py'))).toHaveLength(1);
    } finally {
      await cameras.stop();
    }
    expect((await childProcesses()).filter((p) => p.command.includes('rtsp-clips.py'))).toEqual([]);
  });
});
