/// <reference lib="webworker" />
import { Capture, stoppedStatus, type AccessUnit, type CaptureStatus, type RawFrame, type VideoParameters } from '@cctv/capture';
import { drawDetections } from '@cctv/detector';
import { drawAreas, type OverlayAreas } from './areas-overlay.ts';
import { createJpegEncoder, type JpegEncoder } from '@cctv/mjpeg';
import { redactUrl } from '@cctv/redact';
import type { EncoderStats, FrameForDetection, FromPipeline, Overlay, ToPipeline } from './messages.ts';
import { renderStatusCard } from './status-card.ts';

/**
 * One camera's pipeline Worker: camera frames in, the overlay drawn, a JPEG per frame out while
 * anyone watches (else only the frames asked for), and the newest frame to the shared detector
 * when the scheduler says it is this camera's turn. Pixels never touch the main thread, so the
 * HTTP side never waits on them.
 */
declare const self: Worker;

let capture: Capture | undefined;
let jpeg: JpegEncoder | undefined;
/** Encode every frame: someone watches. Otherwise only snapshots and overlays that ask for one. */
let encodeAll = false;
let encoding = false;
/** The newest frame; drawn on only once it is being encoded. */
let newest: RawFrame | undefined;
let pending: RawFrame | undefined;
let overlay: Overlay | null = null;
/** The counting lines and zones, drawn into every frame. */
let areas: OverlayAreas = { lines: [], zones: [] };
let overlayShown = true;
let detector: MessagePort | null = null;
const snapshotRequests: number[] = [];
let lastError: string | undefined;
const stats: EncoderStats = { name: null, framesEncoded: 0, framesSkipped: 0, encodeMs: 0 };

/**
 * How many of this Worker's slots still read each frame's pixels (newest, pending, an encode in
 * progress): when none does, its buffer goes back to Capture for a later frame.
 */
const readers = new Map<RawFrame, number>();

function hold(frame: RawFrame): void {
  readers.set(frame, (readers.get(frame) ?? 0) + 1);
}

function letGo(frame: RawFrame): void {
  const left = (readers.get(frame) ?? 1) - 1;
  if (left > 0) {
    readers.set(frame, left);
    return;
  }
  readers.delete(frame);
  frame.release?.();
}

/** A slot's new frame: held before the old one is let go (they may be the same frame). */
function replaced(old: RawFrame | undefined, next: RawFrame | undefined): RawFrame | undefined {
  if (next) hold(next);
  if (old) letGo(old);
  return next;
}

