/// <reference lib="webworker" />
import { loadDetector, type Detector } from '@cctv/detector';
import type { FromDetector, ToDetector } from './messages.ts';

/**
 * The detection Worker: runs the model, one frame at a time. It has a thread of its own because
 * an inference holds the JS thread for its whole length (measured: onnxruntime-node under Bun
 * lets no timer fire during an 85 ms run), and the video must not wait for it.
 */
declare const self: Worker;

let detector: Detector | undefined;

function send(message: FromDetector): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<ToDetector>) => {
  const message = event.data;
  switch (message.type) {
    case 'load': {
      const { settings } = message;
      try {
        detector = await loadDetector({
          modelPath: settings.modelPath,
          confidence: settings.confidence,
          iou: settings.iou,
          classes: settings.classes.length ? settings.classes : undefined,
          labelsPath: settings.labelsPath,
          intraOpNumThreads: settings.threads,
          executionProviders: settings.executionProviders,
          backend: settings.backend,
          // An engine TensorRT cannot run here (no shim, no GPU, built for another one) gives way to
          // the same-named .onnx beside it, and the status says why.
          onnxFallback: true,
          // Threads that spin between runs take cores from ffmpeg and the encoder; a few ms slower
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
    case 'detect': {
      if (!detector) return send({ type: 'detect-failed', reason: 'no model loaded' });
      const { width, height, capturedAt } = message;
      try {
        const started = performance.now();
        const detections = await detector.detect({ data: new Uint8Array(message.pixels), width, height });
        send({ type: 'detected', capturedAt, width, height, detections, detectMs: performance.now() - started, inferMs: detector.lastTimings?.inferMs ?? 0 });
      } catch (error) {
        send({ type: 'detect-failed', reason: (error as Error).message });
      }
      break;
    }
    case 'stop':
      await detector?.dispose();
      detector = undefined;
      send({ type: 'stopped' });
      break;
  }
};
