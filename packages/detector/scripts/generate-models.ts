// Writes the colour-patch test models (see colour-patch-models.ts) and a model that is no
// detector (crop-model.ts) to packages/detector/models/.
// They are committed (a few KB each); test/generated-models.test.ts checks they match this script.
//   bun packages/detector/scripts/generate-models.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildColourPatchModel, COLOUR_PATCH_CLASSES, COLOUR_PATCH_LAYOUTS, colourPatchModelFile } from './colour-patch-models.ts';
import { buildNotADetectorModel, NOT_A_DETECTOR_FILE } from './crop-model.ts';

const modelsDir = join(import.meta.dirname, '..', 'models');
for (const layout of COLOUR_PATCH_LAYOUTS) {
  const bytes = buildColourPatchModel(layout);
  writeFileSync(join(modelsDir, colourPatchModelFile(layout)), bytes);
  console.log(`${colourPatchModelFile(layout)}: ${bytes.length} bytes`);
}
// YOLOX exports carry no class names: this labels file stands in for them.
writeFileSync(join(modelsDir, 'colour-patches.labels'), `${COLOUR_PATCH_CLASSES.join('\n')}\n`);
writeFileSync(join(modelsDir, NOT_A_DETECTOR_FILE), buildNotADetectorModel());
console.log(`${NOT_A_DETECTOR_FILE}: a valid model with no YOLO output layout`);
