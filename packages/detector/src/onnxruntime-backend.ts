import { readFile } from 'node:fs/promises';
// Types only: the runtime itself (~15 MB) is imported when a model is opened, so that importing
// this package to draw boxes does not load it.
import type * as Ort from 'onnxruntime-node';
import type { BackendLoader, BackendOptions, InferenceBackend, OutputTensor, TensorInfo } from './backend.ts';
import { DetectorError } from './errors.ts';
import { readOnnxMetadata } from './onnx-metadata.ts';

function tensorInfo(metadata: Ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!metadata.isTensor) throw new Error(`"${metadata.name}" is not a tensor; a YOLO detector's inputs and outputs are`);
  return { name: metadata.name, dims: metadata.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : String(dim))), type: metadata.type };
}

/**
 * Note: `session.run` computes on the calling thread (onnxruntime-node runs the native call inside
 * a setImmediate), so the JS thread is blocked for a whole inference: run detection in a Worker.
 */
class OnnxRuntimeBackend implements InferenceBackend {
  readonly name: string;
  readonly #ort: typeof Ort;
  readonly #session: Ort.InferenceSession;
  // Float16 outputs are widened into these, one per output, reused between runs.
  readonly #widened = new Map<string, Float32Array>();

  constructor(
    ort: typeof Ort,
    session: Ort.InferenceSession,
    readonly input: TensorInfo,
    readonly outputs: readonly TensorInfo[],
    readonly metadata: Readonly<Record<string, string>>,
    readonly executionProviders: readonly string[],
    readonly intraOpNumThreads: number,
  ) {
    this.#ort = ort;
    this.#session = session;
    this.name = `onnxruntime-node ${ort.env.versions.node}`;
  }

  async run(input: Float32Array, dims: readonly number[]): Promise<OutputTensor[]> {
    const results = await this.#session.run({ [this.input.name]: new this.#ort.Tensor('float32', input, dims) });
    return this.outputs.map(({ name }) => {
      const tensor = results[name]!;
      return { name, dims: tensor.dims, data: this.#toFloat32(name, tensor) };
    });
  }

  #toFloat32(name: string, tensor: Ort.Tensor): Float32Array {
    if (tensor.data instanceof Float32Array) return tensor.data;
    // Bun has Float16Array, so onnxruntime-common hands float16 outputs over as one; .set widens natively.
    let widened = this.#widened.get(name);
    if (widened?.length !== tensor.size) this.#widened.set(name, (widened = new Float32Array(tensor.size)));
    widened.set(tensor.data as ArrayLike<number>);
    return widened;
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/** Opens an .onnx file with onnxruntime-node, set up for a small CPU box unless told otherwise. */
export const loadOnnxRuntimeBackend: BackendLoader = async (modelPath: string, options: BackendOptions) => {
  const bytes = await readFile(modelPath).catch((error: Error) => {
    throw new DetectorError(`cannot read model file ${modelPath}: ${error.message}`);
  });
  const ort = await import('onnxruntime-node');
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: options.intraOpNumThreads,
      // One graph at a time: parallel branches would only compete for the same few cores.
      executionMode: 'sequential',
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: [...options.executionProviders],
      extra: { session: { intra_op: { allow_spinning: options.spinWait ? '1' : '0' } } },
    });
  } catch (error) {
    throw new DetectorError(`cannot load model ${modelPath}: ${(error as Error).message}`);
  }
  const fail = async (message: string) => {
    await session.release();
    return new DetectorError(`model ${modelPath}: ${message}`);
  };
  if (session.inputMetadata.length !== 1) throw await fail(`expects ${session.inputMetadata.length} inputs (${session.inputNames.join(', ')}); a YOLO detector takes one image tensor`);
  let input: TensorInfo;
  let outputs: TensorInfo[];
  let metadata: Record<string, string>;
  try {
    input = tensorInfo(session.inputMetadata[0]!);
    outputs = session.outputMetadata.map(tensorInfo);
    metadata = readOnnxMetadata(bytes);
  } catch (error) {
    throw await fail((error as Error).message);
  }
  // onnxruntime-node cannot be fed a Float16Array under Bun (its N-API sees an empty array).
  if (input.type !== 'float32') throw await fail(`input "${input.name}" is ${input.type}; only float32 inputs are supported (export with half=False)`);
  const unsupported = outputs.find((output) => output.type !== 'float32' && output.type !== 'float16');
  if (unsupported) throw await fail(`output "${unsupported.name}" is ${unsupported.type}; expected float32 or float16`);
  return new OnnxRuntimeBackend(ort, session, input, outputs, metadata, options.executionProviders, options.intraOpNumThreads);
};
