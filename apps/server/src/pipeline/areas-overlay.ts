import { drawLine, drawText, measureText, type Rgb, type RgbImage } from '@cctv/frame-buffer';

/** A counting line as drawn: its ends and its label ("entrance  in 3  out 1"). */
export interface OverlayLine {
  from: readonly [number, number];
  to: readonly [number, number];
  label: string;
}

/** A zone as drawn: its corners and its label ("counter 2"). */
export interface OverlayZone {
  points: ReadonlyArray<readonly [number, number]>;
  label: string;
}

export interface OverlayAreas {
  lines: OverlayLine[];
  zones: OverlayZone[];
}

const LINE_COLOUR: Rgb = [255, 214, 0];
const ZONE_COLOUR: Rgb = [0, 200, 255];
const INK: Rgb = [0, 0, 0];

/**
 * Draws the counting lines and zones into a frame, before its one encode: each line with an
 * arrow from its middle towards the side "in" leads to (with d = to − from, the side where
 * d × (p − from) < 0: for a line drawn downwards, the right), each zone's outline; both labelled
 * with their live counts. Sizes follow the frame height, as the detection boxes do.
 */
export function drawAreas(image: RgbImage, areas: OverlayAreas): void {
  const thickness = Math.max(2, Math.round(image.height / 240));
  const scale = Math.max(1, Math.round(image.height / 480));
  const arrow = Math.max(16, Math.round(image.height / 18));
  for (const zone of areas.zones) {
    const points = zone.points;
    for (let i = 0; i < points.length; i++) {
      const [x0, y0] = points[i]!;
      const [x1, y1] = points[(i + 1) % points.length]!;
      drawLine(image, x0, y0, x1, y1, ZONE_COLOUR, thickness);
    }
    label(image, zone.label, points[0]![0], points[0]![1], ZONE_COLOUR, scale);
  }
  for (const line of areas.lines) {
    const [x0, y0] = line.from;
    const [x1, y1] = line.to;
    drawLine(image, x0, y0, x1, y1, LINE_COLOUR, thickness);
    const length = Math.hypot(x1 - x0, y1 - y0);
    if (length > 0) {
      // (dy, −dx) is the normal on the "in" side: d × n = −|d|² < 0.
      const nx = (y1 - y0) / length;
      const ny = -(x1 - x0) / length;
      const mx = (x0 + x1) / 2;
      const my = (y0 + y1) / 2;
      const tipX = mx + nx * arrow;
      const tipY = my + ny * arrow;
      drawLine(image, mx, my, tipX, tipY, LINE_COLOUR, thickness);
      // The head: two strokes back from the tip, 35° either side of the shaft.
      for (const side of [-1, 1]) {
        const angle = Math.atan2(-ny, -nx) + side * 0.6;
        drawLine(image, tipX, tipY, tipX + Math.cos(angle) * arrow * 0.45, tipY + Math.sin(angle) * arrow * 0.45, LINE_COLOUR, thickness);
      }
      label(image, 'in', tipX + nx * 4 * scale, tipY + ny * 4 * scale, LINE_COLOUR, scale);
    }
    label(image, line.label, x0, y0, LINE_COLOUR, scale);
  }
}

/** A label on a filled background at (x, y), kept inside the frame. */
function label(image: RgbImage, text: string, x: number, y: number, colour: Rgb, scale: number): void {
  const padding = 2 * scale;
  const size = measureText(text, scale, padding);
  const left = Math.max(0, Math.min(Math.round(x), image.width - size.width));
  const top = Math.max(0, Math.min(Math.round(y), image.height - size.height));
  drawText(image, left, top, text, INK, { scale, background: colour, padding });
}
