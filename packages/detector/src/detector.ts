import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Detection, RgbImage } from '@cctv/frame-buffer';
import type { BackendLoader, BackendOptions, InferenceBackend } from './backend.ts';
import { parseLabels, resolveClassNames } from './class-names.ts';
import { Decoder, headStrides, identifyLayout, LAYOUT_DESCRIPTIONS, type OutputLayout } from './decode.ts';
import { DetectorError, ModelNotFoundError } from './errors.ts';
import { Letterbox, type InputConvention, type LetterboxTransform } from './letterbox.ts';
import { parseModelMetadata } from './metadata.ts';
import { nonMaxSuppression } from './nms.ts';
import { loadOnnxRuntimeBackend } from './onnxruntime-backend.ts';
import { createTensorRtBackendLoader } from './tensorrt-backend.ts';

/** Which runtime opens the model: 'auto' goes by the file's extension (.engine / .plan: TensorRT; else ONNX Runtime). */
export type BackendChoice = 'auto' | 'onnxruntime' | 'tensorrt';

const TENSORRT_EXTENSIONS = ['.engine', '.plan'];

/** The runtime a choice comes to for this file. */
export function backendForModel(modelPath: string, choice: BackendChoice = 'auto'): 'onnxruntime' | 'tensorrt' {
  if (choice !== 'auto') return choice;
  return TENSORRT_EXTENSIONS.includes(extname(modelPath).toLowerCase()) ? 'tensorrt' : 'onnxruntime';
}

/** The same-named .onnx beside an engine file (models/best.engine → models/best.onnx). */
export function onnxBeside(modelPath: string): string {
  const extension = extname(modelPath);
  return `${extension ? modelPath.slice(0, -extension.length) : modelPath}.onnx`;
}

export interface DetectorOptions {
  /** The model file: .onnx (ONNX Runtime), or a TensorRT .engine / .plan (see `backend`). */
  modelPath: string;
  /** Lowest score reported, 0-1 (default 0.25, Ultralytics' predict default). */
  confidence?: number;
  /** Boxes of one class overlapping more than this are merged by NMS, 0-1 (default 0.45). */
  iou?: number;
  /** Only these classes, by id or name (default: all). */
  classes?: readonly (number | string)[];
  /** Class names, one per line; overrides the model's own names. */
  labelsPath?: string;
  /** At most this many detections per frame, best first (default 300). */
  maxDetections?: number;
  /** The output layout, when telling it from the output shape is not enough. */
  layout?: OutputLayout;
  /** Input conventions; defaults follow the layout (YOLOX: bgr, 0-255, top-left; others: rgb, 0-1, centre). */
  channelOrder?: InputConvention['channelOrder'];
  pixelRange?: InputConvention['pixelRange'];
  placement?: InputConvention['placement'];
  /** Threads one inference may use (default 2: this server's target is a 2-core box). */
  intraOpNumThreads?: number;
  /** Execution providers in order of preference (default ['cpu']). */
  executionProviders?: readonly string[];
  /**
   * Let idle inference threads spin-wait for the next run (default true, onnxruntime's default).
   * Measured on 2 cores, YOLOX-nano with 5 ms pauses between runs: 7.6 ms per run and 1.6 cores
   * busy spinning, 10 ms and 1.0 core sleeping; the difference is CPU ffmpeg and the encoder lose.
   */
  spinWait?: boolean;
  /**
   * What runs the network: 'auto' (default: TensorRT for .engine / .plan files, onnxruntime-node
   * otherwise), 'onnxruntime', 'tensorrt', or a BackendLoader of your own.
   */
  backend?: BackendChoice | BackendLoader;
  /** The TensorRT shim library (default: $CCTV_TRT_SHIM, else native/build/libcctv_trt.so). */
  tensorRtShim?: string;
  /**
   * When TensorRT cannot open the engine (no shim, no TensorRT or CUDA, an engine built for another
   * version or GPU) and a same-named .onnx sits beside it, run that instead and say why in
   * `detector.backend.fallback` (default false: the error is thrown).
   */
  onnxFallback?: boolean;
}

/**
 * Filters for one detect() call that differ from the detector's own: one model serves several
 * cameras, each with its own confidence floor, overlap and classes.
 */
export interface DetectOverrides {
  confidence?: number;
  iou?: number;
  /** Only these classes, by id or name; empty: every class. */
  classes?: readonly (number | string)[];
}

/** Milliseconds spent in each step of the latest detect() call. */
export interface DetectTimings {
  preMs: number;
  inferMs: number;
  postMs: number;
}

