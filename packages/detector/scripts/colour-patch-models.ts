// Deterministic test "detectors" for colour patches, one per output layout. Classes are red,
// green and blue: a pixel belongs to class c when channel c is high (> 70 %) and the other two are
// low (< 40 %). Row and column projections of each class mask give the exact bounding box of all
// pixels of that colour, in input pixels, with score 1 when the colour is present and 0 when not.
// The letterbox pad (114 = 45 %) and grey or white pixels never match; the demo scene's red box
// (214, 68, 48) does.
import { DataType, encodeModel, type Attribute, type Initializer, type Node } from './onnx-writer.ts';

export type ColourPatchLayout = 'yolov5' | 'yolov8' | 'end2end' | 'yolox' | 'yolov8-half-output';

export const COLOUR_PATCH_CLASSES = ['red', 'green', 'blue'] as const;
export const COLOUR_PATCH_INPUT_SIZE = 320;

const HIGH = 0.7;
const LOW = 0.4;
const STRIDES = [8, 16, 32] as const;

/** Nodes and constants of one graph, each value named once. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  #next = 0;

  op(op: string, inputs: readonly string[], attributes?: readonly Attribute[]): string {
    const output = `${op.toLowerCase()}_${this.#next++}`;
    this.nodes.push({ op, inputs, outputs: [output], attributes });
    return output;
  }

  floats(values: readonly number[], dims: readonly number[]): string {
    const name = `const_${this.#next++}`;
    this.initializers.push({ name, dims, values: Float32Array.from(values) });
    return name;
  }

  ints(values: readonly (number | bigint)[]): string {
    const name = `const_${this.#next++}`;
    this.initializers.push({ name, dims: [values.length], values: BigInt64Array.from(values, BigInt) });
    return name;
  }
}

const INT64_MIN = -(2n ** 63n);

/** First and one-past-last index where a [1, 3, size] projection is 1, as float [1, 3] each. */
function extent(g: GraphBuilder, projection: string, size: number): { first: string; end: string } {
  const argmax = (input: string) => g.op('ArgMax', [input], [{ name: 'axis', int: 2 }, { name: 'keepdims', int: 0 }]);
  const first = g.op('Cast', [argmax(projection)], [{ name: 'to', int: DataType.FLOAT }]);
  const reversed = g.op('Slice', [projection, g.ints([-1]), g.ints([INT64_MIN]), g.ints([2]), g.ints([-1])]);
  const fromEnd = g.op('Cast', [argmax(reversed)], [{ name: 'to', int: DataType.FLOAT }]);
  return { first, end: g.op('Sub', [g.floats([size], []), fromEnd]) };
}

/**
 * The serialised model for one layout (byte-for-byte the same on every run). `halfInput` makes its
 * input float16 (cast to float32 inside), as a TensorRT engine built with FP16 I/O takes it.
 */
