import { drawText, measureText, strokeRect, type Detection, type Rgb, type RgbImage } from '@cctv/frame-buffer';

/** Ultralytics' 20-colour palette, so boxes look as users know them from `yolo predict`. */
const PALETTE: readonly Rgb[] = [
  0xff3838, 0xff9d97, 0xff701f, 0xffb21d, 0xcfd231, 0x48f90a, 0x92cc17, 0x3ddb86, 0x1a9334, 0x00d4bb,
  0x2c99a8, 0x00c2ff, 0x344593, 0x6473ff, 0x0018ec, 0x8438ff, 0x520085, 0xcb38ff, 0xff95c8, 0xff37c7,
].map((hex) => [hex >> 16, (hex >> 8) & 0xff, hex & 0xff] as const);

const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];

/** The colour boxes of this class are drawn in. */
export function classColour(classId: number): Rgb {
  return PALETTE[((classId % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/**
 * Draws each detection's box and a "name 0.87" label ("person #12 0.87" for a tracked object) into
 * the frame itself, before it is encoded.
 * Sizes follow the frame height (at 720p: 3 px lines, 16×32 px characters). Lines are at least
 * 3 px from 720p up so that one always covers a whole 2-pixel column of JPEG's halved chroma: a 2 px
 * line that straddles two lost half its colour, and on a background of its own brightness (a red
 * box over a blue bus) hardly showed after encoding. Only the boxes' and
 * labels' pixels are written, so a few boxes cost microseconds at any frame size.
 */
export function drawDetections(image: RgbImage, detections: readonly Detection[]): void {
  const textScale = Math.max(1, Math.round(image.height / 480));
  const thickness = Math.max(2, Math.round(image.height / 240));
  const padding = 2 * textScale;
  for (const { classId, className, confidence, box, trackId } of detections) {
    const colour = classColour(classId);
    strokeRect(image, box.x1, box.y1, box.x2, box.y2, colour, thickness);
    const label = `${className}${trackId ? ` #${trackId}` : ''} ${confidence.toFixed(2)}`;
    const size = measureText(label, textScale, padding);
    // Above the box; inside its top edge when there is no room above; never past the right edge.
    const top = box.y1 - size.height >= 0 ? box.y1 - size.height : box.y1;
    const left = Math.max(0, Math.min(box.x1, image.width - size.width));
    // Dark text on the light palette colours, light text on the dark ones (Rec. 601 luma).
    const luma = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2];
    drawText(image, left, top, label, luma > 140 ? BLACK : WHITE, { scale: textScale, background: colour, padding });
  }
}