export interface Detector {
  readonly modelPath: string;
  /** The model's input size, as read from the model. */
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly layout: OutputLayout;
  readonly inputConvention: InputConvention;
  /** Names by class id. */
  readonly classNames: readonly string[];
  readonly confidence: number;
  readonly iou: number;
  readonly backend: {
    name: string;
    executionProviders: readonly string[];
    intraOpNumThreads: number;
    /** Set when the .onnx beside an engine runs instead of it (onnxFallback): why TensorRT did not. */
    fallback?: string;
  };
  /** Timings of the latest completed detect(), or undefined before the first. */
  readonly lastTimings: DetectTimings | undefined;
  /**
   * Objects in a packed RGB frame, boxes in that frame's pixels, best first. Calls run one at a
   * time in call order; the frame is read when its turn comes, so leave it unchanged until then.
   */
  detect(image: RgbImage, overrides?: DetectOverrides): Promise<Detection[]>;
  /** Releases the model; waits for a detect() in progress. */
  dispose(): Promise<void>;
}

const DEFAULTS = { confidence: 0.25, iou: 0.45, maxDetections: 300, intraOpNumThreads: 2, executionProviders: ['cpu'] } as const;

// NMS looks at the best this many candidates only: it costs candidates × kept, and a threshold near 0
// leaves thousands. Not maxDetections itself: the fixture photos give 8-10 candidates per object at
// 0.25, so a cap of 300 would start losing people in a crowd of 30.
const MAX_NMS_CANDIDATES = 3000;

