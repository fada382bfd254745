import { drawText, fillCircle, fillRect, type RgbImage } from '@cctv/frame-buffer';
import { drawStamp } from '@cctv/frame-buffer';
import type { RawFrame } from './frame.ts';

export interface DemoSceneOptions {
  /**
   * Stamp each frame's seq and capture time into its pixels (bottom-left, see @cctv/frame-buffer's
   * `readStamp`), so a viewer can tell which frame it got and when it was made.
   */
  stamp?: boolean;
}

/**
 * A synthetic camera drawn in-process: a gradient, moving shapes, a clock and a frame counter.
 * It needs nothing installed, so the server shows a live picture on a machine with no ffmpeg.
 */
export class DemoScene {
  readonly #background: Uint8Array;
  #seq = 0;

  readonly #stamp: boolean;

  constructor(
    readonly width: number,
    readonly height: number,
    options: DemoSceneOptions = {},
  ) {
    this.#stamp = options.stamp ?? false;
    this.#background = gradient(width, height);
  }

  render(now = Date.now()): RawFrame {
    const { width, height } = this;
    const img: RgbImage = { data: new Uint8Array(this.#background), width, height };
    const seq = ++this.#seq;
    const t = now / 1000;
    const unit = Math.max(1, Math.round(height / 90));
    // A "person-sized" box pacing left and right, and a ball on a circle: motion a viewer can follow.
    const boxW = 12 * unit;
    const boxH = 30 * unit;
    const boxX = Math.round(((Math.sin(t * 0.7) + 1) / 2) * (width - boxW));
    fillRect(img, boxX, Math.round(height * 0.55), boxW, boxH, [214, 68, 48]);
    const r = 6 * unit;
    fillCircle(img, Math.round(width / 2 + Math.cos(t * 1.3) * width * 0.3), Math.round(height * 0.35 + Math.sin(t * 1.3) * height * 0.15), r, [245, 200, 40]);
    const scale = Math.max(1, Math.round(height / 360));
    const label = { scale, background: [0, 0, 0] as const, padding: 4 * scale };
    drawText(img, 8 * scale, 8 * scale, 'CCTV demo source', [255, 255, 255], label);
    drawText(img, 8 * scale, 36 * scale, new Date(now).toISOString().replace('T', ' ').slice(0, 23), [255, 255, 255], label);
    drawText(img, 8 * scale, 64 * scale, `frame ${String(seq).padStart(7, '0')}`, [255, 255, 255], label);
    if (this.#stamp) drawStamp(img, { seq, timestamp: Math.round(now) });
    return { data: img.data, width, height, seq, capturedAt: now };
  }
}

function gradient(width: number, height: number): Uint8Array {
  const img: RgbImage = { data: new Uint8Array(width * height * 3), width, height };
  const row = new Uint8Array(width * 3);
  for (let y = 0; y < height; y++) {
    const shade = 40 + Math.round((y / height) * 60);
    for (let x = 0; x < width; x++) {
      row[x * 3] = shade;
      row[x * 3 + 1] = shade + 10 + Math.round((x / width) * 40);
      row[x * 3 + 2] = shade + 40;
    }
    img.data.set(row, y * width * 3);
  }
  // Grid lines every 80 px give the picture a sense of scale and motion a reference.
  for (let y = 0; y < height; y += 80) fillRect(img, 0, y, width, 1, GRID);
  for (let x = 0; x < width; x += 80) fillRect(img, x, 0, 1, height, GRID);
  return img.data;
}

const GRID = [20, 20, 20] as const;
