import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
// Types only: bun:ffi is imported when an engine is opened.
import type * as Ffi from 'bun:ffi';
import type { BackendLoader, BackendOptions, InferenceBackend, OutputTensor, TensorInfo } from './backend.ts';
import { parseEngineFile } from './engine-file.ts';
import { DetectorError } from './errors.ts';

/** The cctv_trt ABI version this file speaks (native/cctv_trt.h). */
const ABI_VERSION = 1;
const MAX_DIMS = 8;

/** Where `bun run build:native` puts the TensorRT shim. */
export const DEFAULT_TENSORRT_SHIM = resolve(import.meta.dirname, '..', '..', '..', 'native', 'build', 'libcctv_trt.so');

/**
 * The shim to load: the option, else $CCTV_TRT_SHIM, else the build folder's, else (for a compiled
 * server executable, whose sources have no folder on disk) a libcctv_trt.so beside the executable.
 */
export function tensorRtShimPath(explicit?: string, env: Record<string, string | undefined> = process.env): string {
  const chosen = explicit ?? env.CCTV_TRT_SHIM;
  if (chosen) return resolve(chosen);
  const besideExecutable = join(dirname(process.execPath), 'libcctv_trt.so');
  return !existsSync(DEFAULT_TENSORRT_SHIM) && existsSync(besideExecutable) ? besideExecutable : DEFAULT_TENSORRT_SHIM;
}

/** Why the shim cannot be loaded, told without loading it (for the banner); undefined when its file is there. */
export function tensorRtShimProblem(path: string): string | undefined {
  if (existsSync(path)) return undefined;
  return `TensorRT unavailable: the TensorRT shim ${path} is not built (run \`bun run build:native\` where TensorRT and CUDA are installed, or set CCTV_TRT_SHIM)`;
}

/** The shim, or the TensorRT and CUDA libraries it needs, are not there: nothing about the model itself. */
export class TensorRtUnavailableError extends DetectorError {
  override name = 'TensorRtUnavailableError';
}

// Element types by their nvinfer1::DataType value, named as onnxruntime names them.
const TYPE_NAMES: Record<number, string> = { 0: 'float32', 1: 'float16', 2: 'int8', 3: 'int32', 4: 'bool', 5: 'uint8', 6: 'float8', 7: 'bfloat16', 8: 'int64' };
const FLOAT32 = 0;
const FLOAT16 = 1;

function symbols(T: typeof Ffi.FFIType) {
  return {
    cctv_trt_abi_version: { args: [], returns: T.i32 },
    cctv_trt_last_error: { args: [], returns: T.cstring },
    cctv_trt_runtime_info: { args: [T.ptr, T.ptr], returns: T.i32 },
    cctv_trt_create: { args: [T.ptr, T.u64, T.i32, T.i32, T.ptr], returns: T.i32 },
    cctv_trt_destroy: { args: [T.ptr], returns: T.i32 },
    cctv_trt_tensor_count: { args: [T.ptr, T.ptr], returns: T.i32 },
    cctv_trt_tensor_info: { args: [T.ptr, T.i32, T.ptr, T.ptr, T.ptr, T.ptr, T.ptr], returns: T.i32 },
    cctv_trt_set_input_shape: { args: [T.ptr, T.i32, T.ptr, T.i32], returns: T.i32 },
    cctv_trt_run: { args: [T.ptr, T.ptr, T.u64], returns: T.i32 },
    cctv_trt_output: { args: [T.ptr, T.i32, T.ptr, T.ptr], returns: T.i32 },
  } as const;
}

type Symbols = Ffi.Library<ReturnType<typeof symbols>>['symbols'];

interface Shim {
  path: string;
  ffi: typeof Ffi;
  lib: Symbols;
  runtime: string;
  device: string;
}

// One dlopen per shim and thread (each Worker has its own module instance); never closed, as
// engines made from it may still be alive.
const shims = new Map<string, Shim>();

async function openShim(path: string): Promise<Shim> {
  const cached = shims.get(path);
  if (cached) return cached;
  const problem = tensorRtShimProblem(path);
  if (problem) throw new TensorRtUnavailableError(problem);
  const ffi = await import('bun:ffi');
  let lib: Symbols;
  try {
    lib = ffi.dlopen(path, symbols(ffi.FFIType)).symbols;
  } catch (error) {
    // dlerror's text names the missing library, e.g. "libnvinfer.so.10: cannot open shared object file".
    throw new TensorRtUnavailableError(`TensorRT unavailable: cannot load the TensorRT shim ${path}: ${(error as Error).message}`);
  }
  const abi = lib.cctv_trt_abi_version();
  if (abi !== ABI_VERSION) throw new TensorRtUnavailableError(`TensorRT unavailable: ${path} speaks cctv_trt ABI ${abi}, this code ABI ${ABI_VERSION}; rebuild it (bun run build:native)`);
  const strings = new BigUint64Array(2);
  if (lib.cctv_trt_runtime_info(ffi.ptr(strings), ffi.ptr(strings, 8)) !== 0) {
    throw new TensorRtUnavailableError(`TensorRT unavailable: ${path}: ${lib.cctv_trt_last_error()}`);
  }
  const text = (address: bigint) => new ffi.CString(Number(address) as Ffi.Pointer).toString();
  const shim = { path, ffi, lib, runtime: text(strings[0]!), device: text(strings[1]!) };
  shims.set(path, shim);
  return shim;
}

