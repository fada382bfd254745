// The plugin boundary: a backend runs the network and nothing else. Letterboxing, decoding, NMS
// and class names are shared (detector.ts), so a new backend (TensorRT via bun:ffi) is one file.

/** Settings every backend is given; each uses what applies to it. */
export interface BackendOptions {
  /** Threads one inference may use. */
  intraOpNumThreads: number;
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']. */
  executionProviders: readonly string[];
  /** Whether idle inference threads spin-wait for the next run (faster runs) or sleep (free cores). */
  spinWait: boolean;
}

/** A model input or output as the backend declares it; a dynamic dimension is a string or -1. */
export interface TensorInfo {
  name: string;
  dims: readonly (number | string)[];
  /** Element type as onnxruntime names it: 'float32', 'float16', … */
  type: string;
}

/** One output of a run, converted to float32 whatever the model computes in. */
export interface OutputTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

export interface InferenceBackend {
  /** What ran the model, for logs and stats, e.g. "onnxruntime-node 1.30.0". */
  readonly name: string;
  /** Providers the session was created with, in order. */
  readonly executionProviders: readonly string[];
  readonly intraOpNumThreads: number;
  readonly input: TensorInfo;
  readonly outputs: readonly TensorInfo[];
  /** The model's own key/value metadata (Ultralytics writes names, imgsz, stride, end2end). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Runs one CHW float32 input of the given dims. The input array is reused by the caller after
   * the promise settles, never before.
   */
  run(input: Float32Array, dims: readonly number[]): Promise<OutputTensor[]>;
  dispose(): Promise<void>;
}

/** Opens a model file as a backend; throws DetectorError naming the path when it cannot. */
export type BackendLoader = (modelPath: string, options: BackendOptions) => Promise<InferenceBackend>;
