import { describe, expect, it } from 'vitest';
import { drawLine, drawText, fillCircle, fillRect, FONT_HEIGHT, FONT_WIDTH, measureText, strokeRect, type Rgb, type RgbImage } from '../src/raster.ts';

const RED: Rgb = [255, 0, 0];
const GREY: Rgb = [90, 90, 90];

function image(width: number, height: number, background?: Rgb): RgbImage {
  const img = { data: new Uint8Array(width * height * 3), width, height };
  if (background) fillRect(img, 0, 0, width, height, background);
  return img;
}
const pixel = (img: RgbImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
/** Coordinates of every pixel that is not black. */
function litPixels(img: RgbImage): Array<[number, number]> {
  const lit: Array<[number, number]> = [];
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (pixel(img, x, y).some((v) => v)) lit.push([x, y]);
  return lit;
}
/** The pixels in [x, x + w) × [y, y + h) as one array, for comparing regions of two images. */
function crop(img: RgbImage, x: number, y: number, w: number, h: number): number[] {
  const out: number[] = [];
  for (let row = y; row < y + h; row++) out.push(...img.data.subarray((row * img.width + x) * 3, (row * img.width + x + w) * 3));
  return out;
}

describe('fillRect', () => {
  it('fills exactly the rectangle', () => {
    const img = image(10, 8);
    fillRect(img, 2, 3, 4, 2, RED);
    const lit = litPixels(img);
    expect(lit).toHaveLength(8);
    expect(lit.every(([x, y]) => x >= 2 && x < 6 && y >= 3 && y < 5)).toBe(true);
    expect(lit.every(([x, y]) => pixel(img, x, y).join() === '255,0,0')).toBe(true);
  });

  it('fills wide rectangles (row copies) exactly too', () => {
    const img = image(100, 10);
    fillRect(img, 3, 2, 90, 5, RED);
    const lit = litPixels(img);
    expect(lit).toHaveLength(90 * 5);
    expect(lit.every(([x, y]) => x >= 3 && x < 93 && y >= 2 && y < 7)).toBe(true);
  });

  it('clips at every edge instead of writing outside the frame or wrapping into the next row', () => {
    const img = image(10, 8);
    fillRect(img, -5, -5, 8, 7, RED); // top-left corner: 3 × 2 visible
    fillRect(img, 8, 6, 50, 50, RED); // bottom-right corner: 2 × 2 visible
    fillRect(img, 8, 2, 30, 1, RED); // past the right edge on row 2: must not reach row 3
    fillRect(img, 20, 20, 5, 5, RED);
    fillRect(img, -20, 0, 5, 5, RED);
    const lit = litPixels(img);
    expect(lit).toHaveLength(3 * 2 + 2 * 2 + 2);
    expect(pixel(img, 0, 3)).toEqual([0, 0, 0]);
    expect(pixel(img, 9, 2)).toEqual([255, 0, 0]);
    expect(img.data.length).toBe(10 * 8 * 3);
  });

  it('rounds fractional coordinates and ignores empty or NaN rectangles', () => {
    const img = image(10, 8);
    fillRect(img, 1.4, 1.6, 2.2, 1, RED); // columns 1..3, row 2
    fillRect(img, 5, 5, 0, 3, RED);
    fillRect(img, 5, 5, -2, 3, RED);
    fillRect(img, Number.NaN, 0, 3, 3, RED);
    expect(litPixels(img)).toEqual([[1, 2], [2, 2], [3, 2]]);
  });
});

describe('strokeRect', () => {
  it('draws a box outline inward from its bounds and leaves the inside alone', () => {
    const img = image(20, 20, GREY);
    strokeRect(img, 2, 2, 18, 18, RED, 2);
    const red = (x: number, y: number) => pixel(img, x, y).join() === '255,0,0';
    let count = 0;
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        const onOutline = x >= 2 && x < 18 && y >= 2 && y < 18 && !(x >= 4 && x < 16 && y >= 4 && y < 16);
        expect(red(x, y), `pixel ${x},${y}`).toBe(onOutline);
        if (!onOutline) expect(pixel(img, x, y)).toEqual([...GREY]);
        count += Number(onOutline);
      }
    }
    expect(count).toBe(16 * 16 - 12 * 12);
  });

  it('accepts corners in either order and clips boxes that leave the frame', () => {
    const a = image(20, 20);
    const b = image(20, 20);
    strokeRect(a, 15, 12, 3, 4, RED, 1);
    strokeRect(b, 3, 4, 15, 12, RED, 1);
    expect(a.data).toEqual(b.data);
    const clipped = image(10, 10);
    strokeRect(clipped, -5, 5, 30, 30, RED, 3);
    expect(litPixels(clipped)).toHaveLength(10 * 3);
  });
});