interface Tensor extends TensorInfo {
  index: number;
  typeCode: number;
}

/** Reads tensors' names, types and shapes through scratch buffers allocated once. */
class TensorReader {
  readonly #name = new BigUint64Array(1);
  readonly #ints = new Int32Array(3); // is_input, dtype, nb_dims
  readonly #dims = new BigInt64Array(MAX_DIMS);

  constructor(
    private readonly shim: Shim,
    private readonly engine: Ffi.Pointer,
  ) {}

  read(index: number): { name: string; isInput: boolean; typeCode: number; dims: number[] } {
    const { ffi, lib } = this.shim;
    const status = lib.cctv_trt_tensor_info(this.engine, index, ffi.ptr(this.#name), ffi.ptr(this.#ints), ffi.ptr(this.#ints, 4), ffi.ptr(this.#ints, 8), ffi.ptr(this.#dims));
    if (status !== 0) throw new Error(`cctv_trt_tensor_info(${index}): ${lib.cctv_trt_last_error()}`);
    const dims = Array.from(this.#dims.subarray(0, this.#ints[2]), Number);
    return { name: new ffi.CString(Number(this.#name[0]) as Ffi.Pointer).toString(), isInput: this.#ints[0] === 1, typeCode: this.#ints[1]!, dims };
  }

  /** Only the shape: read after every run, since an output's shape may follow the input's. */
  dims(index: number): number[] {
    const { ffi, lib } = this.shim;
    if (lib.cctv_trt_tensor_info(this.engine, index, null, null, null, ffi.ptr(this.#ints, 8), ffi.ptr(this.#dims)) !== 0) {
      throw new Error(`cctv_trt_tensor_info(${index}): ${lib.cctv_trt_last_error()}`);
    }
    return Array.from(this.#dims.subarray(0, this.#ints[2]), Number);
  }
}

/** One output's bytes in the shim's host buffer, seen without copying; re-viewed only when the buffer moves. */
interface OutputView {
  address: number;
  bytes: number;
  data: Float32Array | Float16Array;
  widened?: Float32Array;
}

/**
 * A TensorRT engine run through the cctv_trt shim with bun:ffi. The caller's Float32Array goes to
 * the shim as a pointer (no copy in JS); outputs are read in place from the shim's host buffers.
 * Each call blocks its thread for the whole inference, like the onnxruntime backend: use a Worker.
 */
class TensorRtBackend implements InferenceBackend {
  readonly name: string;
  readonly executionProviders: readonly string[];
  readonly intraOpNumThreads: number;
  readonly input: TensorInfo;
  readonly outputs: readonly TensorInfo[];
  readonly #shim: Shim;
  readonly #engine: Ffi.Pointer;
  readonly #reader: TensorReader;
  readonly #input: Tensor;
  readonly #outputs: readonly Tensor[];
  readonly #views = new Map<number, OutputView>();
  readonly #pointer = new BigUint64Array(2);
  #inputShape = '';
  #half: Float16Array | undefined;
  #disposed = false;

  constructor(
    shim: Shim,
    engine: Ffi.Pointer,
    reader: TensorReader,
    input: Tensor,
    outputs: Tensor[],
    readonly metadata: Readonly<Record<string, string>>,
    options: BackendOptions,
  ) {
    this.#shim = shim;
    this.#engine = engine;
    this.#reader = reader;
    this.#input = input;
    this.#outputs = outputs;
    this.input = { name: input.name, dims: input.dims, type: input.type };
    this.outputs = outputs.map(({ name, dims, type }) => ({ name, dims, type }));
    const onGpu = shim.device === 'cuda';
    this.name = `${shim.runtime} via bun:ffi`;
    this.executionProviders = [onGpu ? 'tensorrt' : shim.device];
    // TensorRT computes on the GPU, with one CPU thread enqueueing; a CPU implementation uses the threads it is given.
    this.intraOpNumThreads = onGpu ? 1 : options.intraOpNumThreads;
  }

  async run(input: Float32Array, dims: readonly number[]): Promise<OutputTensor[]> {
    if (this.#disposed) throw new Error('the engine is disposed');
    const { ffi, lib } = this.#shim;
    const shape = dims.join(',');
    if (shape !== this.#inputShape) this.#setInputShape(dims, shape);
    let fed: Float32Array | Float16Array = input;
    if (this.#input.typeCode === FLOAT16) {
      if (this.#half?.length !== input.length) this.#half = new Float16Array(input.length);
      this.#half.set(input); // narrows natively
      fed = this.#half;
    }
    if (lib.cctv_trt_run(this.#engine, ffi.ptr(fed), fed.byteLength) !== 0) throw new Error(String(lib.cctv_trt_last_error()));
    return this.#outputs.map((output) => ({ name: output.name, dims: this.#reader.dims(output.index), data: this.#read(output) }));
  }

  #setInputShape(dims: readonly number[], shape: string): void {
    const { ffi, lib } = this.#shim;
    const wanted = BigInt64Array.from(dims, BigInt);
    if (lib.cctv_trt_set_input_shape(this.#engine, this.#input.index, ffi.ptr(wanted), dims.length) !== 0) {
      throw new Error(`input "${this.#input.name}" cannot take shape [${shape}]: ${lib.cctv_trt_last_error()}`);
    }
    this.#inputShape = shape;
  }

  #read(output: Tensor): Float32Array {
    const { ffi, lib } = this.#shim;
    if (lib.cctv_trt_output(this.#engine, output.index, ffi.ptr(this.#pointer), ffi.ptr(this.#pointer, 8)) !== 0) {
      throw new Error(`reading output "${output.name}": ${lib.cctv_trt_last_error()}`);
    }
    const address = Number(this.#pointer[0]);
    const bytes = Number(this.#pointer[1]);
    let view = this.#views.get(output.index);
    if (view?.address !== address || view.bytes !== bytes) {
      const buffer = bytes ? ffi.toArrayBuffer(address as Ffi.Pointer, 0, bytes) : new ArrayBuffer(0);
      const data = output.typeCode === FLOAT16 ? new Float16Array(buffer) : new Float32Array(buffer);
      view = { address, bytes, data, widened: output.typeCode === FLOAT16 ? new Float32Array(data.length) : undefined };
      this.#views.set(output.index, view);
    }
    if (!view.widened) return view.data as Float32Array;
    view.widened.set(view.data); // float16 → float32, natively
    return view.widened;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#views.clear();
    this.#shim.lib.cctv_trt_destroy(this.#engine);
  }
}

export interface TensorRtBackendOptions {
  /** The cctv_trt shim to load (default: $CCTV_TRT_SHIM, else native/build/libcctv_trt.so). */
  shimPath?: string;
}

/**
 * A loader for TensorRT engine files (.engine / .plan), with or without Ultralytics' metadata
 * header. Throws TensorRtUnavailableError when the shim or the libraries it needs are missing, and
 * DetectorError naming the file for anything wrong with the engine.
 */
export function createTensorRtBackendLoader(loaderOptions: TensorRtBackendOptions = {}): BackendLoader {
  return async (modelPath: string, options: BackendOptions) => {
    const bytes = await readFile(modelPath).catch((error: Error) => {
      throw new DetectorError(`cannot read model file ${modelPath}: ${error.message}`);
    });
    const shim = await openShim(tensorRtShimPath(loaderOptions.shimPath));
    const { ffi, lib } = shim;
    const { metadata, engine: serialized } = parseEngineFile(bytes);
    if (!serialized.length) throw new DetectorError(`model ${modelPath}: no engine after its metadata header`);

    const out = new BigUint64Array(1);
    if (lib.cctv_trt_create(ffi.ptr(serialized), serialized.length, options.intraOpNumThreads, options.spinWait ? 1 : 0, ffi.ptr(out)) !== 0) {
      throw new DetectorError(`cannot load model ${modelPath} with ${shim.runtime}: ${lib.cctv_trt_last_error()}`);
    }
    const engine = Number(out[0]) as Ffi.Pointer;
    const fail = (message: string) => {
      lib.cctv_trt_destroy(engine);
      return new DetectorError(`model ${modelPath}: ${message}`);
    };
    const reader = new TensorReader(shim, engine);
    const count = new Int32Array(1);
    if (lib.cctv_trt_tensor_count(engine, ffi.ptr(count)) !== 0) throw fail(String(lib.cctv_trt_last_error()));
    const inputs: Tensor[] = [];
    const outputs: Tensor[] = [];
    for (let index = 0; index < count[0]!; index++) {
      const { name, isInput, typeCode, dims } = reader.read(index);
      // A dynamic dimension reads -1: a string, as onnxruntime-backend has it, so the detector takes the size from metadata.
      const tensor = { index, name, typeCode, type: TYPE_NAMES[typeCode] ?? `type ${typeCode}`, dims: dims.map((d) => (d >= 0 ? d : String(d))) };
      (isInput ? inputs : outputs).push(tensor);
    }
    if (inputs.length !== 1) throw fail(`expects ${inputs.length} inputs (${inputs.map((t) => t.name).join(', ')}); a YOLO detector takes one image tensor`);
    const input = inputs[0]!;
    if (input.typeCode !== FLOAT32 && input.typeCode !== FLOAT16) throw fail(`input "${input.name}" is ${input.type}; expected float32 or float16`);
    if (!outputs.length) throw fail('has no outputs');
    const unsupported = outputs.find((o) => o.typeCode !== FLOAT32 && o.typeCode !== FLOAT16);
    if (unsupported) throw fail(`output "${unsupported.name}" is ${unsupported.type}; expected float32 or float16`);
    return new TensorRtBackend(shim, engine, reader, input, outputs, metadata, options);
  };
}

/** The TensorRT loader with the default shim (see tensorRtShimPath). */
export const loadTensorRtBackend: BackendLoader = (modelPath, options) => createTensorRtBackendLoader()(modelPath, options);

