import { FONT_8X16 } from './font-8x16.ts';

/** A packed RGB24 picture: width × height × 3 bytes, row-major, no padding. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Rgb = readonly [number, number, number];

export const FONT_WIDTH = 8;
export const FONT_HEIGHT = 16;

/**
 * Fills a rectangle, clipped to the image. The first row is painted pixel by pixel and every
 * other row is copied from it, so a full-frame fill is a handful of memcpy calls.
 */
export function fillRect(img: RgbImage, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(img.width, Math.round(x + w));
  const y1 = Math.min(img.height, Math.round(y + h));
  if (x0 >= x1 || y0 >= y1) return;
  const { data, width } = img;
  const rowStart = (y0 * width + x0) * 3;
  const rowEnd = rowStart + (x1 - x0) * 3;
  for (let i = rowStart; i < rowEnd; i += 3) {
    data[i] = color[0];
    data[i + 1] = color[1];
    data[i + 2] = color[2];
  }
  for (let row = y0 + 1; row < y1; row++) data.copyWithin((row * width + x0) * 3, rowStart, rowEnd);
}

/** A box outline from (x1, y1) to (x2, y2), drawn inside those bounds, clipped. */
export function strokeRect(img: RgbImage, x1: number, y1: number, x2: number, y2: number, color: Rgb, thickness = 2): void {
  const left = Math.round(Math.min(x1, x2));
  const top = Math.round(Math.min(y1, y2));
  const w = Math.round(Math.max(x1, x2)) - left;
  const h = Math.round(Math.max(y1, y2)) - top;
  const t = Math.max(1, Math.min(Math.round(thickness), Math.ceil(w / 2), Math.ceil(h / 2)));
  fillRect(img, left, top, w, t, color);
  fillRect(img, left, top + h - t, w, t, color);
  fillRect(img, left, top + t, t, h - 2 * t, color);
  fillRect(img, left + w - t, top + t, t, h - 2 * t, color);
}

/** A filled disc, one horizontal span per row. */
export function fillCircle(img: RgbImage, cx: number, cy: number, r: number, color: Rgb): void {
  const radius = Math.max(0, r);
  for (let dy = -Math.floor(radius); dy <= Math.floor(radius); dy++) {
    const half = Math.floor(Math.sqrt(radius * radius - dy * dy));
    fillRect(img, Math.round(cx) - half, Math.round(cy) + dy, 2 * half + 1, 1, color);
  }
}

export interface TextOptions {
  /** Whole-number magnification of the 8×16 font (default 1). */
  scale?: number;
  /** Fills the text's box (plus padding) first, so labels stay readable on any picture. */
  background?: Rgb;
  padding?: number;
}

export function measureText(text: string, scale = 1, padding = 0): { width: number; height: number } {
  const s = Math.max(1, Math.round(scale));
  return { width: text.length * FONT_WIDTH * s + 2 * padding, height: FONT_HEIGHT * s + 2 * padding };
}

/**
 * Draws text with its box's top-left corner at (x, y); characters outside printable ASCII are
 * drawn as '?'. Returns the size of the box drawn, padding included.
 */
export function drawText(img: RgbImage, x: number, y: number, text: string, color: Rgb, options: TextOptions = {}): { width: number; height: number } {
  const scale = Math.max(1, Math.round(options.scale ?? 1));
  const padding = Math.round(options.padding ?? 0);
  const size = measureText(text, scale, padding);
  const left = Math.round(x);
  const top = Math.round(y);
  if (options.background) fillRect(img, left, top, size.width, size.height, options.background);
  for (let c = 0; c < text.length; c++) {
    let code = text.charCodeAt(c);
    if (code < 32 || code > 126) code = 63;
    const glyph = (code - 32) * FONT_HEIGHT;
    const gx = left + padding + c * FONT_WIDTH * scale;
    if (gx >= img.width) break;
    for (let row = 0; row < FONT_HEIGHT; row++) {
      const bits = FONT_8X16[glyph + row]!;
      if (!bits) continue;
      const gy = top + padding + row * scale;
      // Consecutive lit pixels become one span, so a glyph row costs at most four fills.
      for (let bit = 0; bit < FONT_WIDTH; ) {
        if (!(bits & (0x80 >> bit))) {
          bit++;
          continue;
        }
        const start = bit;
        while (bit < FONT_WIDTH && bits & (0x80 >> bit)) bit++;
        fillRect(img, gx + start * scale, gy, (bit - start) * scale, scale, color);
      }
    }
  }
  return size;
}
