// A model that is valid ONNX but no detector: its one output is the top-left [rows × columns] of
// the first input channel, as [1, rows, columns]. Tests use it for "unknown output layout".
import { DataType, encodeModel } from './onnx-writer.ts';

export const NOT_A_DETECTOR_FILE = 'not-a-detector.onnx';

export function buildCropModel(options: { name: string; rows: number; columns: number; metadata?: Record<string, string> }): Uint8Array {
  const { rows, columns } = options;
  const ints = (name: string, values: number[]) => ({ name, dims: [values.length], values: BigInt64Array.from(values, BigInt) });
  return encodeModel({
    graphName: options.name,
    nodes: [
      { op: 'Slice', inputs: ['images', 'starts', 'ends', 'axes'], outputs: ['crop'] },
      { op: 'Squeeze', inputs: ['crop', 'channel_axis'], outputs: ['output0'] },
    ],
    initializers: [ints('starts', [0, 0, 0]), ints('ends', [1, rows, columns]), ints('axes', [1, 2, 3]), ints('channel_axis', [1])],
    inputs: [{ name: 'images', dataType: DataType.FLOAT, dims: [1, 3, 32, 32] }],
    outputs: [{ name: 'output0', dataType: DataType.FLOAT, dims: [1, rows, columns] }],
    opset: 17,
    irVersion: 8,
    metadata: options.metadata,
  });
}

/** The committed example of a model whose output is no YOLO layout ([1, 7, 9]). */
export function buildNotADetectorModel(): Uint8Array {
  return buildCropModel({ name: 'not-a-detector', rows: 7, columns: 9 });
}
