import { FONT_8X16 } from './font-8x16.ts';

/** A packed RGB24 picture: width × height × 3 bytes, row-major, no padding. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Red, green, blue, each 0..255. */
export type Rgb = readonly [number, number, number];

export const FONT_WIDTH = 8;
export const FONT_HEIGHT = 16;

/** Below this many bytes per row, direct writes beat a copyWithin call (measured in Bun). */
const NARROW_ROW_BYTES = 48;

/**
 * Fills a rectangle, clipped to the image. Wide rectangles paint their first row pixel by pixel
 * and copy it to the other rows, so a full-frame fill is a few hundred memcpy calls; narrow ones
 * (box sides, glyph strokes) are written directly, as a call per row would cost more than the bytes.
 */
export function fillRect(img: RgbImage, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(img.width, Math.round(x + w));
  const y1 = Math.min(img.height, Math.round(y + h));
  if (!(x0 < x1 && y0 < y1)) return; // also rejects NaN
  const { data, width } = img;
  const r = color[0];
  const g = color[1];
  const b = color[2];
  const rowBytes = (x1 - x0) * 3;
  const stride = width * 3;
  const first = (y0 * width + x0) * 3;
  const last = (y1 - 1) * stride + x0 * 3;
  if (rowBytes <= NARROW_ROW_BYTES) {
    for (let start = first; start <= last; start += stride) {
      for (let i = start, end = start + rowBytes; i < end; i += 3) {
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
      }
    }
    return;
  }
  for (let i = first, end = first + rowBytes; i < end; i += 3) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  }
  for (let start = first + stride; start <= last; start += stride) data.copyWithin(start, first, first + rowBytes);
}

/**
 * A box outline covering [x1, x2) × [y1, y2) (corners in either order), drawn inward from those
 * bounds so a detection box never grows past what was detected. Clipped.
 */
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

/**
 * A straight line of `thickness` pixels from (x0, y0) to (x1, y1) with square caps, clipped to
 * the image: squares stepped along the longer axis, so a thick line at any angle has no gaps and costs a few
 * hundred small fills for a line across a 720p frame.
 */
export function drawLine(img: RgbImage, x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 2): void {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
  if (!Number.isFinite(steps)) return;
  const half = thickness / 2;
  for (let i = 0; i <= steps; i++) {
    const x = x0 + (dx * i) / steps;
    const y = y0 + (dy * i) / steps;
    fillRect(img, x - half, y - half, thickness, thickness, color);
  }
}

/** A filled disc around the rounded centre, one horizontal span per row, clipped. */
export function fillCircle(img: RgbImage, cx: number, cy: number, r: number, color: Rgb): void {
  const x = Math.round(cx);
  const y = Math.round(cy);
  const radius = Math.max(0, r);
  const reach = Math.floor(radius);
  // Only rows inside the image are visited, so a huge or off-screen disc costs nothing extra.
  const dyTo = Math.min(reach, img.height - 1 - y);
  for (let dy = Math.max(-reach, -y); dy <= dyTo; dy++) {
    const half = Math.floor(Math.sqrt(radius * radius - dy * dy));
    fillRect(img, x - half, y + dy, 2 * half + 1, 1, color);
  }
}

export interface TextOptions {
  /** Whole-number magnification of the 8×16 font (default 1). */
  scale?: number;
  /** Fills the text's box (plus padding) first, so labels stay readable on any picture. */
  background?: Rgb;
  /** Pixels of background around the text on each side (default 0). */
  padding?: number;
}

/** The box drawText draws for the same text, scale and padding (one 8×16 cell per UTF-16 unit). */
export function measureText(text: string, scale = 1, padding = 0): { width: number; height: number } {
  const s = Math.max(1, Math.round(scale));
  const p = Math.max(0, Math.round(padding));
  return { width: text.length * FONT_WIDTH * s + 2 * p, height: FONT_HEIGHT * s + 2 * p };
}

/**
 * Draws text with its box's top-left corner at (x, y); characters outside printable ASCII are
 * drawn as '?'. Clipped, without a background the picture shows between the strokes. Returns the
 * full (unclipped) size of the box, padding included, as measureText would.
 */
export function drawText(img: RgbImage, x: number, y: number, text: string, color: Rgb, options: TextOptions = {}): { width: number; height: number } {
  const scale = Math.max(1, Math.round(options.scale ?? 1));
  const padding = Math.max(0, Math.round(options.padding ?? 0));
  const size = measureText(text, scale, padding);
  const left = Math.round(x);
  const top = Math.round(y);
  if (options.background) fillRect(img, left, top, size.width, size.height, options.background);
  const { data, width, height } = img;
  const r = color[0];
  const g = color[1];
  const b = color[2];
  const textTop = top + padding;
  if (textTop >= height || textTop + FONT_HEIGHT * scale <= 0) return size;
  for (let c = 0; c < text.length; c++) {
    const cellLeft = left + padding + c * FONT_WIDTH * scale;
    if (cellLeft >= width) break;
    if (cellLeft + FONT_WIDTH * scale <= 0) continue;
    let code = text.charCodeAt(c);
    if (code < 32 || code > 126) code = 63; // '?'
    const glyph = (code - 32) * FONT_HEIGHT;
    for (let row = 0; row < FONT_HEIGHT; row++) {
      const bits = FONT_8X16[glyph + row]!;
      if (!bits) continue;
      const y0 = Math.max(0, textTop + row * scale);
      const y1 = Math.min(height, textTop + (row + 1) * scale);
      // Runs of lit bits are written as spans, so the bit tests cost 8 per glyph row at any scale;
      // inline rather than through fillRect, whose rounding and clipping cost more than these few bytes.
      for (let bit = 0; bit < FONT_WIDTH; ) {
        if (!(bits & (0x80 >> bit))) {
          bit++;
          continue;
        }
        const start = bit;
        while (bit < FONT_WIDTH && bits & (0x80 >> bit)) bit++;
        const x0 = Math.max(0, cellLeft + start * scale);
        const x1 = Math.min(width, cellLeft + bit * scale);
        for (let py = y0; py < y1; py++) {
          for (let i = (py * width + x0) * 3, end = (py * width + x1) * 3; i < end; i += 3) {
            data[i] = r;
            data[i + 1] = g;
            data[i + 2] = b;
          }
        }
      }
    }
  }
  return size;
}
