/// <reference lib="webworker" />
import { loadDetector, type Detector } from '@cctv/detector';
import type { DetectionFilters, FrameForDetection, FromDetector, ToDetector } from './messages.ts';

/**
 * A detection Worker: one model, loaded once, for every camera that uses it. Each camera's
 * pipeline Worker sends its frames on a port of its own, when the main thread's scheduler gives
 * it the turn; results go to the main thread. It has a thread of its own because an inference
 * holds the JS thread for its whole length (measured: onnxruntime-node under Bun lets no timer
 * fire during an 85 ms run), and the video must not wait for it.
 */
declare const self: Worker;

let detector: Detector | undefined;
const ports = new Map<string, MessagePort>();

function send(message: FromDetector): void {
  self.postMessage(message);
}

async function detect(camera: string, filters: DetectionFilters, frame: FrameForDetection): Promise<void> {
  if (frame.type === 'none') return send({ type: 'skipped', camera });
  if (!detector) return send({ type: 'detect-failed', camera, reason: 'no model loaded' });
  const { width, height, capturedAt, mediaTimeMs } = frame;
  try {
    const started = performance.now();
    const detections = await detector.detect({ data: new Uint8Array(frame.pixels), width, height }, filters);
    send({ type: 'detected', camera, capturedAt, mediaTimeMs, width, height, detections, detectMs: performance.now() - started, inferMs: detector.lastTimings?.inferMs ?? 0 });
  } catch (error) {
    send({ type: 'detect-failed', camera, reason: (error as Error).message });
  }
}

self.onmessage = async (event: MessageEvent<ToDetector>) => {
  const message = event.data;
  switch (message.type) {
    case 'load': {
      const { settings } = message;
      try {
        detector = await loadDetector({
          modelPath: settings.modelPath,
          labelsPath: settings.labelsPath,
          intraOpNumThreads: settings.threads,
          executionProviders: settings.executionProviders,
          backend: settings.backend,
          // An engine TensorRT cannot run here (no shim, no GPU, built for another one) gives way to
          // the same-named .onnx beside it, and the status says why.
          onnxFallback: true,
          // Threads that spin between runs take cores from the decoders and the encoders; a few ms slower
          // inference leaves the video its share (measured: 1.0 core instead of 1.6 for YOLOX-Nano).
          spinWait: false,
        });
        const { name, executionProviders, intraOpNumThreads, fallback } = detector.backend;
        send({
          type: 'loaded',
          backend: `${name} (${executionProviders.join(', ')}, ${intraOpNumThreads} thread${intraOpNumThreads === 1 ? '' : 's'})${fallback ? ` — fallback: ${fallback}` : ''}`,
          fallback: fallback && `fallback to ${detector.modelPath}: ${fallback}`,
          layout: detector.layout,
          inputSize: { width: detector.inputWidth, height: detector.inputHeight },
          classes: detector.classNames.length,
        });
      } catch (error) {
        send({ type: 'load-failed', reason: (error as Error).message });
      }
      break;
    }
    case 'attach': {
      const { camera, filters, port } = message;
      ports.get(camera)?.close();
      ports.set(camera, port);
      port.onmessage = (frame: MessageEvent<FrameForDetection>) => void detect(camera, filters, frame.data);
      break;
    }
    case 'detach':
      ports.get(message.camera)?.close();
      ports.delete(message.camera);
      break;
    case 'stop':
      for (const port of ports.values()) port.close();
      ports.clear();
      await detector?.dispose();
      detector = undefined;
      send({ type: 'stopped' });
      break;
  }
};
