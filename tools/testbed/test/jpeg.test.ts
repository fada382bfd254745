import { describe, expect, it } from 'vitest';
import { jpegSize } from '../src/index.ts';
import { ffmpegJpeg } from './peers.ts';

describe('jpegSize', () => {
  it('reads the size from the frame header of a real JPEG', async () => {
    expect(jpegSize(await ffmpegJpeg('320x240'))).toEqual({ width: 320, height: 240 });
    expect(jpegSize(await ffmpegJpeg('1280x720'))).toEqual({ width: 1280, height: 720 });
  });

  it('reads a progressive (SOF2) frame header', async () => {
    // ffmpeg writes baseline JPEGs only; a SOF2 header has the SOF0 layout, so relabelling the marker
    // checks that jpegSize takes both.
    const progressive = (await ffmpegJpeg('200x100')).slice();
    const sof = progressive.findIndex((byte, i) => byte === 0xff && progressive[i + 1] === 0xc0);
    expect(sof).toBeGreaterThan(0);
    progressive[sof + 1] = 0xc2;
    expect(jpegSize(progressive)).toEqual({ width: 200, height: 100 });
  });

  it('refuses what is not a whole JPEG', async () => {
    const jpeg = await ffmpegJpeg('320x240');
    expect(jpegSize(jpeg.subarray(0, jpeg.length - 10))).toBeUndefined(); // no EOI: truncated
    expect(jpegSize(jpeg.subarray(2))).toBeUndefined(); // no SOI
    expect(jpegSize(new TextEncoder().encode('not a jpeg'))).toBeUndefined();
    expect(jpegSize(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))).toBeUndefined(); // no frame header
  });
});
