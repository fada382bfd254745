import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createJpegEncoder, type JpegEncoderChoice } from '../src/index.ts';

/** A frame with edges, gradients and flat areas, as a camera picture has. */
function testFrame(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const square = ((x >> 5) + (y >> 5)) % 2 === 0;
      rgb[p] = square ? 200 : (x * 255) / width;
      rgb[p + 1] = (y * 255) / height;
      rgb[p + 2] = square ? 40 : 160;
    }
  }
  return rgb;
}

/** Peak signal-to-noise ratio (dB) of a JPEG decoded by sharp against the RGB frame it came from. */
async function psnr(jpeg: Uint8Array, rgb: Uint8Array, width: number, height: number): Promise<number> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([width, height, 3]);
  let squared = 0;
  for (let i = 0; i < rgb.length; i++) squared += (data[i]! - rgb[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (squared / rgb.length));
}

describe.each<JpegEncoderChoice>(['libjpeg-turbo', 'sharp'])('the %s encoder', (choice) => {
  it('encodes a 720p frame at q65 into a JPEG that decodes back to it', async () => {
    const { encoder } = await createJpegEncoder({ quality: 65, encoder: choice });
    expect(encoder.name).toContain(choice);
    const rgb = testFrame(1280, 720);
    const jpeg = await encoder.encode(rgb, 1280, 720);
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]);
    expect(await psnr(jpeg, rgb, 1280, 720)).toBeGreaterThan(30);
    encoder.close();
  });

  it('hands out buffers of their own, follows a change of frame size, and codes by quality', async () => {
    const { encoder } = await createJpegEncoder({ quality: 65, encoder: choice });
    const first = await encoder.encode(testFrame(640, 360), 640, 360);
    const kept = first.slice();
    const second = await encoder.encode(testFrame(320, 240).fill(30), 320, 240);
    // The first frame's bytes are untouched by the second encode.
    expect(first).toEqual(kept);
    expect(first.byteOffset).toBe(0);
    expect(first.byteLength).toBe(first.buffer.byteLength);
    expect((await sharp(second).metadata()).width).toBe(320);
    const { encoder: low } = await createJpegEncoder({ quality: 20, encoder: choice });
    const small = await low.encode(testFrame(640, 360), 640, 360);
    expect(small.byteLength).toBeLessThan(first.byteLength * 0.7);
    encoder.close();
    low.close();
  });
});

describe('createJpegEncoder', () => {
  it("'auto' takes the system's libjpeg-turbo when it loads", async () => {
    const { encoder, fallbackReason } = await createJpegEncoder({ quality: 65 });
    expect(fallbackReason).toBeUndefined();
    expect(encoder.name).toBe('libjpeg-turbo (libturbojpeg.so.0)');
    encoder.close();
  });

  it("'auto' falls back to sharp and says why when libjpeg-turbo cannot load; a named one refuses", async () => {
    const script = `
      import { createJpegEncoder } from './src/index.ts';
      const auto = await createJpegEncoder({ quality: 65 });
      const named = await createJpegEncoder({ quality: 65, encoder: 'libjpeg-turbo' }).then(() => 'loaded', (error) => error.message);
      console.log(JSON.stringify({ name: auto.encoder.name, fallbackReason: auto.fallbackReason, named }));
    `;
    const child = Bun.spawn([process.execPath, '-e', script], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, TURBOJPEG_PATH: '/nonexistent/libturbojpeg.so.0' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.name).toMatch(/^sharp \d+\.\d+\.\d+ \(libvips \d+\.\d+\.\d+\)$/);
    expect(result.fallbackReason).toMatch(/^libjpeg-turbo: cannot load \/nonexistent\/libturbojpeg\.so\.0 \(Debian\/Ubuntu: apt-get install libturbojpeg0\)/);
    expect(result.named).toBe(result.fallbackReason);
  });

  it('refuses a quality outside 1–100, saying what was expected', async () => {
    await expect(createJpegEncoder({ quality: 0 })).rejects.toThrow('JPEG quality 0: expected an integer from 1 to 100');
    await expect(createJpegEncoder({ quality: 65.5 })).rejects.toThrow('expected an integer from 1 to 100');
  });

  it('refuses a frame shorter than its size says', async () => {
    const { encoder } = await createJpegEncoder({ quality: 65, encoder: 'libjpeg-turbo' });
    await expect(encoder.encode(new Uint8Array(100), 640, 360)).rejects.toThrow('100 bytes for a 640x360 RGB frame (expected 691200)');
    encoder.close();
  });
});
