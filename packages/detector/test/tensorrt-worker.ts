/// <reference lib="webworker" />
// For tensorrt-backend.test.ts: opens an engine in a Worker (as the server's detection Worker
// does) and answers with what it found in one frame.
import type { RgbImage } from '@cctv/frame-buffer';
import { loadDetector } from '../src/index.ts';

declare const self: Worker;

self.onmessage = async (event: MessageEvent<{ modelPath: string; shim: string; frame: RgbImage }>) => {
  const { modelPath, shim, frame } = event.data;
  try {
    const detector = await loadDetector({ modelPath, tensorRtShim: shim });
    const detections = await detector.detect(frame);
    self.postMessage({ backend: detector.backend.name, detections });
    await detector.dispose();
  } catch (error) {
    self.postMessage({ error: (error as Error).message });
  }
};
