import { fixturePath, readStamp, startRtspCamera, startRtspCameras } from '@cctv/testbed';
import { describe, expect, it } from 'vitest';
import { Capture, type AccessUnit, type RawFrame, type RtspDecoder } from '../src/index.ts';

const clip = fixturePath('video/people-720p.mp4');

/** Runs a capture until `frames` raw frames came, keeping every frame and access unit. */
async function capture(url: string, rtspDecoder: RtspDecoder, frames: number): Promise<{ frames: RawFrame[]; units: AccessUnit[] }> {
  const got: RawFrame[] = [];
  const units: AccessUnit[] = [];
  const capture = new Capture({ url, targetFps: 30, rtspDecoder, onFrame: (frame) => got.push(frame), onAccessUnit: (unit) => units.push(unit) });
  capture.start();
  const deadline = Date.now() + 30_000;
  while (got.length < frames && Date.now() < deadline) await Bun.sleep(50);
  await capture.stop();
  return { frames: got, units };
}

describe('raw frames carry the media time of their access unit', () => {
  for (const decoder of ['gstreamer', 'ffmpeg'] as const) {
    it(`the stamped camera's frames, decoded by ${decoder}: media time and the stamp's frame number move together`, async () => {
      const camera = await startRtspCamera({ width: 320, height: 240, fps: 15, stamped: true });
      try {
        const { frames, units } = await capture(camera.url, decoder, 40);
        const stamped = frames.map((frame) => ({ frame, stamp: readStamp({ data: frame.data, width: frame.width, height: frame.height, channels: 3 }) }));
        const readable = stamped.filter((s) => s.stamp && s.frame.mediaTimeMs !== undefined);
        expect(readable.length).toBeGreaterThan(30);
        const unitTimes = new Set(units.map((unit) => unit.timestampMs));
        for (const { frame } of readable) expect(unitTimes.has(frame.mediaTimeMs!)).toBe(true);
        // The camera makes a frame every 1000/15 ms of media time: the frame the stamp names and
        // the media time the frame carries are the same frame when they keep that ratio.
        const first = readable[0]!;
        for (const { frame, stamp } of readable) {
          const frames = (frame.mediaTimeMs! - first.frame.mediaTimeMs!) / (1000 / 15);
          expect(Math.round(frames), `frame ${stamp!.seq} at media time ${frame.mediaTimeMs}`).toBe(stamp!.seq - first.stamp!.seq);
        }
      } finally {
        await camera.stop();
      }
    });
  }

  it.skipIf(!clip)('a clip with B-frames: each frame gets its own access unit\'s time, in the order they are shown', async () => {
    const cameras = await startRtspCameras({ count: 1, video: clip! });
    try {
      const { frames, units } = await capture(cameras.urls[0]!, 'gstreamer', 45);
      // Sent in decoding order: some access units are shown before ones sent earlier.
      expect(units.some((unit, i) => i > 0 && unit.timestampMs < units[i - 1]!.timestampMs)).toBe(true);
      const times = frames.map((frame) => frame.mediaTimeMs!);
      expect(times.every((time) => Number.isFinite(time))).toBe(true);
      for (let i = 1; i < times.length; i++) expect(times[i]!, `frame ${i}`).toBeGreaterThan(times[i - 1]!);
      const unitTimes = new Set(units.map((unit) => unit.timestampMs));
      for (const time of times) expect(unitTimes.has(time)).toBe(true);
    } finally {
      await cameras.stop();
    }
  });
});
