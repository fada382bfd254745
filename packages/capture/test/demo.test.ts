import { readStamp } from '@cctv/testbed';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Capture, DemoScene, parseSource, type RawFrame } from '../src/index.ts';

describe('demo source with ?stamp', () => {
  it('is read from camera_url, and refused where a stamp does not fit', () => {
    expect(parseSource('demo:?stamp')).toMatchObject({ kind: 'demo', size: { width: 1280, height: 720 }, stamp: true });
    expect(parseSource('demo:640x360?stamp')).toMatchObject({ size: { width: 640, height: 360 }, stamp: true });
    expect(parseSource('demo:640x360').stamp).toBeUndefined();
    expect(() => parseSource('demo:100x100?stamp')).toThrow(/a stamped frame needs at least 164x16/);
    expect(() => parseSource('demo:?stump')).toThrow(/optionally with \?stamp/);
  });

  it('stamps each frame with its seq and capture time, readable after a JPEG q65 round trip', async () => {
    const scene = new DemoScene(1280, 720, { stamp: true });
    const frame = scene.render(1_795_000_000_042);
    expect(readStamp(frame)).toEqual({ seq: 1, timestamp: 1_795_000_000_042 });
    const jpeg = await sharp(frame.data, { raw: { width: 1280, height: 720, channels: 3 } }).jpeg({ quality: 65 }).toBuffer();
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    expect(readStamp({ data, width: info.width, height: info.height, channels: info.channels })).toEqual({ seq: 1, timestamp: 1_795_000_000_042 });
    expect(readStamp(new DemoScene(1280, 720).render())).toBeUndefined();
  });

  it('streams stamped frames whose stamp matches seq and capturedAt', async () => {
    const frames: RawFrame[] = [];
    const capture = new Capture({ url: 'demo:640x360?stamp', targetFps: 20, onFrame: (f) => frames.push(f) });
    capture.start();
    await Bun.sleep(600);
    await capture.stop();
    expect(frames.length).toBeGreaterThanOrEqual(5);
    for (const frame of frames) expect(readStamp(frame)).toEqual({ seq: frame.seq, timestamp: frame.capturedAt });
  });
});
