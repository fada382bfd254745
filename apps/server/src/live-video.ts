import type { VideoParameters } from '@cctv/capture';
import type { Frame } from '@cctv/frame-buffer';
import type { ServerWebSocket } from 'bun';
import { Type as t, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Camera, Viewer } from './camera.ts';
import type { EncodedUnit, VideoViewer } from './compressed-video.ts';
import { log } from './log.ts';
import type { ServerState } from './state.ts';

export const LIVE_VIDEO_PATH = '/api/ws';

/** Binary message kinds, byte 0 of each binary message. */
export const FRAME_KIND = { jpeg: 1, videoConfig: 2, accessUnit: 3 } as const;

const SubscriptionOptions = t.Object(
  {
    fps: t.Optional(t.Number({ minimum: 0.1, maximum: 60 })),
    format: t.Optional(t.Union([t.Literal('jpeg'), t.Literal('h264')])),
    h265: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);
type SubscriptionOptions = Static<typeof SubscriptionOptions>;

/**
 * What a client may send: the cameras it shows, each with its options. A new subscribe replaces
 * the old one (a page that scrolls, or opens one camera full size).
 */
const ClientMessage = t.Object(
  { type: t.Literal('subscribe'), cameras: t.Record(t.String({ maxLength: 64 }), SubscriptionOptions) },
  { additionalProperties: false },
);
const EXPECTED = '{"type": "subscribe", "cameras": {"<camera id>": {"format": "jpeg" (default) or "h264", "fps": 0.1 to 60 (JPEG only, optional), "h265": true (optional)}}}';
/** Longest text message taken: a subscription to every camera fits many times over. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * Bytes Bun holds for a socket before `send` says it is congested (then what follows waits here, by
 * the rules above, instead). Bun's default, 16 MB, is a minute of a 2 Mbit/s camera queued for a
 * slow viewer; 1 MB is half a second of 16 Mbit/s, or ten 100 kB JPEGs.
 */
export const LIVE_VIDEO_BACKPRESSURE_BYTES = 1024 * 1024;
/** Access units that wait for a slow client, per camera, before they are dropped until the next keyframe. */
const MAX_WAITING_BYTES = 8 * 1024 * 1024;

interface SocketData {
  liveVideo: LiveVideoClient;
}

/**
 * Every camera live on one page over ONE connection: browsers open at most 6 HTTP/1.1 connections
 * to a host, so a grid of MJPEG <img>s leaves the seventh blank and starves the API. A WebSocket
 * on the same port, behind the same auth, carries each subscribed camera as binary messages:
 * JPEG frames with the boxes drawn in, or the camera's own H.264/H.265 as it came (a tenth of the
 * bytes), which the browser decodes and draws the boxes over itself.
 *
 * Client → server (text): `{"type": "subscribe", "cameras": {"<id>": {"format": "h264", "fps": 10, "h265": true}}}`,
 * which replaces the previous subscription. Per camera:
 * - `format: "jpeg"` (the default): JPEG frames, at most `fps` a second.
 * - `format: "h264"`: the camera's own video, every access unit (`fps` does not apply), when it
 *   sends H.264, or H.265 and `h265` is true (the client checked that it decodes it). Otherwise (an
 *   MJPEG camera, a file, demo:, H.265 without `h265`, a camera that has sent nothing yet or was
 *   stopped) JPEG frames as above, until it does; the kinds of the binary messages say which the
 *   client gets at any moment.
 *
 * Server → client (text): `{"type": "hello", "cameras": [ids]}` on connect; `{"type": "subscribed",
 * "cameras": [ids], "unknown": [ids]}` after each subscribe; `{"type": "error", "error", "expected"}`.
 *
 * Server → client (binary; integers big-endian, f64 IEEE 754 big-endian): kind (u8), camera id
 * length (u8), camera id (ASCII), then by kind:
 * - 1, JPEG frame: frame seq (u32), capture time (f64, ms since the epoch), the JPEG to the end.
 * - 2, video configuration: before the first access unit, and again whenever it changes (a new
 *   session, a new picture size), when a decoder must be set up afresh: codec string length (u8),
 *   codec string (ASCII, RFC 6381: `avc1.64001F`, `hvc1.1.6.L93.B0`; WebCodecs'
 *   `VideoDecoderConfig.codec`), width (u16), height (u16), then the avcC or hvcC record
 *   (ISO/IEC 14496-15; `VideoDecoderConfig.description`, an MP4 `avcC`/`hvcC` box body) to the end.
 * - 3, access unit: seq (u32; 1, 2, 3… per camera, a gap is units skipped), flags (u8; bit 0:
 *   keyframe), media time (f64, ms on the camera's clock since its session began: the unit's
 *   presentation time, and /api/detections' `media_time` for the boxes found in it), capture time
 *   (f64, ms since the epoch, when the server received it), then the unit in Annex-B (each NAL
 *   unit after a 00 00 00 01 start code; a keyframe begins with its parameter sets) to the end.
 *   Units come in decoding order; a camera with B-frames sends some before others that are shown
 *   earlier.
 *
 * The first access unit after a configuration is a keyframe: a client that subscribes gets the
 * camera's last keyframe and the units after it at once, then every unit live. A client that reads
 * too slowly loses frames, never the server's memory: at most one JPEG frame waits per camera (a
 * newer one replaces it, counted as dropped), and a camera's access units wait from the newest
 * keyframe on (a decoder needs them all): a keyframe that comes while units wait replaces them
 * (the client skips to it), and past 8 MB waiting they are dropped until the next keyframe.
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

/** One camera on one socket. */
interface Feed {
  readonly camera: Camera;
  /** Its options, as a key: a subscribe with the same ones keeps the feed. */
  readonly key: string;
  /** `bytes` of this camera went out on the socket. */
  sent(bytes: number): void;
  close(): void;
}

/** What waits for a congested socket, per camera: one JPEG frame, or a video configuration and the access units after it. */
interface Waiting {
  config?: Uint8Array;
  messages: Uint8Array[];
  bytes: number;
}

/** One browser tab's socket: its feeds and what waits for it. */
class LiveVideoClient {
  #ws: ServerWebSocket<SocketData> | undefined;
  readonly #feeds = new Map<string, Feed>();
  readonly #waiting = new Map<string, Waiting>();
  /** Cameras whose access units are skipped until the next keyframe (just started, or too far behind). */
  readonly #awaitingKeyframe = new Set<string>();
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

  /** Bun drained what was buffered: what waited goes now, camera by camera, until the socket is full again. */
  drain(): void {
    this.#congested = false;
    for (const [id, waiting] of [...this.#waiting]) {
      if (this.#congested) return;
      this.#waiting.delete(id);
      const messages = waiting.config ? [waiting.config, ...waiting.messages] : waiting.messages;
      for (const [i, bytes] of messages.entries()) {
        this.#write(id, bytes);
        if (this.#congested && i < messages.length - 1) {
          const rest = messages.slice(i + 1);
          this.#waiting.set(id, { messages: rest, bytes: rest.reduce((sum, m) => sum + m.byteLength, 0) });
          return;
        }
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const feed of this.#feeds.values()) feed.close();
    this.#feeds.clear();
    this.#waiting.clear();
    this.onGone();
  }

  end(): void {
    this.#ws?.close(1001, 'server shutting down');
    this.close();
  }

  /** A JPEG frame of a subscribed camera: sent now, or kept as that camera's one waiting frame. */
  send(camera: string, bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#congested) {
      const replaced = this.#waiting.has(camera);
      this.#waiting.set(camera, { messages: [bytes], bytes: bytes.byteLength });
      return !replaced;
    }
    this.#write(camera, bytes);
    return true;
  }

  /** A camera's video starts afresh (joined, new parameters, back from JPEG): what waited for it goes, its configuration first, then units from a keyframe on. */
  startVideo(camera: string, config: Uint8Array): void {
    if (this.#closed) return;
    this.#waiting.delete(camera);
    this.#awaitingKeyframe.add(camera);
    if (this.#congested) this.#waiting.set(camera, { config, messages: [], bytes: 0 });
    else this.#write(camera, config);
  }

  /** An access unit of a camera: sent now, or waiting with the units from the newest keyframe on. Returns how many units were dropped. */
  sendUnit(camera: string, bytes: Uint8Array, keyframe: boolean): number {
    if (this.#closed) return 1;
    if (this.#awaitingKeyframe.has(camera)) {
      if (!keyframe) return 1;
      this.#awaitingKeyframe.delete(camera);
    }
    const waiting = this.#waiting.get(camera);
    if (!waiting) {
      if (this.#congested) this.#waiting.set(camera, { messages: [bytes], bytes: bytes.byteLength });
      else this.#write(camera, bytes);
      return 0;
    }
    if (keyframe) {
      // The units before it are no use to a decoder that gets this one: skip to it.
      const dropped = waiting.messages.length;
      waiting.messages = [bytes];
      waiting.bytes = bytes.byteLength;
      return dropped;
    }
    if (waiting.bytes + bytes.byteLength > MAX_WAITING_BYTES) {
      const dropped = waiting.messages.length + 1;
      if (waiting.config) waiting.messages = [];
      else this.#waiting.delete(camera);
      waiting.bytes = 0;
      this.#awaitingKeyframe.add(camera);
      return dropped;
    }
    waiting.messages.push(bytes);
    waiting.bytes += bytes.byteLength;
    return 0;
  }

  /** Nothing more of this camera's video waits or is awaited (the feed went back to JPEG, or away). */
  forget(camera: string): void {
    this.#waiting.delete(camera);
    this.#awaitingKeyframe.delete(camera);
  }

  #write(camera: string, bytes: Uint8Array): void {
    const sent = this.#ws?.send(bytes);
    // -1: queued, but Bun's buffer is over its limit: hold further messages until `drain`.
    if (sent === -1) this.#congested = true;
    // 0: dropped, the socket is closing; else written or queued, and counted as sent to that camera's viewer.
    if (sent) this.#feeds.get(camera)?.sent(bytes.byteLength);
  }

  #subscribe(wanted: Record<string, SubscriptionOptions>): void {
    const ids = Object.keys(wanted);
    const unknown = ids.filter((id) => !this.state.camera(id));
    const known = ids.filter((id) => this.state.camera(id));
    // Said first: a video feed sends its camera's kept units as soon as it starts.
    this.#sendJson({ type: 'subscribed', cameras: known, unknown });
    for (const [id, feed] of [...this.#feeds]) {
      if (known.includes(id) && feed.camera === this.state.camera(id) && feed.key === feedKey(wanted[id]!)) continue;
      feed.close();
      this.#feeds.delete(id);
      this.forget(id);
    }
    for (const id of known) {
      if (this.#feeds.has(id)) continue;
      const camera = this.state.camera(id)!;
      const options = wanted[id]!;
      this.#feeds.set(id, options.format === 'h264' ? new VideoFeed(camera, options, this) : new Subscription(camera, options.fps, this));
    }
  }

  /** A feed that sends as it starts is known by its camera before it sends (its bytes are counted to it). */
  attach(feed: Feed): void {
    this.#feeds.set(feed.camera.id, feed);
  }

  #refuse(expected: string): void {
    this.#sendJson({ type: 'error', error: 'invalid message', expected });
  }

  #sendJson(message: unknown): void {
    this.#ws?.send(JSON.stringify(message));
  }
}

function feedKey(options: SubscriptionOptions): string {
  return options.format === 'h264' ? `h264${options.h265 ? '+h265' : ''}` : `jpeg@${options.fps ?? 'all'}`;
}

/** One camera on one socket as JPEG frames: a viewer of that camera, sending each new frame at most `fps` times a second. */
class Subscription implements Viewer, Feed {
  readonly stats = { framesSent: 0, framesDropped: 0, bytesSent: 0 };
  readonly key: string;
  readonly #stop = new AbortController();
  #onClose: Array<() => void> = [];

  constructor(
    readonly camera: Camera,
    readonly fps: number | undefined,
    private readonly client: LiveVideoClient,
  ) {
    this.key = feedKey({ fps });
    camera.addViewer(this);
    void this.#run();
  }

  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }

  sent(bytes: number): void {
    this.stats.bytesSent += bytes;
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

/**
 * One camera on one socket in its own codec (`format: "h264"`): its configuration, then its
 * access units from the last keyframe on, as they came; JPEG frames (a Subscription) while the
 * camera has no video this client takes, switching whenever that changes.
 */
class VideoFeed implements VideoViewer, Feed {
  readonly stats = { framesDropped: 0, bytesSent: 0 };
  readonly key: string;
  #jpeg: Subscription | undefined;
  #playing = false;
  #closed = false;

  constructor(
    readonly camera: Camera,
    private readonly options: SubscriptionOptions,
    private readonly client: LiveVideoClient,
  ) {
    this.key = feedKey(options);
    client.attach(this);
    camera.video.add(this);
    this.#follow(camera.video.parameters, camera.video.sinceKeyframe);
  }

  get playing(): boolean {
    return this.#playing;
  }

  parameters(parameters: VideoParameters): void {
    this.#follow(parameters, []);
  }

  ended(): void {
    this.#follow(undefined, []);
  }

  unit(unit: EncodedUnit): void {
    if (this.#playing) this.stats.framesDropped += this.client.sendUnit(this.camera.id, unitMessage(this.camera.id, unit), unit.keyframe);
  }

  sent(bytes: number): void {
    if (this.#jpeg) this.#jpeg.sent(bytes);
    else this.stats.bytesSent += bytes;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#jpeg?.close();
    this.#jpeg = undefined;
    this.#playing = false;
    this.camera.video.delete(this);
  }

  /** The camera's own video when it has some this client takes (starting with `kept`), else JPEG frames. */
  #follow(parameters: VideoParameters | undefined, kept: readonly EncodedUnit[]): void {
    if (this.#closed) return;
    if (parameters && (parameters.codec === 'h264' || this.options.h265 === true)) {
      this.#jpeg?.close();
      this.#jpeg = undefined;
      this.#playing = true;
      this.client.startVideo(this.camera.id, configMessage(this.camera.id, parameters));
      for (const unit of kept) this.unit(unit);
      return;
    }
    if (this.#playing) this.client.forget(this.camera.id);
    this.#playing = false;
    this.#jpeg ??= new Subscription(this.camera, this.options.fps, this.client);
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

/** Each video configuration's and access unit's message, built once however many sockets it goes to. */
const videoMessages = new WeakMap<VideoParameters | EncodedUnit, Uint8Array>();

/** Kind, camera id length, camera id: the start of every binary message. */
function messageStart(kind: number, camera: string, bodyBytes: number): { bytes: Uint8Array; view: DataView; offset: number } {
  const id = new TextEncoder().encode(camera);
  const bytes = new Uint8Array(2 + id.length + bodyBytes);
  bytes[0] = kind;
  bytes[1] = id.length;
  bytes.set(id, 2);
  return { bytes, view: new DataView(bytes.buffer), offset: 2 + id.length };
}

/** A camera's video configuration as one binary message (kind 2, see LiveVideo). */
export function configMessage(camera: string, parameters: VideoParameters): Uint8Array {
  const built = videoMessages.get(parameters);
  if (built) return built;
  const codec = new TextEncoder().encode(parameters.codecString);
  const { bytes, view, offset } = messageStart(FRAME_KIND.videoConfig, camera, 1 + codec.length + 4 + parameters.description.length);
  bytes[offset] = codec.length;
  bytes.set(codec, offset + 1);
  view.setUint16(offset + 1 + codec.length, parameters.width);
  view.setUint16(offset + 3 + codec.length, parameters.height);
  bytes.set(parameters.description, offset + 5 + codec.length);
  videoMessages.set(parameters, bytes);
  return bytes;
}

/** An access unit as one binary message (kind 3, see LiveVideo). */
export function unitMessage(camera: string, unit: EncodedUnit): Uint8Array {
  const built = videoMessages.get(unit);
  if (built) return built;
  const { bytes, view, offset } = messageStart(FRAME_KIND.accessUnit, camera, 4 + 1 + 8 + 8 + unit.data.length);
  view.setUint32(offset, unit.seq);
  bytes[offset + 4] = unit.keyframe ? 1 : 0;
  view.setFloat64(offset + 5, unit.mediaTimeMs);
  view.setFloat64(offset + 13, unit.capturedAt);
  bytes.set(unit.data, offset + 21);
  videoMessages.set(unit, bytes);
  return bytes;
}