export function buildColourPatchModel(layout: ColourPatchLayout, options: { halfInput?: boolean } = {}): Uint8Array {
  const size = COLOUR_PATCH_INPUT_SIZE;
  const isYolox = layout === 'yolox';
  const isHalfOutput = layout === 'yolov8-half-output'; // float32 in, float16 out
  // YOLOX's convention: BGR, 0-255. Ultralytics': RGB, 0-1.
  const range = isYolox ? 255 : 1;
  const g = new GraphBuilder();

  const channels = ['channel_0', 'channel_1', 'channel_2'] as const;
  const images = options.halfInput ? g.op('Cast', ['images'], [{ name: 'to', int: DataType.FLOAT }]) : 'images';
  g.nodes.push({ op: 'Split', inputs: [images], outputs: channels, attributes: [{ name: 'axis', int: 1 }] });
  const [red, green, blue] = isYolox ? [channels[2], channels[1], channels[0]] : channels;
  const high = g.floats([HIGH * range], []);
  const low = g.floats([LOW * range], []);
  const masks = [red, green, blue].map((channel, c, all) => {
    const others = all.filter((_, i) => i !== c).map((other) => g.op('Less', [other, low]));
    const isClass = g.op('And', [g.op('Greater', [channel, high]), g.op('And', [others[0]!, others[1]!])]);
    return g.op('Cast', [isClass], [{ name: 'to', int: DataType.FLOAT }]);
  });
  const mask = g.op('Concat', masks, [{ name: 'axis', int: 1 }]); // [1, 3, H, W]
  const reduceMax = (input: string, axis: number) => g.op('ReduceMax', [input], [{ name: 'axes', ints: [axis] }, { name: 'keepdims', int: 0 }]);
  const columns = reduceMax(mask, 2); // [1, 3, W]: is the colour anywhere in this column
  const rows = reduceMax(mask, 3); // [1, 3, H]
  const score = reduceMax(columns, 2); // [1, 3]
  const x = extent(g, columns, size);
  const y = extent(g, rows, size);

  const perAnchor = (value: string) => g.op('Unsqueeze', [value, g.ints([1])]); // [1, 3] → [1, 1, 3]
  const classOfAnchor = () => g.floats([1, 0, 0, 0, 1, 0, 0, 0, 1], [1, 3, 3]); // anchor c carries class c
  const centreAndSize = () => {
    const half = g.floats([0.5], []);
    return [g.op('Mul', [g.op('Add', [x.first, x.end]), half]), g.op('Mul', [g.op('Add', [y.first, y.end]), half]), g.op('Sub', [x.end, x.first]), g.op('Sub', [y.end, y.first])] as const;
  };
  const cells = STRIDES.reduce((sum, stride) => sum + (size / stride) ** 2, 0);

  let output: string;
  let outputDims: number[];
  if (layout === 'end2end') {
    // [1, 3, 6]: x1, y1, x2, y2, score, class per row.
    const column = (value: string) => g.op('Unsqueeze', [value, g.ints([2])]);
    const classIds = g.floats([0, 1, 2], [1, 3, 1]);
    output = g.op('Concat', [x.first, y.first, x.end, y.end, score].map(column).concat(classIds), [{ name: 'axis', int: 2 }]);
    outputDims = [1, 3, 6];
  } else if (layout === 'yolov8' || isHalfOutput) {
    // [1, 4 + nc, N]: cx, cy, w, h, class scores; anchors 0-2 hold the patches, the rest are zero.
    const classScores = g.op('Mul', [classOfAnchor(), perAnchor(score)]);
    const rowsOut = g.op('Concat', [...centreAndSize().map(perAnchor), classScores], [{ name: 'axis', int: 1 }]);
    output = g.op('Pad', [rowsOut, g.ints([0, 0, 0, 0, 0, cells - 3])]);
    outputDims = [1, 7, cells];
  } else {
    // [1, N, 5 + nc] rows of box, objectness, class scores. YOLOv5: box in input pixels, 3 anchors
    // per cell. YOLOX: one anchor per cell, box relative to its stride-8 cell (anchor c = cell (c, 0)).
    const [cx, cy, w, h] = centreAndSize();
    let box = [cx, cy, w, h];
    if (isYolox) {
      const stride = g.floats([8], []);
      const cellX = g.floats([0, 1, 2], [1, 3]);
      box = [g.op('Sub', [g.op('Div', [cx, stride]), cellX]), g.op('Div', [cy, stride]), g.op('Log', [g.op('Div', [w, stride])]), g.op('Log', [g.op('Div', [h, stride])])];
    }
    const rowsOut = g.op('Concat', [...[...box, score].map(perAnchor), classOfAnchor()], [{ name: 'axis', int: 1 }]); // [1, 8, 3]
    const transposed = g.op('Transpose', [rowsOut], [{ name: 'perm', ints: [0, 2, 1] }]);
    const n = isYolox ? cells : 3 * cells;
    output = g.op('Pad', [transposed, g.ints([0, 0, 0, 0, n - 3, 0])]);
    outputDims = [1, n, 8];
  }
  if (isHalfOutput) output = g.op('Cast', [output], [{ name: 'to', int: DataType.FLOAT16 }]);

  return encodeModel({
    graphName: `colour-patches-${layout}`,
    nodes: [...g.nodes, { op: 'Identity', inputs: [output], outputs: [isYolox ? 'output' : 'output0'] }],
    initializers: g.initializers,
    inputs: [{ name: 'images', dataType: options.halfInput ? DataType.FLOAT16 : DataType.FLOAT, dims: [1, 3, size, size] }],
    outputs: [{ name: isYolox ? 'output' : 'output0', dataType: isHalfOutput ? DataType.FLOAT16 : DataType.FLOAT, dims: outputDims }],
    opset: 17,
    irVersion: 8,
    // Ultralytics' metadata keys, written as Ultralytics writes them (Python reprs); YOLOX exports carry none.
    metadata: isYolox
      ? undefined
      : {
          description: 'Colour-patch test detector (@cctv/detector scripts/generate-models.ts)',
          task: 'detect',
          stride: '32',
          imgsz: `[${size}, ${size}]`,
          end2end: layout === 'end2end' ? 'True' : 'False',
          names: `{${COLOUR_PATCH_CLASSES.map((name, i) => `${i}: '${name}'`).join(', ')}}`,
        },
  });
}

export const COLOUR_PATCH_LAYOUTS: readonly ColourPatchLayout[] = ['yolov5', 'yolov8', 'end2end', 'yolox', 'yolov8-half-output'];

export function colourPatchModelFile(layout: ColourPatchLayout): string {
  return `colour-patches-${layout}.onnx`;
}
