import type { CaptureStatus } from '@cctv/capture';

/** What the main thread tells the pipeline Worker. */
export type ToPipeline =
  | { type: 'start'; url: string; targetFps: number; jpegQuality: number }
  | { type: 'stop' };

export interface EncoderStats {
  /** JPEG encodes done: one per served frame, however many viewers there are. */
  framesEncoded: number;
  /** Raw frames replaced by a newer one while the encoder was busy. */
  framesSkipped: number;
  /** Mean encode time over the recent frames (ms). */
  encodeMs: number;
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
    }
  | { type: 'status'; status: CaptureStatus }
  /** A status card to show viewers while the camera has no picture (see status-card.ts). */
  | { type: 'placeholder'; jpeg: ArrayBuffer; width: number; height: number; renderedAt: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