describe('fillCircle', () => {
  it('fills a symmetric disc of the right area', () => {
    const img = image(21, 21);
    fillCircle(img, 10, 10, 5, RED);
    const lit = litPixels(img);
    expect(pixel(img, 10, 10)).toEqual([255, 0, 0]);
    expect(pixel(img, 15, 10)).toEqual([255, 0, 0]);
    expect(pixel(img, 10, 5)).toEqual([255, 0, 0]);
    expect(pixel(img, 16, 10)).toEqual([0, 0, 0]);
    expect(pixel(img, 14, 14)).toEqual([0, 0, 0]);
    expect(lit.every(([x, y]) => (x - 10) ** 2 + (y - 10) ** 2 <= 25)).toBe(true);
    expect(lit.every(([x, y]) => pixel(img, 20 - x, y).join() === '255,0,0' && pixel(img, x, 20 - y).join() === '255,0,0')).toBe(true);
    expect(lit.length).toBeGreaterThan(Math.PI * 25 * 0.85);
  });

  it('clips discs that cross or miss the frame', () => {
    const img = image(10, 10);
    fillCircle(img, 0, 0, 3, RED);
    expect(litPixels(img).every(([x, y]) => x * x + y * y <= 9)).toBe(true);
    fillCircle(img, -50, 5, 10, RED);
    fillCircle(img, 5, 1e9, 10, RED);
    expect(litPixels(img)).toHaveLength(4 + 3 + 3 + 1); // rows 0..3 of the quarter disc
    fillCircle(img, 5, 5, 1000, RED);
    expect(litPixels(img)).toHaveLength(100);
  });
});

describe('drawLine', () => {
  it('draws a horizontal and a vertical line of the given thickness between the ends', () => {
    const img = image(40, 30);
    drawLine(img, 5, 10, 30, 10, RED, 3);
    // Square caps reach half the thickness past each end: 26 + 2 columns, 3 rows.
    expect(litPixels(img)).toHaveLength(28 * 3);
    expect(pixel(img, 5, 10)).toEqual([...RED]);
    expect(pixel(img, 30, 10)).toEqual([...RED]);
    expect(pixel(img, 32, 10)).toEqual([0, 0, 0]);
    const vertical = image(40, 30);
    drawLine(vertical, 20, 2, 20, 27, RED, 1);
    expect(litPixels(vertical)).toHaveLength(26);
  });

  it('leaves no gap on a steep or shallow diagonal, and clips outside the frame', () => {
    for (const [x0, y0, x1, y1] of [[0, 0, 39, 29], [0, 29, 39, 0], [3, 0, 9, 29], [-20, -20, 60, 50]] as const) {
      const img = image(40, 30);
      drawLine(img, x0, y0, x1, y1, RED, 2);
      // Every row (or column, for the shallow one) the line passes through holds a lit pixel.
      const rows = new Set<number>();
      for (const [, y] of litPixels(img)) rows.add(y);
      const from = Math.max(0, Math.min(y0, y1));
      const to = Math.min(29, Math.max(y0, y1));
      for (let y = from; y <= to; y++) expect(rows.has(y), `row ${y} of ${[x0, y0, x1, y1]}`).toBe(true);
    }
  });
});

