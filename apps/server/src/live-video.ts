import type { Frame } from '@cctv/frame-buffer';
import type { ServerWebSocket } from 'bun';
import { Type as t } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Camera, Viewer } from './camera.ts';
import { log } from './log.ts';
import type { ServerState } from './state.ts';

export const LIVE_VIDEO_PATH = '/api/ws';

/** Binary message kinds, byte 0 of each binary message. */
export const FRAME_KIND = { jpeg: 1 } as const;

/**
 * What a client may send: the cameras it shows, each with an optional fps cap. A new subscribe
 * replaces the old one (a page that scrolls, or opens one camera full size).
 */
const ClientMessage = t.Object(
  {
    type: t.Literal('subscribe'),
    cameras: t.Record(t.String({ maxLength: 64 }), t.Object({ fps: t.Optional(t.Number({ minimum: 0.1, maximum: 60 })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const EXPECTED = '{"type": "subscribe", "cameras": {"<camera id>": {"fps": 0.1 to 60 (optional)}}}';
/** Longest text message taken: a subscription to every camera fits many times over. */
const MAX_MESSAGE_BYTES = 64 * 1024;

interface SocketData {
  liveVideo: LiveVideoClient;
}

/**
 * Every camera live on one page over ONE connection: browsers open at most 6 HTTP/1.1 connections
 * to a host, so a grid of MJPEG <img>s leaves the seventh blank and starves the API. A WebSocket
 * on the same port, behind the same auth, carries each subscribed camera's JPEGs as binary
 * messages, with MJPEG's rule per camera: at most one frame waits for a slow client, and it is
 * replaced by a newer one (counted as dropped).
 *
 * Binary message: kind (u8, 1 = JPEG), camera id length (u8), camera id (ASCII), frame seq (u32
 * big-endian), capture time (f64 big-endian, ms since the epoch), then the JPEG.
 */
export class LiveVideo {
  readonly #clients = new Set<LiveVideoClient>();

  constructor(private readonly state: ServerState) {}

  /** Upgrades `request` (already past the auth guard); false when it is not a WebSocket request. */
  upgrade(request: Request, server: { upgrade(request: Request, options: { data: SocketData }): boolean }): boolean {
    const client = new LiveVideoClient(this.state, () => this.#clients.delete(client));
    if (!server.upgrade(request, { data: { liveVideo: client } })) return false;
    this.#clients.add(client);
    return true;
  }

  static owns(ws: ServerWebSocket<unknown>): ws is ServerWebSocket<SocketData> {
    return !!(ws.data as Partial<SocketData> | undefined)?.liveVideo;
  }

  open(ws: ServerWebSocket<SocketData>): void {
    ws.data.liveVideo.open(ws);
  }

  message(ws: ServerWebSocket<SocketData>, message: string | Buffer): void {
    ws.data.liveVideo.message(message);
  }

  drain(ws: ServerWebSocket<SocketData>): void {
    ws.data.liveVideo.drain();
  }

  close(ws: ServerWebSocket<SocketData>): void {
    ws.data.liveVideo.close();
  }

  /** Ends every client's socket (shutdown). */
  closeAll(): void {
    for (const client of [...this.#clients]) client.end();
  }
}

/** One browser tab's socket: its subscriptions and what waits for it. */
class LiveVideoClient {
  #ws: ServerWebSocket<SocketData> | undefined;
  readonly #subscriptions = new Map<string, Subscription>();
  /** Frames waiting for the socket to drain, at most one per camera. */
  readonly #waiting = new Map<string, Uint8Array>();
  #congested = false;
  #closed = false;

  constructor(
    private readonly state: ServerState,
    private readonly onGone: () => void,
  ) {}

  open(ws: ServerWebSocket<SocketData>): void {
    this.#ws = ws;
    this.#sendJson({ type: 'hello', cameras: this.state.cameras.map((camera) => camera.id) });
  }

  message(message: string | Buffer): void {
    if (typeof message !== 'string' || message.length > MAX_MESSAGE_BYTES) return this.#refuse('a text message of at most 64 kB');
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return this.#refuse(EXPECTED);
    }
    if (!Value.Check(ClientMessage, parsed)) return this.#refuse(EXPECTED);
    this.#subscribe(parsed.cameras);
  }

  /** Bun drained what was buffered: the frames that waited go now, one per camera. */
  drain(): void {
    this.#congested = false;
    for (const [id, bytes] of [...this.#waiting]) {
      if (this.#congested) return;
      this.#waiting.delete(id);
      this.#write(id, bytes);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const subscription of this.#subscriptions.values()) subscription.close();
    this.#subscriptions.clear();
    this.#waiting.clear();
    this.onGone();
  }

  end(): void {
    this.#ws?.close(1001, 'server shutting down');
    this.close();
  }

  /** A frame of a subscribed camera: sent now, or kept as that camera's one waiting frame. */
  send(camera: string, bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#congested) {
      const replaced = this.#waiting.has(camera);
      this.#waiting.set(camera, bytes);
      return !replaced;
    }
    this.#write(camera, bytes);
    return true;
  }

  #write(camera: string, bytes: Uint8Array): void {
    const sent = this.#ws?.send(bytes);
    // -1: queued, but Bun's buffer is over its limit: hold further frames until `drain`.
    if (sent === -1) this.#congested = true;
    // 0: dropped, the socket is closing; else written or queued, and counted as sent to that camera's viewer.
    const subscription = sent ? this.#subscriptions.get(camera) : undefined;
    if (subscription) subscription.stats.bytesSent += bytes.byteLength;
  }

  #subscribe(wanted: Record<string, { fps?: number }>): void {
    const unknown: string[] = [];
    const next = new Map<string, Subscription>();
    for (const [id, options] of Object.entries(wanted)) {
      const camera = this.state.camera(id);
      if (!camera) {
        unknown.push(id);
        continue;
      }
      const current = this.#subscriptions.get(id);
      if (current && current.camera === camera && current.fps === options.fps) {
        next.set(id, current);
        this.#subscriptions.delete(id);
      } else {
        next.set(id, new Subscription(camera, options.fps, this));
      }
    }
    for (const [id, gone] of this.#subscriptions) {
      gone.close();
      this.#waiting.delete(id);
    }
    this.#subscriptions.clear();
    for (const [id, subscription] of next) this.#subscriptions.set(id, subscription);
    this.#sendJson({ type: 'subscribed', cameras: [...next.keys()], unknown });
  }

  #refuse(expected: string): void {
    this.#sendJson({ type: 'error', error: 'invalid message', expected });
  }

  #sendJson(message: unknown): void {
    this.#ws?.send(JSON.stringify(message));
  }
}

/** One camera on one socket: a viewer of that camera, sending each new frame at most `fps` times a second. */
class Subscription implements Viewer {
  readonly stats = { framesSent: 0, framesDropped: 0, bytesSent: 0 };
  readonly #stop = new AbortController();
  #onClose: Array<() => void> = [];

  constructor(
    readonly camera: Camera,
    readonly fps: number | undefined,
    private readonly client: LiveVideoClient,
  ) {
    camera.addViewer(this);
    void this.#run();
  }

  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }

  close(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    for (const listener of this.#onClose) listener();
    this.#onClose = [];
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const interval = this.fps ? 1000 / this.fps : 0;
    let lastSeq = 0;
    let lastSentAt = -Infinity;
    try {
      while (!signal.aborted) {
        const wait = lastSentAt + interval - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        const frame = await this.camera.frames.next(lastSeq, signal);
        if (signal.aborted) break;
        if (lastSeq && frame.seq > lastSeq + 1) this.stats.framesDropped += frame.seq - lastSeq - 1;
        lastSeq = frame.seq;
        lastSentAt = performance.now();
        if (this.client.send(this.camera.id, frameMessage(this.camera.id, frame))) this.stats.framesSent++;
        else this.stats.framesDropped++;
      }
    } catch (error) {
      // Aborted (unsubscribed, socket gone) or the camera's buffer closed (camera removed): the loop ends.
      if (!signal.aborted && !(error instanceof Error && error.name === 'FrameBufferClosedError')) log.error(`live video for ${this.camera.id}: ${(error as Error).message}`);
    } finally {
      this.close();
    }
  }
}

/** Each frame's message, built once however many sockets it goes to. */
const messages = new WeakMap<Frame, Uint8Array>();

/** A frame as one binary message (see LiveVideo). */
export function frameMessage(camera: string, frame: Frame): Uint8Array {
  const built = messages.get(frame);
  if (built) return built;
  const id = new TextEncoder().encode(camera);
  const header = 2 + id.length + 4 + 8;
  const bytes = new Uint8Array(header + frame.jpeg.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = FRAME_KIND.jpeg;
  bytes[1] = id.length;
  bytes.set(id, 2);
  view.setUint32(2 + id.length, frame.seq);
  view.setFloat64(6 + id.length, frame.capturedAt);
  bytes.set(frame.jpeg, header);
  messages.set(frame, bytes);
  return bytes;
}
