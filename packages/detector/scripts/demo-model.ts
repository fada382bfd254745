// Writes the colour-patch demo model (the YOLOv8-layout model of colour-patch-models.ts: classes
// red, green, blue; it finds the `demo:` source's red box) into a folder, as the file the server's
// default model_path names, best.onnx, so that detection on the demo source works with the
// default paths. A best.onnx that is not the demo model is someone's own and is never replaced:
// the demo model then goes to demo.onnx beside it.
//   bun packages/detector/scripts/demo-model.ts models      (the root package.json's `bun run models:demo`)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildColourPatchModel } from './colour-patch-models.ts';

export const DEFAULT_MODEL_FILE = 'best.onnx';
export const DEMO_MODEL_FILE = 'demo.onnx';

export interface DemoModelResult {
  /** Where the demo model was written. */
  path: string;
  /** What was done, in a sentence for the user. */
  summary: string;
}

/** Writes the demo model into `folder` (created if missing): best.onnx, unless a best.onnx of another model is there. */
export function writeDemoModel(folder: string): DemoModelResult {
  const model = buildColourPatchModel('yolov8');
  mkdirSync(folder, { recursive: true });
  const defaultPath = join(folder, DEFAULT_MODEL_FILE);
  const existing = existsSync(defaultPath) ? readFileSync(defaultPath) : undefined;
  if (existing && !Buffer.from(model).equals(existing)) {
    const path = join(folder, DEMO_MODEL_FILE);
    writeFileSync(path, model);
    return {
      path,
      summary:
        `${defaultPath} is another model and was left as it is; the demo model is ${path}. ` +
        `Run it on the demo source with: CCTV_CAMERA_URL=demo: CCTV_DETECTION_ENABLED=true CCTV_MODEL_PATH=${path} bun run apps/server`,
    };
  }
  writeFileSync(defaultPath, model);
  return {
    path: defaultPath,
    summary:
      `${defaultPath}: the colour-patch demo model (classes red, green, blue; ${model.length} bytes)${existing ? ', as it already was' : ''}. ` +
      `With detection on, the demo source's red box is found: CCTV_CAMERA_URL=demo: CCTV_DETECTION_ENABLED=true bun run apps/server. ` +
      `Put your own export there instead when you have one (models/README.md).`,
  };
}

if (import.meta.main) {
  const folder = process.argv[2];
  if (!folder) {
    console.error('usage: bun packages/detector/scripts/demo-model.ts FOLDER');
    process.exit(2);
  }
  console.log(writeDemoModel(folder).summary);
}
