import type { CaptureStatus, RtspDecoder } from '@cctv/capture';
import type { Detection } from '@cctv/frame-buffer';
import type { JpegEncoderChoice } from '@cctv/mjpeg';

/** What the detector needs to know, from the config. */
export interface DetectionSettings {
  modelPath: string;
  confidence: number;
  iou: number;
  classes: Array<string | number>;
  labelsPath?: string;
  threads: number;
  executionProviders: string[];
  /** At most this many detections per second; 0: as many as inference keeps up with. */
  maxFps: number;
  /** What runs the model: by model_path's extension ('auto'), or forced. */
  backend: 'auto' | 'onnxruntime' | 'tensorrt';
}

/** What the main thread tells the pipeline Worker. */
export type ToPipeline =
  | {
      type: 'start';
      url: string;
      targetFps: number;
      jpegQuality: number;
      jpegEncoder: JpegEncoderChoice;
      rtspDecoder: RtspDecoder;
      detection: DetectionSettings;
      detectionEnabled: boolean;
    }
  /** Turns detection on (loading the model the first time) or off, while the video goes on. */
  | { type: 'detection'; enabled: boolean }
  | { type: 'stop' };

export interface EncoderStats {
  /** What encodes, once the Worker has chosen: "libjpeg-turbo (libturbojpeg.so.0)" or "sharp 0.35.5 (libvips 8.18.7)". */
  name: string | null;
  /** JPEG encodes done: one per served frame, however many viewers there are. */
  framesEncoded: number;
  /** Raw frames replaced by a newer one while the encoder was busy. */
  framesSkipped: number;
  /** Mean encode time over the recent frames (ms). */
  encodeMs: number;
}

export type DetectionState = 'off' | 'loading' | 'running' | 'failed';

/** The detector's state and what it runs, for /api/status and the banner. */
export interface DetectionStatus {
  state: DetectionState;
  /**
   * Why detection is failed or off (e.g. the model's load error); while running, set only when a
   * fallback runs: "fallback to models/best.onnx: TensorRT unavailable: the TensorRT shim … is not built (…)".
   */
  reason: string | null;
  model: string;
  /**
   * e.g. "onnxruntime-node 1.30.0 (cpu, 2 threads)" or "TensorRT 10.3.0 via bun:ffi (tensorrt, 1 thread)",
   * once loaded; a fallback adds " — fallback: <why TensorRT did not run>".
   */
  backend: string | null;
  layout: string | null;
  inputSize: { width: number; height: number } | null;
  classes: number;
}

export interface DetectionStats {
  /** Detections run per second, now (sliding window). */
  fps: number;
  /** Mean pre-process + inference + post-process time over the recent runs (ms). */
  detectMs: number;
  inferMs: number;
  framesDetected: number;
}

/** One detector run: what it found in which frame. */
export interface DetectionResult {
  /** Counts results, 1, 2, 3…, so a frame can say which one it was drawn with. */
  id: number;
  /** Capture time of the analysed frame (ms since the epoch). */
  capturedAt: number;
  width: number;
  height: number;
  detections: Detection[];
}

/** What the pipeline Worker tells the main thread. The JPEG's buffer is transferred, not copied. */
export type FromPipeline =
  | {
      type: 'frame';
      jpeg: ArrayBuffer;
      width: number;
      height: number;
      capturedAt: number;
      encodedAt: number;
      encoder: EncoderStats;
      /** The detections drawn into this frame (none while detection is off). */
      detections: Detection[];
      /** Set on the first frame drawn with a new detector result. */
      detection?: DetectionResult;
      detectionStats: DetectionStats;
    }
  | { type: 'status'; status: CaptureStatus }
  | { type: 'detection-status'; status: DetectionStatus }
  /** A status card to show viewers while the camera has no picture (see status-card.ts). */
  | { type: 'placeholder'; jpeg: ArrayBuffer; width: number; height: number; renderedAt: number }
  /** The JPEG encoder chosen at start; fallbackReason: why 'auto' could not use libjpeg-turbo. */
  | { type: 'encoder'; name: string; fallbackReason?: string }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

/** What the pipeline Worker tells its detection Worker. The frame's pixels are transferred. */
export type ToDetector =
  | { type: 'load'; settings: DetectionSettings }
  | { type: 'detect'; pixels: ArrayBuffer; width: number; height: number; capturedAt: number }
  | { type: 'stop' };

/** What the detection Worker answers. */
export type FromDetector =
  | { type: 'loaded'; backend: string; layout: string; inputSize: { width: number; height: number }; classes: number; fallback?: string }
  | { type: 'load-failed'; reason: string }
  | { type: 'detected'; capturedAt: number; width: number; height: number; detections: Detection[]; detectMs: number; inferMs: number }
  | { type: 'detect-failed'; reason: string }
  | { type: 'stopped' };
