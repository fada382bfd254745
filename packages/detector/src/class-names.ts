/** The 80 COCO classes in the order every COCO-trained YOLO numbers them. */
export const COCO_CLASSES: readonly string[] = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

/** A labels file: one class name per line, in id order; blank lines are skipped. */
export function parseLabels(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * Names for ids 0..classCount-1, from the first source that has one: the labels file, the model's
 * metadata, COCO when the model has exactly 80 classes, else "class N".
 */
export function resolveClassNames(classCount: number, sources: { labels?: readonly string[]; metadata?: readonly (string | undefined)[] }): string[] {
  const fallback = classCount === 80 ? COCO_CLASSES : [];
  return Array.from({ length: classCount }, (_, id) => sources.labels?.[id] ?? sources.metadata?.[id] ?? fallback[id] ?? `class ${id}`);
}
