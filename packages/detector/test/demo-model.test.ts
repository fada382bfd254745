import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoScene } from '@cctv/capture';
import { afterAll, describe, expect, it } from 'vitest';
import { intersectionOverUnion, loadDetector } from '../src/index.ts';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'demo-model.ts');
const dir = mkdtempSync(join(tmpdir(), 'detector-demo-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the script as `bun run models:demo` does, with a folder of the test's own. */
function runScript(folder: string): string {
  const run = Bun.spawnSync([process.execPath, SCRIPT, folder], { stdout: 'pipe', stderr: 'pipe' });
  expect(run.stderr.toString()).toBe('');
  expect(run.exitCode).toBe(0);
  return run.stdout.toString();
}

describe('scripts/demo-model.ts (bun run models:demo)', () => {
  it("writes best.onnx into a new folder, and the detector finds the demo scene's red box with it", async () => {
    const folder = join(dir, 'fresh', 'models');
    const modelPath = join(folder, 'best.onnx');
    expect(runScript(folder)).toContain(`${modelPath}: the colour-patch demo model`);

    const detector = await loadDetector({ modelPath });
    try {
      expect(detector.classNames).toEqual(['red', 'green', 'blue']);
      const now = 2_500;
      const detections = await detector.detect(new DemoScene(1280, 720).render(now));
      // The red box as the demo scene draws it at 720p: 96 × 240 px at y 396, pacing along a sine.
      const x1 = Math.round(((Math.sin((now / 1000) * 0.7) + 1) / 2) * (1280 - 96));
      expect(detections.map((d) => d.className)).toEqual(['red']);
      expect(intersectionOverUnion(detections[0]!.box, { x1, y1: 396, x2: x1 + 96, y2: 396 + 240 })).toBeGreaterThan(0.9);
    } finally {
      await detector.dispose();
    }

    // Run again: the demo model is there already, and stays as it is.
    const written = readFileSync(modelPath);
    expect(runScript(folder)).toContain('as it already was');
    expect(readFileSync(modelPath).equals(written)).toBe(true);
  });

  it("never replaces someone's own best.onnx: the demo model goes to demo.onnx beside it", async () => {
    const folder = join(dir, 'yours');
    runScript(folder);
    const demo = readFileSync(join(folder, 'best.onnx'));
    const own = Buffer.from('the bytes of a model someone trained');
    writeFileSync(join(folder, 'best.onnx'), own);

    const output = runScript(folder);
    expect(output).toContain(`${join(folder, 'best.onnx')} is another model and was left as it is`);
    expect(output).toContain(`CCTV_MODEL_PATH=${join(folder, 'demo.onnx')}`);
    expect(readFileSync(join(folder, 'best.onnx')).equals(own)).toBe(true);
    expect(readFileSync(join(folder, 'demo.onnx')).equals(demo)).toBe(true);
  });

  it('says how to run it when no folder is given', () => {
    const run = Bun.spawnSync([process.execPath, SCRIPT], { stdout: 'pipe', stderr: 'pipe' });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.toString()).toContain('usage: bun packages/detector/scripts/demo-model.ts FOLDER');
  });
});
