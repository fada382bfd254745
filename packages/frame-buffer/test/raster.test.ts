import { describe, expect, it } from 'vitest';
import { drawText, fillCircle, fillRect, FONT_HEIGHT, FONT_WIDTH, measureText, strokeRect, type Rgb, type RgbImage } from '../src/index.ts';

function image(width: number, height: number): RgbImage {
  return { data: new Uint8Array(width * height * 3), width, height };
}
const RED: Rgb = [255, 0, 0];
const pixel = (img: RgbImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
function litPixels(img: RgbImage): Array<[number, number]> {
  const lit: Array<[number, number]> = [];
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (pixel(img, x, y).some((v) => v)) lit.push([x, y]);
  return lit;
}

describe('raster drawing on RGB24 frames', () => {
  it('fills exactly the rectangle', () => {
    const img = image(10, 8);
    fillRect(img, 2, 3, 4, 2, RED);
    const lit = litPixels(img);
    expect(lit).toHaveLength(8);
    expect(lit.every(([x, y]) => x >= 2 && x < 6 && y >= 3 && y < 5)).toBe(true);
    expect(pixel(img, 2, 3)).toEqual([255, 0, 0]);
  });

  it('clips at every edge instead of writing outside the frame', () => {
    const img = image(10, 8);
    fillRect(img, -5, -5, 8, 7, RED);
    fillRect(img, 8, 6, 50, 50, RED);
    expect(litPixels(img)).toHaveLength(3 * 2 + 2 * 2);
    fillRect(img, 20, 20, 5, 5, RED);
    expect(img.data.length).toBe(10 * 8 * 3);
  });

  it('strokes a box outline and leaves its inside alone', () => {
    const img = image(20, 20);
    strokeRect(img, 2, 2, 18, 18, RED, 2);
    expect(pixel(img, 2, 2)).toEqual([255, 0, 0]);
    expect(pixel(img, 17, 17)).toEqual([255, 0, 0]);
    expect(pixel(img, 3, 10)).toEqual([255, 0, 0]);
    expect(pixel(img, 10, 10)).toEqual([0, 0, 0]);
    expect(pixel(img, 4, 4)).toEqual([0, 0, 0]);
    expect(litPixels(img)).toHaveLength(16 * 16 - 12 * 12);
  });

  it('fills a disc that is round and clipped', () => {
    const img = image(21, 21);
    fillCircle(img, 10, 10, 5, RED);
    expect(pixel(img, 10, 10)).toEqual([255, 0, 0]);
    expect(pixel(img, 15, 10)).toEqual([255, 0, 0]);
    expect(pixel(img, 14, 14)).toEqual([0, 0, 0]);
    const area = litPixels(img).length;
    expect(area).toBeGreaterThan(Math.PI * 25 * 0.85);
    expect(area).toBeLessThan(Math.PI * 36);
    fillCircle(img, 0, 0, 30, RED);
  });

  it('draws text with the 8×16 font inside its cell and nowhere else', () => {
    const img = image(40, 30);
    const size = drawText(img, 4, 5, 'A', RED);
    expect(size).toEqual({ width: FONT_WIDTH, height: FONT_HEIGHT });
    const lit = litPixels(img);
    expect(lit.length).toBeGreaterThan(15);
    expect(lit.every(([x, y]) => x >= 4 && x < 12 && y >= 5 && y < 21)).toBe(true);
  });

  it('draws different glyphs for different characters, and ? for the unprintable', () => {
    const render = (text: string) => {
      const img = image(8, 16);
      drawText(img, 0, 0, text, RED);
      return img.data;
    };
    expect(render('1')).not.toEqual(render('7'));
    expect(render('é')).toEqual(render('?'));
  });

  it('scales, pads and backs labels, and measures what it draws', () => {
    const img = image(100, 60);
    const size = drawText(img, 1, 1, 'ok', [255, 255, 255], { scale: 2, background: [0, 0, 200], padding: 3 });
    expect(size).toEqual(measureText('ok', 2, 3));
    expect(size).toEqual({ width: 2 * 8 * 2 + 6, height: 16 * 2 + 6 });
    expect(pixel(img, 1, 1)).toEqual([0, 0, 200]);
    expect(pixel(img, size.width, size.height)).toEqual([0, 0, 200]);
    expect(pixel(img, size.width + 1, size.height + 1)).toEqual([0, 0, 0]);
    expect(litPixels(img).filter(([x, y]) => pixel(img, x, y)[0] === 255).length).toBeGreaterThan(20);
  });
});
