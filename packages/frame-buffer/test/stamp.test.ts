import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawStamp, readStamp, stampGeometry, stampSeqDelta, type StampImage } from '../src/index.ts';

/** A busy picture (noise over a gradient), the worst neighbour a stamp can have. */
function noisy(width: number, height: number, channels = 3): StampImage {
  const data = new Uint8Array(width * height * channels);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = ((i / channels) % width) / 8 + (seed % 128);
  }
  return { data, width, height, channels };
}

/** Through sharp's JPEG encoder and decoder at the server's quality. */
async function viaJpeg(image: StampImage, quality = 65): Promise<StampImage> {
  const channels = (image.channels ?? 3) as 3 | 4;
  const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels } }).jpeg({ quality }).toBuffer();
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('frame stamp', () => {
  it('survives JPEG q65 at 720p: the same seq and ms timestamp come back', async () => {
    const image = noisy(1280, 720);
    const stamp = { seq: 123_456, timestamp: Date.now() };
    drawStamp(image, stamp);
    expect(readStamp(image)).toEqual(stamp);
    expect(readStamp(await viaJpeg(image))).toEqual(stamp);
  });

  it.each([
    [640, 360],
    [320, 180],
    [1920, 1080],
  ])('survives JPEG q65 at %ix%i too, and lower quality at 720p', async (width, height) => {
    const image = noisy(width, height);
    const stamp = { seq: 7, timestamp: 1_795_000_000_123 };
    drawStamp(image, stamp);
    expect(readStamp(await viaJpeg(image))).toEqual(stamp);
    const hd = noisy(1280, 720);
    drawStamp(hd, stamp);
    expect(readStamp(await viaJpeg(hd, 30))).toEqual(stamp);
  });

  it('sits at the bottom-left in cells on the 8×8 JPEG grid at 720p', () => {
    expect(stampGeometry(1280, 720)).toEqual({ cell: 24, x: 0, y: 672, width: 984, height: 48 });
  });

  it('keeps the low 20 bits of the seq and every bit of a 44-bit timestamp', () => {
    const image = noisy(640, 360);
    drawStamp(image, { seq: 2 ** 20 + 5, timestamp: 2 ** 44 - 1 });
    expect(readStamp(image)).toEqual({ seq: 5, timestamp: 2 ** 44 - 1 });
    expect(stampSeqDelta(2 ** 20 - 2, 3)).toBe(5);
    expect(stampSeqDelta(10, 4)).toBe(-6);
    expect(() => drawStamp(image, { seq: 1, timestamp: 2 ** 44 })).toThrow(/timestamp/);
    expect(() => drawStamp(image, { seq: 1, timestamp: 1.5 })).toThrow(/timestamp/);
  });

  it('works on RGBA and grey images', () => {
    for (const channels of [4, 1]) {
      const image = noisy(640, 360, channels);
      drawStamp(image, { seq: 99, timestamp: 1_700_000_000_000 });
      expect(readStamp(image)).toEqual({ seq: 99, timestamp: 1_700_000_000_000 });
    }
  });

  it('says "no stamp" for a picture without one, a damaged one, or a frame too small', () => {
    expect(readStamp(noisy(1280, 720))).toBeUndefined();
    expect(readStamp({ data: new Uint8Array(1280 * 720 * 3).fill(128), width: 1280, height: 720 })).toBeUndefined();
    const image = noisy(1280, 720);
    drawStamp(image, { seq: 1, timestamp: Date.now() });
    // Blacken one payload cell that was white (or whiten a black one): the CRC catches it.
    const { cell, y } = stampGeometry(1280, 720);
    const at = (y + cell / 2) * 1280 * 3 + (5 * cell + cell / 2) * 3;
    const flipped = image.data[at + 1]! > 128 ? 0 : 255;
    for (let row = y; row < y + cell; row++) image.data.fill(flipped, (row * 1280 + 5 * cell) * 3, (row * 1280 + 6 * cell) * 3);
    expect(readStamp(image)).toBeUndefined();
    expect(readStamp({ data: new Uint8Array(100 * 100 * 3), width: 100, height: 100 })).toBeUndefined();
    expect(() => drawStamp({ data: new Uint8Array(100 * 100 * 3), width: 100, height: 100 }, { seq: 1, timestamp: 1 })).toThrow(/too small/);
  });
});