function send(message: FromPipeline, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** A frame from the camera: counted at once, encoded when wanted; frames that arrive meanwhile replace each other. */
function accept(frame: RawFrame): void {
  newest = replaced(newest, frame);
  send({ type: 'captured', capturedAt: frame.capturedAt, width: frame.width, height: frame.height });
  if (!encodeAll && !snapshotRequests.length && overlayShown) return;
  if (encoding) {
    if (pending) stats.framesSkipped++;
    pending = replaced(pending, frame);
    return;
  }
  void encode(frame);
}

async function encode(frame: RawFrame): Promise<void> {
  encoding = true;
  hold(frame);
  try {
    const started = performance.now();
    const detections = overlay?.detections ?? [];
    const firstWithOverlay = overlayShown ? null : (overlay?.id ?? null);
    overlayShown = true;
    const snapshotId = snapshotRequests.shift() ?? null;
    const picture = drawnCopy(frame, detections);
    const buffer = await encodeJpeg(picture.data, frame.width, frame.height);
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
        encodeMs: took,
        encoder: { ...stats },
        detections,
        overlayId: firstWithOverlay,
        snapshotId,
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
    letGo(frame);
  }
  const next = pending;
  if (next && (encodeAll || snapshotRequests.length || !overlayShown)) void encode(next);
  pending = replaced(pending, undefined);
}

/** Pixels the overlay is drawn on before encoding, reused from frame to frame. */
let canvas: Uint8Array | undefined;

/**
 * The frame with the areas and boxes drawn, on a copy: the frame itself stays as the camera sent
 * it, because it may still go to the detector, which must never see our own boxes (a detector of
 * red things would find its red labels). A frame with nothing to draw is encoded as it is.
 */
function drawnCopy(frame: RawFrame, detections: Overlay['detections']): { data: Uint8Array } {
  if (!detections.length && !areas.lines.length && !areas.zones.length) return frame;
  if (canvas?.length !== frame.data.length) canvas = new Uint8Array(frame.data.length);
  canvas.set(frame.data);
  const image = { data: canvas, width: frame.width, height: frame.height };
  if (areas.lines.length || areas.zones.length) drawAreas(image, areas);
  if (detections.length) drawDetections(image, detections);
  return image;
}

/** JPEG bytes in an ArrayBuffer of their own (the encoder's contract), which moves to the main thread without a copy. */
async function encodeJpeg(pixels: Uint8Array, width: number, height: number): Promise<ArrayBuffer> {
  if (!jpeg) throw new Error('no JPEG encoder yet');
  return (await jpeg.encode(pixels, width, height)).buffer as ArrayBuffer;
}

/** The newest frame to the detector, as a copy: the frame itself may be encoded meanwhile. */
function sendToDetector(): void {
  if (!detector) return;
  const frame = newest;
  if (!frame) {
    detector.postMessage({ type: 'none' } satisfies FrameForDetection);
    return;
  }
  const pixels = frame.data.slice().buffer;
  detector.postMessage(
    { type: 'frame', pixels, width: frame.width, height: frame.height, capturedAt: frame.capturedAt, mediaTimeMs: frame.mediaTimeMs ?? null } satisfies FrameForDetection,
    [pixels],
  );
}

/** The parameters of the last access unit sent on: a unit with other ones carries them. */
let sentParameters: VideoParameters | undefined;

/** Every access unit to the main thread, as a copy (the same bytes go on to the decoder child): small, ~10 kB at 720p. */
function forwardAccessUnit(unit: AccessUnit): void {
  const data = unit.data.slice().buffer;
  const parameters = unit.parameters === sentParameters ? null : unit.parameters;
  sentParameters = unit.parameters;
  send({ type: 'access-unit', data, keyframe: unit.keyframe, mediaTimeMs: unit.timestampMs, receivedAt: unit.receivedAt, parameters }, [data]);
}

function snapshot(id: number): void {
  if (!newest) {
    send({ type: 'no-snapshot', id });
    return;
  }
  snapshotRequests.push(id);
  if (!encoding) void encode(newest);
}

async function sendPlaceholder(status: CaptureStatus): Promise<void> {
  const width = status.width ?? 1280;
  const height = status.height ?? 720;
  const card = renderStatusCard(status, width, height);
  const jpeg = await encodeJpeg(card.data, width, height);
  send({ type: 'placeholder', jpeg, width, height, renderedAt: Date.now() }, [jpeg]);
}

async function start(settings: Extract<ToPipeline, { type: 'start' }>['settings']): Promise<void> {
  try {
    const created = await createJpegEncoder({ quality: settings.jpegQuality, encoder: settings.jpegEncoder });
    jpeg = created.encoder;
    stats.name = jpeg.name;
    send({ type: 'encoder', name: jpeg.name, fallbackReason: created.fallbackReason });
  } catch (error) {
    // Only a named encoder that cannot load lands here: no video, and the status says why.
    const reason = `jpeg_encoder '${settings.jpegEncoder}' cannot run: ${(error as Error).message}`;
    send({ type: 'error', message: reason });
    send({ type: 'status', status: { ...stoppedStatus(), state: 'Failed', reason, source: redactUrl(settings.url) } });
    return;
  }
  capture = new Capture({
    url: settings.url,
    targetFps: settings.targetFps,
    rtspDecoder: settings.rtspDecoder,
    onFrame: accept,
    onAccessUnit: forwardAccessUnit,
    onStatus: (status) => {
      send({ type: 'status', status });
      if (status.state !== 'Streaming') newest = replaced(newest, undefined);
      if (status.state !== 'Streaming' && status.state !== 'Stopped') {
        sendPlaceholder(status).catch((error) => send({ type: 'error', message: `status card: ${(error as Error).message}` }));
      }
    },
  });
  capture.start();
}

self.onmessage = async (event: MessageEvent<ToPipeline>) => {
  const message = event.data;
  switch (message.type) {
    case 'start':
      await start(message.settings);
      break;
    case 'encode':
      encodeAll = message.wanted;
      break;
    case 'overlay':
      overlay = message.overlay;
      // Only an overlay that asks for its picture makes an unwatched camera encode a frame.
      overlayShown = !overlay || (!encodeAll && !overlay.snapshot);
      break;
    case 'areas':
      areas = message.areas;
      break;
    case 'detector':
      detector?.close();
      detector = message.port;
      break;
    case 'detect':
      sendToDetector();
      break;
    case 'snapshot':
      snapshot(message.id);
      break;
    case 'stop':
      await capture?.stop();
      detector?.close();
      jpeg?.close();
      send({ type: 'stopped' });
      break;
  }
};
