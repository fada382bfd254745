import { describe, expect, it } from 'vitest';
import { classColour, drawDetections, type Detection, type RgbImage } from '../src/index.ts';

const grey = (width = 1280, height = 720): RgbImage => ({ data: new Uint8Array(width * height * 3).fill(60), width, height });
const pixel = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
const person = (x1: number, y1: number, x2: number, y2: number, confidence = 0.87): Detection => ({ classId: 0, className: 'person', confidence, box: { x1, y1, x2, y2 } });

describe('drawDetections', () => {
  it('draws the box border in the class colour and leaves the inside alone', () => {
    const img = grey();
    drawDetections(img, [person(200, 300, 400, 600)]);
    const colour = [...classColour(0)];
    expect(pixel(img, 200, 450)).toEqual(colour); // left edge, 3 px wide at 720p
    expect(pixel(img, 202, 450)).toEqual(colour);
    expect(pixel(img, 203, 450)).toEqual([60, 60, 60]);
    expect(pixel(img, 399, 450)).toEqual(colour); // right edge (x2 exclusive)
    expect(pixel(img, 300, 599)).toEqual(colour); // bottom edge
    expect(pixel(img, 300, 450)).toEqual([60, 60, 60]); // inside
    expect(pixel(img, 410, 450)).toEqual([60, 60, 60]); // outside
  });

  it('puts the label on a filled background just above the box', () => {
    const img = grey();
    drawDetections(img, [person(200, 300, 400, 600)]);
    // At 720p the text is drawn at scale 2 (32 px tall) with 4 px padding: a 40 px band above y1.
    const band = Array.from({ length: 40 }, (_, i) => pixel(img, 201, 300 - 40 + i));
    expect(band.every((p) => p.join() === classColour(0).join())).toBe(true);
    expect(pixel(img, 201, 300 - 41)).toEqual([60, 60, 60]);
    // "person 0.87" is 11 characters of 16 px plus padding: the band ends at 200 + 176 + 8.
    expect(pixel(img, 200 + 183, 280)).not.toEqual([60, 60, 60]);
    expect(pixel(img, 200 + 185, 280)).toEqual([60, 60, 60]);
    // Text pixels differ from the background somewhere in the band.
    const row = Array.from({ length: 176 }, (_, i) => pixel(img, 204 + i, 280).join());
    expect(new Set(row).size).toBeGreaterThan(1);
  });

  it('names a tracked object by its track id: "person #12 0.87", four characters longer', () => {
    const img = grey();
    drawDetections(img, [{ ...person(200, 300, 400, 600), trackId: 12 }]);
    // 15 characters of 16 px plus 8 px padding: the band ends at 200 + 240 + 8.
    expect(pixel(img, 200 + 247, 280)).not.toEqual([60, 60, 60]);
    expect(pixel(img, 200 + 249, 280)).toEqual([60, 60, 60]);
    // An object not confirmed yet (trackId null) is labelled as before.
    const untracked = grey();
    drawDetections(untracked, [{ ...person(200, 300, 400, 600), trackId: null }]);
    expect(pixel(untracked, 200 + 185, 280)).toEqual([60, 60, 60]);
  });

  it('keeps the label inside the frame for a box at the top or right edge', () => {
    const img = grey();
    drawDetections(img, [person(1200, 0, 1280, 200)]);
    const colour = classColour(0).join();
    // No room above: the label sits inside the box's top edge; it is shifted left to fit.
    expect(pixel(img, 1279, 20).join()).toBe(colour);
    expect(pixel(img, 1280 - 184, 20).join()).toBe(colour);
    expect(pixel(img, 1280 - 185, 20).join()).toBe('60,60,60');
  });

  it('uses one colour per class and a smaller label at low resolutions', () => {
    const img = grey(320, 240);
    drawDetections(img, [{ classId: 5, className: 'bus', confidence: 0.5, box: { x1: 10, y1: 100, x2: 100, y2: 200 } }]);
    expect(pixel(img, 10, 150)).toEqual([...classColour(5)]);
    expect(classColour(5)).not.toEqual(classColour(0));
    // Scale 1: 16 px text plus 2 px padding each side.
    expect(pixel(img, 11, 100 - 20)).toEqual([...classColour(5)]);
    expect(pixel(img, 11, 100 - 21)).toEqual([60, 60, 60]);
  });

  it('draws a few boxes on a 720p frame in well under a millisecond', () => {
    const img = grey();
    const detections = [person(100, 100, 300, 600), person(500, 200, 700, 700), { ...person(900, 50, 1200, 400), classId: 2, className: 'car' }, person(0, 0, 1280, 720, 0.3)];
    for (let i = 0; i < 50; i++) drawDetections(img, detections); // warm up the JIT
    const rounds = 200;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) drawDetections(img, detections);
    expect((performance.now() - started) / rounds).toBeLessThan(0.5);
  });
});
