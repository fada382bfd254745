/// <reference lib="webworker" />
import { Capture, stoppedStatus, type CaptureStatus, type RawFrame } from '@cctv/capture';
import { redactUrl } from '@cctv/redact';
import { drawDetections } from '@cctv/detector';
import { createJpegEncoder, type JpegEncoder } from '@cctv/mjpeg';
import { DetectionLoop } from './detection.ts';
import type { EncoderStats, FromPipeline, ToPipeline } from './messages.ts';
import { renderStatusCard } from './status-card.ts';

/**
 * The pipeline Worker: camera frames in, detections drawn, one JPEG per frame out. Pixels never
 * touch the main thread, so the HTTP side never waits on them; inference runs in a Worker of its
 * own (detection.ts), so the video never waits on it.
 */
declare const self: Worker;

let capture: Capture | undefined;
let detection: DetectionLoop | undefined;
let jpeg: JpegEncoder | undefined;
let encoding = false;
let pending: RawFrame | undefined;
let lastError: string | undefined;
const stats: EncoderStats = { name: null, framesEncoded: 0, framesSkipped: 0, encodeMs: 0 };

function send(message: FromPipeline, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Encodes the newest frame; frames that arrive meanwhile replace each other instead of queueing. */
function accept(frame: RawFrame): void {
  detection?.offer(frame);
  if (encoding) {
    if (pending) stats.framesSkipped++;
    pending = frame;
    return;
  }
  void encode(frame);
}

async function encode(frame: RawFrame): Promise<void> {
  encoding = true;
  try {
    const started = performance.now();
    const drawn = detection?.forNextFrame() ?? { detections: [], fresh: undefined };
    if (drawn.detections.length) drawDetections(frame, drawn.detections);
    const buffer = await encodeJpeg(frame.data, frame.width, frame.height);
    stats.framesEncoded++;
    // An exponential average over ~20 frames: current, not since start.
    const took = performance.now() - started;
    stats.encodeMs = stats.encodeMs ? stats.encodeMs + (took - stats.encodeMs) / 20 : took;
    send(
      {
        type: 'frame',
        jpeg: buffer,
        width: frame.width,
        height: frame.height,
        capturedAt: frame.capturedAt,
        encodedAt: Date.now(),
        encoder: { ...stats },
        detections: drawn.detections,
        detection: drawn.fresh,
        detectionStats: detection?.stats() ?? { fps: 0, detectMs: 0, inferMs: 0, framesDetected: 0 },
      },
      [buffer],
    );
    lastError = undefined;
  } catch (error) {
    // Said once per distinct error, not once per frame.
    const message = `JPEG encode failed: ${(error as Error).message}`;
    if (message !== lastError) send({ type: 'error', message });
    lastError = message;
  } finally {
    encoding = false;
  }
  const next = pending;
  pending = undefined;
  if (next) void encode(next);
}

/** JPEG bytes in an ArrayBuffer of their own (the encoder's contract), which moves to the main thread without a copy. */
async function encodeJpeg(pixels: Uint8Array, width: number, height: number): Promise<ArrayBuffer> {
  if (!jpeg) throw new Error('no JPEG encoder yet');
  return (await jpeg.encode(pixels, width, height)).buffer as ArrayBuffer;
}

async function sendPlaceholder(status: CaptureStatus): Promise<void> {
  const width = status.width ?? 1280;
  const height = status.height ?? 720;
  const card = renderStatusCard(status, width, height);
  const jpeg = await encodeJpeg(card.data, width, height);
  send({ type: 'placeholder', jpeg, width, height, renderedAt: Date.now() }, [jpeg]);
}

self.onmessage = async (event: MessageEvent<ToPipeline>) => {
  const message = event.data;
  if (message.type === 'start') {
    try {
      const created = await createJpegEncoder({ quality: message.jpegQuality, encoder: message.jpegEncoder });
      jpeg = created.encoder;
      stats.name = jpeg.name;
      send({ type: 'encoder', name: jpeg.name, fallbackReason: created.fallbackReason });
    } catch (error) {
      // Only a named encoder that cannot load lands here: no video, and the status says why.
      const reason = `jpeg_encoder '${message.jpegEncoder}' cannot run: ${(error as Error).message}`;
      send({ type: 'error', message: reason });
      send({ type: 'status', status: { ...stoppedStatus(), state: 'Failed', reason, source: redactUrl(message.url) } });
      return;
    }
    detection = new DetectionLoop(message.detection, (status) => send({ type: 'detection-status', status }));
    detection.setEnabled(message.detectionEnabled);
    capture = new Capture({
      url: message.url,
      targetFps: message.targetFps,
      rtspDecoder: message.rtspDecoder,
      onFrame: accept,
      onStatus: (status) => {
        send({ type: 'status', status });
        if (status.state !== 'Streaming' && status.state !== 'Stopped') {
          sendPlaceholder(status).catch((error) => send({ type: 'error', message: `status card: ${(error as Error).message}` }));
        }
      },
    });
    capture.start();
  } else if (message.type === 'detection') {
    detection?.setEnabled(message.enabled);
  } else if (message.type === 'stop') {
    await Promise.all([capture?.stop(), detection?.stop()]);
    jpeg?.close();
    send({ type: 'stopped' });
  }
};
