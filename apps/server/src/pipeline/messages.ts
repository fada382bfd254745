import type { CaptureStatus, RtspDecoder, VideoParameters } from '@cctv/capture';
import type { Detection } from '@cctv/frame-buffer';
import type { JpegEncoderChoice } from '@cctv/mjpeg';
import type { OverlayAreas } from './areas-overlay.ts';

/** What a camera's pipeline Worker needs to know, from the camera's config. */
export interface PipelineSettings {
  url: string;
  targetFps: number;
  jpegQuality: number;
  jpegEncoder: JpegEncoderChoice;
  rtspDecoder: RtspDecoder;
}

/**
 * What the pipeline draws into the frames from now on, until the next overlay. `snapshot`: encode
 * the first frame drawn with it even when nobody watches (an alert or an event wants its picture).
 */
export interface Overlay {
  /** Counts overlays, 1, 2, 3…, so a frame can say which one it was first drawn with. */
  id: number;
  detections: Detection[];
  snapshot: boolean;
}

/** What the main thread tells a camera's pipeline Worker. */
export type ToPipeline =
  | { type: 'start'; settings: PipelineSettings }
  /** Encode every frame (someone watches), or only those asked for (snapshots, overlays flagged `snapshot`). */
  | { type: 'encode'; wanted: boolean }
  | { type: 'overlay'; overlay: Overlay | null }
  /** The counting lines and zones with their live counts, drawn into every frame from now on. */
  | { type: 'areas'; areas: OverlayAreas }
  /** Where to send frames for detection: a port to the detection Worker of this camera's model; null: none. */
  | { type: 'detector'; port: MessagePort | null }
  /** Send the newest frame to the detector now (the detection scheduler's turn for this camera). */
  | { type: 'detect' }
  /** Encode the newest frame now, whether or not anyone watches (a snapshot request). */
  | { type: 'snapshot'; id: number }
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

/** What a pipeline Worker tells the main thread. The JPEG's buffer is transferred, not copied. */
export type FromPipeline =
  /** A frame came from the camera (after thinning to target_fps), encoded or not. */
  | { type: 'captured'; capturedAt: number; width: number; height: number }
  | {
      type: 'frame';
      jpeg: ArrayBuffer;
      width: number;
      height: number;
      capturedAt: number;
      encodedAt: number;
      /** This frame's drawing and JPEG encode (ms); `encoder.encodeMs` is the recent mean. */
      encodeMs: number;
      encoder: EncoderStats;
      /** The detections drawn into this frame. */
      detections: Detection[];
      /** Set on the first frame drawn with this overlay. */
      overlayId: number | null;
      /** Set on the frame encoded for this snapshot request. */
      snapshotId: number | null;
    }
  /** A snapshot request found no frame to encode (the camera has sent none yet). */
  | { type: 'no-snapshot'; id: number }
  /**
   * An access unit of an rtsp:// camera read in-process, every one, before decoding (Annex-B, its
   * own buffer, transferred): for viewers that decode the camera's video themselves.
   * `parameters`: set on the first unit that uses new ones (a new session, a new SPS), else null.
   */
  | { type: 'access-unit'; data: ArrayBuffer; keyframe: boolean; mediaTimeMs: number; receivedAt: number; parameters: VideoParameters | null }
  | { type: 'status'; status: CaptureStatus }
  /** A status card to show viewers while the camera has no picture (see status-card.ts). */
  | { type: 'placeholder'; jpeg: ArrayBuffer; width: number; height: number; renderedAt: number }
  /** The JPEG encoder chosen at start; fallbackReason: why 'auto' could not use libjpeg-turbo. */
  | { type: 'encoder'; name: string; fallbackReason?: string }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

/** What a detection Worker needs to load its model, from the config. */
export interface ModelSettings {
  modelPath: string;
  labelsPath?: string;
  threads: number;
  executionProviders: string[];
  /** What runs the model: by model_path's extension ('auto'), or forced. */
  backend: 'auto' | 'onnxruntime' | 'tensorrt';
}

/** A camera's own filters on the shared model's output. */
export interface DetectionFilters {
  confidence: number;
  iou: number;
  classes: Array<string | number>;
}

/** What a pipeline Worker sends a detection Worker over their port: its newest frame, or that it has none. */
export type FrameForDetection =
  | { type: 'frame'; pixels: ArrayBuffer; width: number; height: number; capturedAt: number; mediaTimeMs: number | null }
  | { type: 'none' };

/** What the main thread tells a detection Worker. */
export type ToDetector =
  | { type: 'load'; settings: ModelSettings }
  /** Frames of this camera come on `port`, to be filtered with `filters`. */
  | { type: 'attach'; camera: string; filters: DetectionFilters; port: MessagePort }
  | { type: 'detach'; camera: string }
  | { type: 'stop' };

/** What a detection Worker tells the main thread. */
export type FromDetector =
  | { type: 'loaded'; backend: string; layout: string; inputSize: { width: number; height: number }; classes: number; fallback?: string }
  | { type: 'load-failed'; reason: string }
  | { type: 'detected'; camera: string; capturedAt: number; mediaTimeMs: number | null; width: number; height: number; detections: Detection[]; detectMs: number; inferMs: number }
  /** The camera had no frame to give (it stopped, or has sent none yet). */
  | { type: 'skipped'; camera: string }
  | { type: 'detect-failed'; camera: string; reason: string }
  | { type: 'stopped' };

export type DetectionState = 'off' | 'loading' | 'running' | 'failed';

/** A model's state and what runs it, for /api/status and the banner. */
export interface ModelStatus {
  state: Exclude<DetectionState, 'off'>;
  /**
   * Why detection failed (e.g. the model's load error); while running, set only when a fallback
   * runs: "fallback to models/best.onnx: TensorRT unavailable: the TensorRT shim … is not built (…)".
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

/** One detector run on one camera's frame. */
export interface DetectionResult {
  /** Capture time of the analysed frame (ms since the epoch). */
  capturedAt: number;
  /** The analysed frame's media time (its access unit's, ms): matches it to the frame a browser decodes. Null for sources read by the decoder child. */
  mediaTimeMs: number | null;
  width: number;
  height: number;
  detections: Detection[];
  detectMs: number;
  inferMs: number;
}
