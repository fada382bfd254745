// What a Worker costs, and what sharing Workers between cameras would save: this process's RSS
// before and after starting smol Workers (as the server starts them) of one kind. One kind per
// process (bench/cameras.ts runs each), so that one's memory does not hide in the other's.
//  --kind empty: `--workers` Workers with nothing in them but a message handler;
//  --kind pipeline: `--workers` of the server's camera pipeline Worker (apps/server/src/pipeline/
//    worker.ts) with its modules loaded (capture, JPEG encoder, overlay drawing), not started;
//  --kind capture: the cameras in `--urls` read by @cctv/capture as the pipeline Worker reads them
//    (each camera's newest frame kept, nothing encoded), spread over `--workers` Workers: one per
//    camera as the server runs them, or fewer, each shared by several cameras. RSS is the median
//    over `--seconds` of streaming; the decoder children are processes of their own, not counted.
// Prints one JSON WorkerCost on stdout. In a Worker, this file is the capture kind's Worker.
//   bun bench/worker-cost.ts --kind empty|pipeline [--workers 16] [--settle 2]
//   bun bench/worker-cost.ts --kind capture --urls rtsp://…/cam1,rtsp://…/cam2 --workers 1 [--seconds 10]
import { resolve } from 'node:path';
import { Capture, type RawFrame } from '@cctv/capture';
import { rssMb } from '@cctv/testbed';
import { flags, percentile, rssSampler } from './lib.ts';

export interface WorkerCost {
  kind: 'empty' | 'pipeline' | 'capture';
  workers: number;
  /** Cameras read (capture kind), else 0. */
  cameras: number;
  beforeMb: number;
  afterMb: number;
  /** (after − before) / workers. */
  perWorkerMb: number;
  /** (after − before) / cameras (capture kind). */
  perCameraMb?: number;
  /** Frames per second each camera handed on (capture kind), median. */
  fps?: number;
  /** What the capture Workers threw while measured, and while their cameras stopped. */
  workerErrors?: string[];
  stopErrors?: string[];
}

type ToCaptureWorker = { type: 'start'; urls: string[] } | { type: 'count' } | { type: 'stop' };
type FromCaptureWorker = { type: 'started' } | { type: 'count'; frames: number[] } | { type: 'stopped' };