function checkRange(name: string, value: number, min: number, max: number, integer = false): number {
  if (!(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
    throw new DetectorError(`${name} is ${value}, expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

/** The model's input [height, width]: its own static dims, else its metadata's imgsz. */
function inputSize(backend: InferenceBackend, declared: [number, number] | undefined, modelPath: string): [number, number] {
  const dims = backend.input.dims;
  if (dims.length !== 4 || (typeof dims[1] === 'number' && dims[1] !== 3)) {
    throw new DetectorError(`model ${modelPath}: input "${backend.input.name}" has shape [${dims.join(',')}]; expected [1,3,height,width]`);
  }
  const [height, width] = [dims[2], dims[3]];
  if (typeof height === 'number' && typeof width === 'number') return [height, width];
  if (declared) return declared;
  throw new DetectorError(`model ${modelPath}: input "${backend.input.name}" has a dynamic size [${dims.join(',')}] and no imgsz metadata; export it with a fixed size (yolo export format=onnx imgsz=640)`);
}

/** Class ids to keep, as a lookup by id, from ids and names. */
function allowedClasses(classes: readonly (number | string)[], names: readonly string[]): Uint8Array {
  const allowed = new Uint8Array(names.length);
  for (const wanted of classes) {
    const id = typeof wanted === 'number' ? wanted : names.indexOf(wanted);
    if (!(Number.isInteger(id) && id >= 0 && id < names.length)) {
      throw new DetectorError(`classes: ${JSON.stringify(wanted)} is not one of the model's ${names.length} classes (ids 0-${names.length - 1}: ${names.join(', ')})`);
    }
    allowed[id] = 1;
  }
  return allowed;
}

/** The backend the options ask for, or the .onnx beside the engine when TensorRT cannot run it and fallback is on. */
async function openBackend(options: DetectorOptions, backendOptions: BackendOptions): Promise<{ backend: InferenceBackend; modelPath: string; fallback?: string }> {
  const { modelPath } = options;
  const choice = options.backend ?? 'auto';
  if (typeof choice === 'function') return { backend: await choice(modelPath, backendOptions), modelPath };
  if (backendForModel(modelPath, choice) === 'onnxruntime') return { backend: await loadOnnxRuntimeBackend(modelPath, backendOptions), modelPath };
  try {
    return { backend: await createTensorRtBackendLoader({ shimPath: options.tensorRtShim })(modelPath, backendOptions), modelPath };
  } catch (error) {
    const onnx = onnxBeside(modelPath);
    if (!options.onnxFallback || onnx === modelPath || !existsSync(onnx)) throw error;
    const why = (error as Error).message;
    const backend = await loadOnnxRuntimeBackend(onnx, backendOptions).catch((onnxError: Error) => {
      throw new DetectorError(`${why}; the fallback ${onnx} did not load either: ${onnxError.message}`);
    });
    return { backend, modelPath: onnx, fallback: why };
  }
}

/** Opens a YOLO model: reads its input size, output layout and class names, and warms it up once. */
export async function loadDetector(options: DetectorOptions): Promise<Detector> {
  const confidence = checkRange('confidence', options.confidence ?? DEFAULTS.confidence, 0, 1);
  const iou = checkRange('iou', options.iou ?? DEFAULTS.iou, 0, 1);
  const maxDetections = checkRange('maxDetections', options.maxDetections ?? DEFAULTS.maxDetections, 1, 100_000, true);
  const intraOpNumThreads = checkRange('intraOpNumThreads', options.intraOpNumThreads ?? DEFAULTS.intraOpNumThreads, 1, 1024, true);
  if (!existsSync(options.modelPath)) throw new ModelNotFoundError(options.modelPath);
  if (options.labelsPath !== undefined && !existsSync(options.labelsPath)) throw new DetectorError(`labels file not found: ${options.labelsPath}`);

  const { backend, modelPath, fallback } = await openBackend(options, {
    intraOpNumThreads,
    executionProviders: options.executionProviders ?? DEFAULTS.executionProviders,
    spinWait: options.spinWait ?? true,
  });
  try {
    const metadata = parseModelMetadata(backend.metadata, modelPath);
    const labels = options.labelsPath === undefined ? undefined : parseLabels(await readFile(options.labelsPath, 'utf8'));
    const [inputHeight, inputWidth] = inputSize(backend, metadata.inputSize, modelPath);
    const strides = headStrides(metadata.maxStride ?? 32);

    // One run on a grey picture gives the real output dims (exports may leave them dynamic) and
    // takes the first, slowest inference out of the first frame's latency.
    const warmUp = new Float32Array(3 * inputWidth * inputHeight).fill(0.5);
    const dims = [1, 3, inputHeight, inputWidth];
    const [output] = await backend.run(warmUp, dims).catch((error: Error) => {
      throw new DetectorError(`model ${modelPath}: a test run on a ${inputWidth}×${inputHeight} input failed: ${error.message}`);
    });
    const outputDims = output?.dims ?? [];
    const info = identifyLayout(outputDims, { width: inputWidth, height: inputHeight, strides }, { end2end: metadata.end2end, forced: options.layout });
    if (!info) {
      const shape = `model ${modelPath}: output shape [${outputDims.join(',')}]`;
      const input = `(input ${inputWidth}×${inputHeight})`;
      if (options.layout) throw new DetectorError(`${shape} does not fit the ${options.layout} layout the options ask for ${input}; the layouts are: ${LAYOUT_DESCRIPTIONS}`);
      if (metadata.end2end) throw new DetectorError(`${shape} is not the end-to-end [1,K,6] its metadata (end2end) declares ${input}`);
      throw new DetectorError(`${shape} is none of: ${LAYOUT_DESCRIPTIONS} ${input}`);
    }
    // End-to-end outputs carry class ids, not one score per class: their count comes from the names.
    const classCount = info.layout === 'end2end' ? (labels?.length ?? metadata.names?.length ?? 0) : info.classCount;
    const classNames = resolveClassNames(classCount, { labels, metadata: metadata.names });
    const isYolox = info.layout === 'yolox';
    const inputConvention: InputConvention = {
      channelOrder: options.channelOrder ?? (isYolox ? 'bgr' : 'rgb'),
      pixelRange: options.pixelRange ?? (isYolox ? '0-255' : '0-1'),
      placement: options.placement ?? (isYolox ? 'top-left' : 'centre'),
    };
    return new YoloDetector({
      modelPath,
      backend,
      letterbox: new Letterbox(inputWidth, inputHeight, inputConvention),
      decoder: new Decoder(info, { width: inputWidth, height: inputHeight, strides }),
      classNames,
      allowed: options.classes ? allowedClasses(options.classes, classNames) : undefined,
      confidence,
      iou,
      maxDetections,
      fallback,
    });
  } catch (error) {
    await backend.dispose();
    throw error;
  }
}

interface Parts {
  modelPath: string;
  backend: InferenceBackend;
  letterbox: Letterbox;
  decoder: Decoder;
  classNames: string[];
  allowed: Uint8Array | undefined;
  confidence: number;
  iou: number;
  maxDetections: number;
  fallback: string | undefined;
}

interface Filters {
  allowed: Uint8Array | undefined;
  confidence: number;
  iou: number;
}

class YoloDetector implements Detector {
  readonly modelPath: string;
  readonly classNames: readonly string[];
  readonly confidence: number;
  readonly iou: number;
  lastTimings: DetectTimings | undefined;
  readonly #parts: Parts;
  readonly #inputDims: readonly number[];
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;
  /** Class masks of the class lists detect() calls asked for, by list. */
  readonly #masks = new Map<string, Uint8Array>();

  constructor(parts: Parts) {
    this.#parts = parts;
    this.modelPath = parts.modelPath;
    this.classNames = parts.classNames;
    this.confidence = parts.confidence;
    this.iou = parts.iou;
    this.#inputDims = [1, 3, parts.letterbox.height, parts.letterbox.width];
  }

  get inputWidth(): number {
    return this.#parts.letterbox.width;
  }

  get inputHeight(): number {
    return this.#parts.letterbox.height;
  }

  get layout(): OutputLayout {
    return this.#parts.decoder.info.layout;
  }

  get inputConvention(): InputConvention {
    return this.#parts.letterbox.convention;
  }

  get backend(): Detector['backend'] {
    const { name, executionProviders, intraOpNumThreads } = this.#parts.backend;
    const { fallback } = this.#parts;
    return fallback === undefined ? { name, executionProviders, intraOpNumThreads } : { name, executionProviders, intraOpNumThreads, fallback };
  }

  detect(image: RgbImage, overrides: DetectOverrides = {}): Promise<Detection[]> {
    let filters: Filters;
    try {
      filters = this.#filters(overrides);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#disposed) return Promise.reject(new DetectorError(`detector for ${this.modelPath} is disposed`));
    const expected = image.width * image.height * 3;
    if (!(image.width > 0 && image.height > 0) || image.data.length !== expected) {
      return Promise.reject(new DetectorError(`image is ${image.width}×${image.height} with ${image.data.length} bytes; expected packed RGB, ${expected} bytes`));
    }
    // One at a time: the input tensor and decode buffers are shared between calls.
    const run = this.#queue.then(() => this.#detectNow(image, filters));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The detector's own filters with the call's overrides over them (class masks kept per list). */
  #filters(overrides: DetectOverrides): Filters {
    const { allowed, confidence, iou } = this.#parts;
    const classes = overrides.classes;
    let mask = allowed;
    if (classes) {
      const key = JSON.stringify(classes);
      mask = classes.length === 0 ? undefined : this.#masks.get(key);
      if (classes.length && !mask) this.#masks.set(key, (mask = allowedClasses(classes, this.classNames)));
    }
    return {
      allowed: mask,
      confidence: overrides.confidence === undefined ? confidence : checkRange('confidence', overrides.confidence, 0, 1),
      iou: overrides.iou === undefined ? iou : checkRange('iou', overrides.iou, 0, 1),
    };
  }

  async #detectNow(image: RgbImage, filters: Filters): Promise<Detection[]> {
    const { letterbox, backend, decoder } = this.#parts;
    const started = performance.now();
    const transform = letterbox.apply(image);
    const prepared = performance.now();
    const [output] = await backend.run(letterbox.tensor, this.#inputDims);
    const inferred = performance.now();
    const detections = this.#postProcess(output!.data, transform, image.width, image.height, decoder, filters);
    this.lastTimings = { preMs: prepared - started, inferMs: inferred - prepared, postMs: performance.now() - inferred };
    return detections;
  }

  #postProcess(output: Float32Array, transform: LetterboxTransform, width: number, height: number, decoder: Decoder, filters: Filters): Detection[] {
    const { maxDetections } = this.#parts;
    const { allowed, confidence, iou } = filters;
    const candidates = decoder.decode(output, confidence, allowed);
    const { boxes, scores, classIds } = candidates;
    const order = Array.from({ length: candidates.count }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    const best = order.slice(0, MAX_NMS_CANDIDATES).map((i) => ({
      classId: classIds[i]!,
      className: this.classNames[classIds[i]!] ?? `class ${classIds[i]}`,
      confidence: scores[i]!,
      box: { x1: boxes[4 * i]!, y1: boxes[4 * i + 1]!, x2: boxes[4 * i + 2]!, y2: boxes[4 * i + 3]! },
    }));
    // Suppression in input pixels, as the models were evaluated; end-to-end models did their own.
    const kept = decoder.info.layout === 'end2end' ? best.slice(0, maxDetections) : nonMaxSuppression(best, iou, maxDetections);
    const detections: Detection[] = [];
    const { scaleX, scaleY, padX, padY } = transform;
    const clip = (value: number, max: number) => Math.min(max, Math.max(0, value));
    for (const detection of kept) {
      const box = detection.box;
      box.x1 = clip((box.x1 - padX) / scaleX, width);
      box.y1 = clip((box.y1 - padY) / scaleY, height);
      box.x2 = clip((box.x2 - padX) / scaleX, width);
      box.y2 = clip((box.y2 - padY) / scaleY, height);
      if (box.x2 > box.x1 && box.y2 > box.y1) detections.push(detection); // boxes wholly in the grey border vanish
    }
    return detections;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#queue;
    await this.#parts.backend.dispose();
  }
}
