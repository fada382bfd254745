import { describe, expect, it } from 'vitest';
import { Letterbox } from '../src/letterbox.ts';
import { frameWithPatches, RED } from './helpers.ts';

const ultralytics = { channelOrder: 'rgb', pixelRange: '0-1', placement: 'centre' } as const;
const yolox = { channelOrder: 'bgr', pixelRange: '0-255', placement: 'top-left' } as const;

describe('Letterbox', () => {
  it('fits a 1280×720 frame into 320×320, centred, grey above and below', () => {
    const letterbox = new Letterbox(320, 320, ultralytics);
    const transform = letterbox.apply(frameWithPatches(1280, 720, [{ x1: 0, y1: 0, x2: 1280, y2: 720, colour: RED }]));
    expect(transform).toEqual({ scaleX: 0.25, scaleY: 0.25, padX: 0, padY: 70 });
    const at = (channel: number, x: number, y: number) => letterbox.tensor[channel * 320 * 320 + y * 320 + x]!;
    expect(at(0, 0, 69)).toBeCloseTo(114 / 255);
    expect(at(0, 0, 70)).toBeCloseTo(230 / 255); // red, channel 0
    expect(at(2, 319, 249)).toBeCloseTo(40 / 255); // blue channel of the last picture row
    expect(at(1, 0, 250)).toBeCloseTo(114 / 255);
  });

  it('places a portrait frame at the top-left in BGR 0-255 for YOLOX', () => {
    const letterbox = new Letterbox(416, 416, yolox);
    const transform = letterbox.apply(frameWithPatches(720, 1280, [{ x1: 0, y1: 0, x2: 720, y2: 1280, colour: RED }]));
    expect(transform).toEqual({ scaleX: 234 / 720, scaleY: 416 / 1280, padX: 0, padY: 0 });
    const at = (channel: number, x: number, y: number) => letterbox.tensor[channel * 416 * 416 + y * 416 + x]!;
    expect([at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)].map(Math.round)).toEqual([40, 30, 230]);
    expect(at(2, 233, 415)).toBeCloseTo(230);
    expect(at(2, 234, 0)).toBe(114);
  });

  it('repaints the border when the frame size changes, and reuses its tensor', () => {
    const letterbox = new Letterbox(320, 320, ultralytics);
    const { tensor } = letterbox;
    letterbox.apply(frameWithPatches(1280, 720, []));
    expect(letterbox.apply(frameWithPatches(720, 1280, [])).padX).toBe(70);
    expect(letterbox.tensor).toBe(tensor);
    expect(tensor[100 * 320 + 10]).toBeCloseTo(114 / 255); // left border, inside the old picture area
    expect(tensor[100 * 320 + 100]).toBeCloseTo(90 / 255);
  });

  it('resamples as cv2 INTER_LINEAR: halving averages each 2×2 block', () => {
    const letterbox = new Letterbox(2, 2, ultralytics);
    const image = { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4 };
    image.data.forEach((_, i) => (image.data[i] = Math.floor(i / 3) * 10)); // pixel index × 10, grey
    letterbox.apply(image);
    // Top-left 2×2 block holds pixels 0, 1, 4, 5 → mean 25.
    expect(letterbox.tensor[0]! * 255).toBeCloseTo(25, 4);
    expect(letterbox.tensor[3]! * 255).toBeCloseTo(125, 4); // pixels 10, 11, 14, 15
  });
});
