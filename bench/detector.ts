// 1. Detector overhead: bare onnxruntime `session.run` against our full detect() (letterbox + run +
//    decode + NMS) on a 1280×720 frame, for each fixture model, with the same input tensor.
//    Goal: full ≤ 1.2 × bare.
// 2. The TensorRT backend's bun:ffi path against onnxruntime-node, on the same model and input:
//    backend.run() through the cctv_trt shim (native/onnxruntime_shim.c: the TensorRT shim's C ABI
//    over the same libonnxruntime, so both compute alike) against the onnxruntime-node backend's
//    run(), and detect() through each, alternating call by call. Goal: the two within 5 % (the FFI
//    costs nothing that shows). Then the per-call cost of each binding on a model that computes
//    next to nothing.
//   bun bench/detector.ts [--rounds 50] [--only overhead|ffi]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTensorRtBackendLoader, loadDetector, loadOnnxRuntimeBackend, writeEngineFile, type BackendLoader } from '@cctv/detector';
import { requireFixtures } from '@cctv/testbed';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { buildOnnxRuntimeShim } from '../native/build.ts';

const args = process.argv.slice(2);
const roundsArg = args.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 50;
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? args[onlyArg + 1] : undefined;
// Blocks of bare, then full, in turn, so drift in the machine's load hits both. Only one session
// is alive at a time: a session's idle threads spin-wait after each run and would slow another's.
const BLOCKS = 5;
const WARM_UP = 3;

const fixtures = requireFixtures('models/yolov8n_int8.onnx', 'models/yolox_nano.onnx', 'images/zidane.jpg');
if (!fixtures) process.exit(1);
const [yolov8Path, yoloxPath, zidanePath] = fixtures;

const { data, info } = await sharp(zidanePath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const frame = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The onnxruntime backend, reporting each input detect() feeds it. */
function capturingBackend(capture: (input: Float32Array, dims: readonly number[]) => void): BackendLoader {
  return async (modelPath, options) => {
    const backend = await loadOnnxRuntimeBackend(modelPath, options);
    return {
      name: backend.name,
      executionProviders: backend.executionProviders,
      intraOpNumThreads: backend.intraOpNumThreads,
      input: backend.input,
      outputs: backend.outputs,
      metadata: backend.metadata,
      run: (input, dims) => {
        capture(input, dims);
        return backend.run(input, dims);
      },
      dispose: () => backend.dispose(),
    };
  };
}

async function timeBare(modelPath: string, input: Float32Array, dims: readonly number[], runs: number): Promise<number[]> {
  // The same settings the detector gives its session.
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) };
  const times: number[] = [];
  for (let i = 0; i < WARM_UP + runs; i++) {
    const started = performance.now();
    await session.run(feeds);
    if (i >= WARM_UP) times.push(performance.now() - started);
  }
  await session.release();
  return times;
}

async function timeFull(modelPath: string, runs: number) {
  const detector = await loadDetector({ modelPath });
  const times: number[] = [];
  const steps = { pre: [] as number[], infer: [] as number[], post: [] as number[] };
  for (let i = 0; i < WARM_UP + runs; i++) {
    const started = performance.now();
    await detector.detect(frame);
    if (i < WARM_UP) continue;
    times.push(performance.now() - started);
    steps.pre.push(detector.lastTimings!.preMs);
    steps.infer.push(detector.lastTimings!.inferMs);
    steps.post.push(detector.lastTimings!.postMs);
  }
  await detector.dispose();
  return { times, steps, description: `${detector.inputWidth}×${detector.inputHeight} ${detector.layout}` };
}

/** Part 1: bare session.run against the full detect(). */
async function benchOverhead(): Promise<void> {
  console.log(`${frame.width}×${frame.height} frame (zidane.jpg), ${rounds} runs each, in ${BLOCKS} blocks of bare then full; onnxruntime-node, cpu, intraOpNumThreads 2\n`);
  console.log('| model | input | bare session.run (ms, median) | full detect() (ms, median) | pre / infer / post (ms, median) | full ÷ bare |');
  console.log('|---|---|---|---|---|---|');
  for (const modelPath of [yolov8Path, yoloxPath]) {
    let input: { data: Float32Array; dims: readonly number[] } | undefined;
    const capturing = await loadDetector({ modelPath, backend: capturingBackend((data, dims) => (input = { data: data.slice(), dims })) });
    await capturing.detect(frame);
    await capturing.dispose();

    const bare: number[] = [];
    const full: number[] = [];
    const steps = { pre: [] as number[], infer: [] as number[], post: [] as number[] };
    let description = '';
    for (let block = 0; block < BLOCKS; block++) {
      bare.push(...(await timeBare(modelPath, input!.data, input!.dims, rounds / BLOCKS)));
      const result = await timeFull(modelPath, rounds / BLOCKS);
      full.push(...result.times);
      for (const step of ['pre', 'infer', 'post'] as const) steps[step].push(...result.steps[step]);
      description = result.description;
    }
    const name = modelPath.split('/').at(-1);
    const stepText = [steps.pre, steps.infer, steps.post].map((s) => median(s).toFixed(2)).join(' / ');
    console.log(`| ${name} | ${description} | ${median(bare).toFixed(1)} | ${median(full).toFixed(1)} | ${stepText} | ${(median(full) / median(bare)).toFixed(2)} |`);
  }
}

/** The input detect() feeds a model for the frame, captured once. */
async function capturedInput(modelPath: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
  let input: { data: Float32Array; dims: readonly number[] } | undefined;
  const capturing = await loadDetector({ modelPath, backend: capturingBackend((data, dims) => (input = { data: data.slice(), dims })) });
  await capturing.detect(frame);
  await capturing.dispose();
  return input!;
}

