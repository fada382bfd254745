import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoScene } from '@cctv/capture';
import { describe, expect, it } from 'vitest';
import { buildColourPatchModel, COLOUR_PATCH_LAYOUTS, colourPatchModelFile } from '../scripts/colour-patch-models.ts';
import { buildNotADetectorModel, NOT_A_DETECTOR_FILE } from '../scripts/crop-model.ts';
import { intersectionOverUnion, loadDetector, type Detection } from '../src/index.ts';
import { BLUE, colourModel, frameWithPatches, GREEN, MODELS_DIR, RED } from './helpers.ts';

const boxes = (detections: Detection[]) =>
  Object.fromEntries(detections.map((d) => [d.className, [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map((v) => Math.round(v))]));

// Patch edges sit on multiples of 4 source pixels, so at every scale used here (1/4, 1/2) they
// fall between input pixels and the model's box maps back to the source exactly.
const SOURCES = {
  'landscape 1280×720': {
    width: 1280,
    height: 720,
    patches: [
      { x1: 100, y1: 200, x2: 300, y2: 400, colour: RED },
      { x1: 1000, y1: 40, x2: 1280, y2: 120, colour: BLUE },
    ],
  },
  'portrait 720×1280': {
    width: 720,
    height: 1280,
    patches: [
      { x1: 0, y1: 0, x2: 80, y2: 160, colour: GREEN },
      { x1: 400, y1: 900, x2: 712, y2: 1272, colour: RED },
    ],
  },
  'square 640×640': {
    width: 640,
    height: 640,
    patches: [
      { x1: 100, y1: 100, x2: 300, y2: 200, colour: RED },
      { x1: 320, y1: 400, x2: 640, y2: 640, colour: GREEN },
      { x1: 500, y1: 20, x2: 520, y2: 60, colour: BLUE },
    ],
  },
};

describe('generated colour-patch models', () => {
  it.each(COLOUR_PATCH_LAYOUTS)('the committed %s model is what scripts/generate-models.ts writes', (layout) => {
    expect(Buffer.from(readFileSync(join(MODELS_DIR, colourPatchModelFile(layout)))).equals(Buffer.from(buildColourPatchModel(layout)))).toBe(true);
  });

  it('the committed not-a-detector model is what scripts/generate-models.ts writes', () => {
    expect(Buffer.from(readFileSync(join(MODELS_DIR, NOT_A_DETECTOR_FILE))).equals(Buffer.from(buildNotADetectorModel()))).toBe(true);
  });

  describe.each(COLOUR_PATCH_LAYOUTS)('%s layout', (layout) => {
    it.each(Object.entries(SOURCES))('finds each patch to the pixel in a %s frame', async (_, source) => {
      const isYolox = layout === 'yolox';
      // YOLOX exports carry no names: the labels file supplies them.
      const detector = await loadDetector({ modelPath: colourModel(layout), labelsPath: isYolox ? join(MODELS_DIR, 'colour-patches.labels') : undefined });
      try {
        expect(detector.inputWidth).toBe(320);
        expect(detector.layout).toBe(layout === 'yolov8-half-output' ? 'yolov8' : layout);
        expect(detector.classNames).toEqual(['red', 'green', 'blue']);
        const detections = await detector.detect(frameWithPatches(source.width, source.height, source.patches));
        const colourName = (c: readonly number[]) => (c === RED ? 'red' : c === GREEN ? 'green' : 'blue');
        expect(boxes(detections)).toEqual(Object.fromEntries(source.patches.map((p) => [colourName(p.colour), [p.x1, p.y1, p.x2, p.y2]])));
        expect(detections.every((d) => d.confidence === 1)).toBe(true);
      } finally {
        await detector.dispose();
      }
    });
  });

  it('keeps only the wanted classes, by name or id', async () => {
    const frame = frameWithPatches(1280, 720, SOURCES['landscape 1280×720'].patches);
    for (const classes of [['blue'], [2]]) {
      const detector = await loadDetector({ modelPath: colourModel('yolov8'), classes });
      expect((await detector.detect(frame)).map((d) => d.className)).toEqual(['blue']);
      await detector.dispose();
    }
  });

  it('takes other filters per call, one model serving cameras with their own classes and confidence', async () => {
    const frame = frameWithPatches(1280, 720, SOURCES['landscape 1280×720'].patches);
    const detector = await loadDetector({ modelPath: colourModel('yolov8'), classes: ['blue'] });
    try {
      expect((await detector.detect(frame, { classes: ['red'] })).map((d) => d.className)).toEqual(['red']);
      expect((await detector.detect(frame, { classes: [] })).map((d) => d.className).toSorted()).toEqual(['blue', 'red']);
      expect((await detector.detect(frame)).map((d) => d.className)).toEqual(['blue']);
      // Every patch scores exactly 1, and the floor is inclusive.
      expect(await detector.detect(frame, { confidence: 1, classes: [] })).toHaveLength(2);
      await expect(detector.detect(frame, { classes: ['zebra'] })).rejects.toThrow(/classes: "zebra" is not one of the model's 3 classes/);
      await expect(detector.detect(frame, { confidence: 2 })).rejects.toThrow(/confidence is 2/);
    } finally {
      await detector.dispose();
    }
  });

  it('runs the same with one thread and no spin-waiting', async () => {
    const detector = await loadDetector({ modelPath: colourModel('yolov5'), intraOpNumThreads: 1, spinWait: false });
    expect(detector.backend.intraOpNumThreads).toBe(1);
    const source = SOURCES['square 640×640'];
    expect(Object.keys(boxes(await detector.detect(frameWithPatches(source.width, source.height, source.patches))))).toEqual(['red', 'green', 'blue']);
    await detector.dispose();
  });

  it('answers concurrent calls in order, each about its own frame', async () => {
    const detector = await loadDetector({ modelPath: colourModel('end2end') });
    const landscape = SOURCES['landscape 1280×720'];
    const portrait = SOURCES['portrait 720×1280'];
    const [first, second] = await Promise.all([
      detector.detect(frameWithPatches(landscape.width, landscape.height, landscape.patches)),
      detector.detect(frameWithPatches(portrait.width, portrait.height, portrait.patches)),
    ]);
    expect(boxes(first)).toEqual({ red: [100, 200, 300, 400], blue: [1000, 40, 1280, 120] });
    expect(boxes(second)).toEqual({ green: [0, 0, 80, 160], red: [400, 900, 712, 1272] });
    await detector.dispose();
  });

  it('finds nothing in a frame with no saturated colour, and nothing in the grey border', async () => {
    const detector = await loadDetector({ modelPath: colourModel('yolov5') });
    expect(await detector.detect(frameWithPatches(1280, 720, []))).toEqual([]);
    expect(await detector.detect(frameWithPatches(1280, 720, [{ x1: 0, y1: 0, x2: 1280, y2: 720, colour: [114, 114, 114] }]))).toEqual([]);
    await detector.dispose();
  });

  it("finds the demo scene's red box wherever it paces, and reports timings", async () => {
    const detector = await loadDetector({ modelPath: colourModel('yolov8') });
    const scene = new DemoScene(1280, 720);
    for (const now of [0, 1_000, 2_500, 4_000]) {
      const frame = scene.render(now);
      const detections = await detector.detect(frame);
      // The box as demo.ts draws it: 12 × 30 units (unit = height / 90), pacing along a sine.
      const unit = 8;
      const x1 = Math.round(((Math.sin((now / 1000) * 0.7) + 1) / 2) * (1280 - 12 * unit));
      const expected = { x1, y1: 396, x2: x1 + 12 * unit, y2: 396 + 30 * unit };
      expect(detections.map((d) => d.className)).toEqual(['red']);
      expect(intersectionOverUnion(detections[0]!.box, expected)).toBeGreaterThan(0.9);
    }
    const timings = detector.lastTimings!;
    expect(timings.preMs).toBeGreaterThan(0);
    expect(timings.inferMs).toBeGreaterThan(0);
    expect(timings.postMs).toBeGreaterThanOrEqual(0);
    await detector.dispose();
  });
});