describe('drawText', () => {
  const render = (text: string, opts?: Parameters<typeof drawText>[5]) => {
    const { width, height } = measureText(text, opts?.scale, opts?.padding);
    const img = image(width, height);
    drawText(img, 0, 0, text, RED, opts);
    return img;
  };

  it('draws a glyph inside its 8×16 cell and nowhere else', () => {
    const img = image(40, 30);
    const size = drawText(img, 4, 5, 'A', RED);
    expect(size).toEqual({ width: FONT_WIDTH, height: FONT_HEIGHT });
    const lit = litPixels(img);
    expect(lit.length).toBeGreaterThan(15);
    expect(lit.every(([x, y]) => x >= 4 && x < 12 && y >= 5 && y < 21)).toBe(true);
    expect(lit.every(([x, y]) => pixel(img, x, y).join() === '255,0,0')).toBe(true);
  });

  it('draws each character from its own glyph, and ? for the unprintable', () => {
    expect(render('1').data).not.toEqual(render('7').data);
    expect(render('O').data).not.toEqual(render('0').data);
    expect(render(' ').data.every((v) => v === 0)).toBe(true);
    expect(render('é').data).toEqual(render('?').data);
    expect(render('\n').data).toEqual(render('?').data);
    // Each character occupies its own cell.
    expect(crop(render('17'), 8, 0, 8, 16)).toEqual(crop(render('7'), 0, 0, 8, 16));
  });

  it('leaves the picture behind unlit glyph pixels untouched when there is no background', () => {
    const img = image(8, 16, GREY);
    drawText(img, 0, 0, 'A', RED);
    const colours = new Set(Array.from({ length: 8 * 16 }, (_, i) => pixel(img, i % 8, Math.floor(i / 8)).join()));
    expect(colours).toEqual(new Set(['255,0,0', GREY.join()]));
  });

  it('measures what it draws', () => {
    const img = image(400, 100);
    for (const [text, scale, padding] of [['person 0.87', 1, 0], ['', 1, 2], ['12:34:56', 3, 4], ['x', 2, 1], ['ab', 1.2, 1.6], ['ab', 0, -3]] as const) {
      expect(drawText(img, 0, 0, text, RED, { scale, padding })).toEqual(measureText(text, scale, padding));
    }
    expect(measureText('person 0.87')).toEqual({ width: 11 * 8, height: 16 });
  });

  it('scales every font pixel into a scale × scale block', () => {
    const one = render('Ag7');
    const two = render('Ag7', { scale: 2 });
    expect([two.width, two.height]).toEqual([2 * one.width, 2 * one.height]);
    for (let y = 0; y < two.height; y++) {
      for (let x = 0; x < two.width; x++) expect(pixel(two, x, y)).toEqual(pixel(one, x >> 1, y >> 1));
    }
  });

  it('fills the padded box with the background and draws the text inside the padding', () => {
    const img = image(60, 50, GREY);
    const size = drawText(img, 3, 2, 'ok', [255, 255, 255], { scale: 2, background: [0, 0, 200], padding: 3 });
    expect(size).toEqual({ width: 2 * 8 * 2 + 6, height: 16 * 2 + 6 });
    const plain = render('ok', { scale: 2 });
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const inBox = x >= 3 && x < 3 + size.width && y >= 2 && y < 2 + size.height;
        const textX = x - 6;
        const textY = y - 5;
        const inText = textX >= 0 && textX < plain.width && textY >= 0 && textY < plain.height;
        const expected = !inBox ? GREY : inText && pixel(plain, textX, textY)[0] ? [255, 255, 255] : [0, 0, 200];
        expect(pixel(img, x, y), `pixel ${x},${y}`).toEqual([...expected]);
      }
    }
  });

  it('clips text at every edge to exactly the visible part of the unclipped rendering', () => {
    const full = render('Hi!?', { scale: 2 }); // 64 × 32
    for (const [x, y] of [[-13, -7], [20, 10], [-3, 14], [30, -12]] as const) {
      const img = image(40, 30);
      drawText(img, x, y, 'Hi!?', RED, { scale: 2 });
      const x0 = Math.max(0, x);
      const y0 = Math.max(0, y);
      const x1 = Math.min(40, x + 64);
      const y1 = Math.min(30, y + 32);
      expect(crop(img, x0, y0, x1 - x0, y1 - y0)).toEqual(crop(full, x0 - x, y0 - y, x1 - x0, y1 - y0));
      const lit = litPixels(img);
      expect(lit.length).toBeGreaterThan(0);
      expect(lit.every(([px, py]) => px >= x0 && px < x1 && py >= y0 && py < y1)).toBe(true);
    }
    const img = image(40, 30);
    drawText(img, 100, 0, 'far away', RED);
    drawText(img, 0, -100, 'far away', RED, { background: GREY });
    expect(litPixels(img)).toHaveLength(0);
  });
});