// Both alive at once, so calls can alternate one by one (node, ffi, ffi, node, …) and the machine's
// load drifts hit both alike; idle threads sleep (spinWait off) so the idle session takes no cores.
const BACKEND_OPTIONS = { intraOpNumThreads: 2, executionProviders: ['cpu'], spinWait: false } as const;

interface Paired {
  node: number[];
  ffi: number[];
  /** ffi ÷ node for each pair of neighbouring calls. */
  ratios: number[];
}

/** Times two async calls alternately, node first on even pairs and ffi first on odd ones, after a warm-up of each. */
async function alternate(node: () => Promise<unknown>, ffi: () => Promise<unknown>, pairs: number): Promise<Paired> {
  for (let i = 0; i < WARM_UP; i++) {
    await node();
    await ffi();
  }
  const time = async (call: () => Promise<unknown>) => {
    const started = performance.now();
    await call();
    return performance.now() - started;
  };
  const result: Paired = { node: [], ffi: [], ratios: [] };
  for (let i = 0; i < pairs; i++) {
    let nodeMs: number;
    let ffiMs: number;
    if (i % 2) {
      ffiMs = await time(ffi);
      nodeMs = await time(node);
    } else {
      nodeMs = await time(node);
      ffiMs = await time(ffi);
    }
    result.node.push(nodeMs);
    result.ffi.push(ffiMs);
    result.ratios.push(ffiMs / nodeMs);
  }
  return result;
}

const ms = (times: number[]) => median(times).toFixed(2);
const ratioText = (paired: Paired) => `${(median(paired.ffi) / median(paired.node)).toFixed(3)} (pairs: ${median(paired.ratios).toFixed(3)})`;

/** Part 2: the bun:ffi backend (ONNX Runtime shim) against onnxruntime-node, run() and detect(), call by call. */
async function benchFfi(): Promise<void> {
  const shim = buildOnnxRuntimeShim();
  const ffiLoader = createTensorRtBackendLoader({ shimPath: shim });
  const dir = mkdtempSync(join(tmpdir(), 'bench-ffi-'));
  console.log(`\n${frame.width}×${frame.height} frame (zidane.jpg), ${rounds} calls each, alternating call by call; cpu, intraOpNumThreads 2, spin-wait off`);
  console.log('onnxruntime-node: the onnxruntime-node backend; bun:ffi: the TensorRT backend through native/onnxruntime_shim.c (the same libonnxruntime 1.30.0), the model wrapped as an engine file');
  console.log('ffi ÷ node: ratio of the medians (and the median of the ratios of neighbouring calls)\n');
  console.log('| model | onnxruntime-node run() (ms) | bun:ffi run() (ms) | ffi ÷ node | onnxruntime-node detect() (ms) | bun:ffi detect() (ms) | ffi ÷ node |');
  console.log('|---|---|---|---|---|---|---|');
  try {
    for (const modelPath of [yolov8Path, yoloxPath]) {
      const name = modelPath.split('/').at(-1)!;
      // YOLOX exports carry no metadata: a plain engine, as trtexec writes one.
      const onnx = readFileSync(modelPath);
      const enginePath = join(dir, name.replace(/\.onnx$/, '.engine'));
      writeFileSync(enginePath, name.startsWith('yolox') ? onnx : writeEngineFile({ imgsz: [640, 640], stride: 32, task: 'detect', batch: 1 }, onnx));
      const input = await capturedInput(modelPath);

      const [nodeBackend, ffiBackend] = [await loadOnnxRuntimeBackend(modelPath, BACKEND_OPTIONS), await ffiLoader(enginePath, BACKEND_OPTIONS)];
      const runs = await alternate(() => nodeBackend.run(input.data, input.dims), () => ffiBackend.run(input.data, input.dims), rounds);
      await Promise.all([nodeBackend.dispose(), ffiBackend.dispose()]);

      const [nodeDetector, ffiDetector] = [await loadDetector({ modelPath, spinWait: false }), await loadDetector({ modelPath: enginePath, tensorRtShim: shim, spinWait: false })];
      const detects = await alternate(() => nodeDetector.detect(frame), () => ffiDetector.detect(frame), rounds);
      await Promise.all([nodeDetector.dispose(), ffiDetector.dispose()]);

      console.log(`| ${name} | ${ms(runs.node)} | ${ms(runs.ffi)} | ${ratioText(runs)} | ${ms(detects.node)} | ${ms(detects.ffi)} | ${ratioText(detects)} |`);
    }
    // The binding's own cost per call, where inference costs next to nothing: a 32×32 crop model.
    const tiny = join(import.meta.dirname, '..', 'packages', 'detector', 'models', 'not-a-detector.onnx');
    const tinyEngine = join(dir, 'not-a-detector.engine');
    writeFileSync(tinyEngine, readFileSync(tiny));
    const tinyInput = { data: new Float32Array(3 * 32 * 32).fill(0.5), dims: [1, 3, 32, 32] };
    const [nodeTiny, ffiTiny] = [await loadOnnxRuntimeBackend(tiny, BACKEND_OPTIONS), await ffiLoader(tinyEngine, BACKEND_OPTIONS)];
    const calls = await alternate(() => nodeTiny.run(tinyInput.data, tinyInput.dims), () => ffiTiny.run(tinyInput.data, tinyInput.dims), rounds * 50);
    await Promise.all([nodeTiny.dispose(), ffiTiny.dispose()]);
    const us = (times: number[]) => `${(median(times) * 1000).toFixed(1)} µs`;
    console.log(`\nPer call on a 32×32 crop model, where inference is next to nothing (${rounds * 50} calls each): onnxruntime-node run() ${us(calls.node)}, bun:ffi run() ${us(calls.ffi)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (only !== 'ffi') await benchOverhead();
if (only !== 'overhead') await benchFfi();