if (!Bun.isMainThread) {
  // The capture kind's Worker: its cameras read as the pipeline Worker reads them, the newest frame kept.
  const scope = globalThis as unknown as Worker;
  const newest: Array<RawFrame | undefined> = [];
  const frames: number[] = [];
  const captures: Capture[] = [];
  scope.onmessage = async (event: MessageEvent<ToCaptureWorker>) => {
    const message = event.data;
    if (message.type === 'count') {
      scope.postMessage({ type: 'count', frames } satisfies FromCaptureWorker);
    } else if (message.type === 'stop') {
      await Promise.all(captures.map((capture) => capture.stop()));
      scope.postMessage({ type: 'stopped' } satisfies FromCaptureWorker);
    } else {
      for (const [i, url] of message.urls.entries()) {
        frames[i] = 0;
        const onFrame = (frame: RawFrame) => {
          // Given back once replaced, as the pipeline Worker does with a frame nothing reads any more.
          newest[i]?.release?.();
          newest[i] = frame;
          frames[i]!++;
        };
        captures.push(new Capture({ url, targetFps: 15, onFrame }));
        captures.at(-1)!.start();
      }
      scope.postMessage({ type: 'started' } satisfies FromCaptureWorker);
    }
  };
} else {
  const options = flags({ kind: 'empty', workers: '16', settle: '2', urls: '', seconds: '10' });
  const count = Number(options.workers);
  const PIPELINE_WORKER = resolve(import.meta.dirname, '../apps/server/src/pipeline/worker.ts');
  const EMPTY_WORKER = URL.createObjectURL(new Blob(['self.onmessage = () => self.postMessage({ type: "no-snapshot" });'], { type: 'application/javascript' }));

  /** RSS once things are quiet: a full collection, then the median of five readings. */
  const settledRssMb = async (): Promise<number> => {
    await Bun.sleep(Number(options.settle) * 1000);
    const readings: number[] = [];
    for (let i = 0; i < 5; i++) {
      Bun.gc(true);
      readings.push(rssMb(process.pid));
      await Bun.sleep(200);
    }
    return percentile(readings.sort((a, b) => a - b), 50);
  };

  /** What the Workers threw (an error in a Worker is an event of its own, not a rejection here). */
  const workerErrors: string[] = [];
  const newWorker = (url: string): Worker => {
    const worker = new Worker(url, { smol: true });
    worker.onerror = (event) => workerErrors.push(event.message.split('\n')[0]!);
    return worker;
  };

  /** The next message of a Worker that matches; rejects when none comes within `timeoutMs`. */
  const reply = <T>(worker: Worker, type: string, timeoutMs = 30_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.kind} worker: no '${type}' within ${timeoutMs / 1000} s${workerErrors.length ? `; it threw: ${workerErrors.join('; ')}` : ''}`)), timeoutMs);
      const listener = (event: MessageEvent<{ type?: string }>) => {
        if (event.data?.type !== type) return;
        worker.removeEventListener('message', listener);
        clearTimeout(timer);
        resolve(event.data as T);
      };
      worker.addEventListener('message', listener);
    });

  /**
   * A Worker that has loaded its modules: it answers a snapshot request (the pipeline Worker, with
   * no frame yet, says `no-snapshot`; the empty one says the same), which it can only once its
   * handler is installed.
   */
  const startIdle = async (url: string): Promise<Worker> => {
    const worker = newWorker(url);
    const answered = reply(worker, 'no-snapshot');
    worker.postMessage({ type: 'snapshot', id: 1 });
    await answered;
    return worker;
  };

  let result: WorkerCost;
  const beforeMb = await settledRssMb();
  if (options.kind === 'empty' || options.kind === 'pipeline') {
    const workers: Worker[] = [];
    for (let i = 0; i < count; i++) workers.push(await startIdle(options.kind === 'pipeline' ? PIPELINE_WORKER : EMPTY_WORKER));
    const afterMb = await settledRssMb();
    for (const worker of workers) worker.terminate();
    result = { kind: options.kind, workers: count, cameras: 0, beforeMb, afterMb, perWorkerMb: (afterMb - beforeMb) / count };
  } else if (options.kind === 'capture') {
    const urls = options.urls.split(',').filter(Boolean);
    if (!urls.length) throw new Error('--kind capture needs --urls');
    // Round robin: camera i in Worker i mod W.
    const groups = Array.from({ length: count }, (_, w) => urls.filter((_, i) => i % count === w));
    const workers = groups.map(() => newWorker(import.meta.url));
    await Promise.all(
      workers.map((worker, w) => {
        const started = reply(worker, 'started');
        worker.postMessage({ type: 'start', urls: groups[w]! } satisfies ToCaptureWorker);
        return started;
      }),
    );
    const counted = () =>
      Promise.all(
        workers.map((worker) => {
          const answer = reply<Extract<FromCaptureWorker, { type: 'count' }>>(worker, 'count');
          worker.postMessage({ type: 'count' } satisfies ToCaptureWorker);
          return answer.then((a) => a.frames);
        }),
      ).then((all) => all.flat());
    // Every camera streaming (a minute at most: a loaded machine starts 16 decoders slowly), then settled.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && (await counted()).some((n) => n === 0); ) await Bun.sleep(500);
    await Bun.sleep(Number(options.settle) * 1000);
    const framesBefore = await counted();
    const rss = rssSampler(process.pid, 500);
    const started = performance.now();
    await Bun.sleep(Number(options.seconds) * 1000);
    const samples = rss.stop().map(([, mb]) => mb).sort((a, b) => a - b);
    const elapsed = (performance.now() - started) / 1000;
    const framesAfter = await counted();
    const rates = framesAfter.map((n, i) => (n - framesBefore[i]!) / elapsed).sort((a, b) => a - b);
    const afterMb = percentile(samples, 50);
    const measuredErrors = [...workerErrors];
    await Promise.all(
      workers.map(async (worker) => {
        // A Worker an error ended answers nothing: it is ended all the same.
        const stopped = reply(worker, 'stopped', 5000).catch(() => undefined);
        worker.postMessage({ type: 'stop' } satisfies ToCaptureWorker);
        await stopped;
        worker.terminate();
      }),
    );
    // Errors while the cameras stop (a decoder child killed with a write to its stdin pending) are told apart: they do not touch the figures.
    const stopErrors = workerErrors.slice(measuredErrors.length);
    result = { kind: 'capture', workers: count, cameras: urls.length, beforeMb, afterMb, perWorkerMb: (afterMb - beforeMb) / count, perCameraMb: (afterMb - beforeMb) / urls.length, fps: percentile(rates, 50), workerErrors: measuredErrors, stopErrors };
  } else {
    throw new Error(`--kind ${options.kind}: expected empty, pipeline or capture`);
  }
  process.stdout.write(JSON.stringify(result));
}
