import type { Socket } from 'bun';
import { Authenticator, parseChallenges } from './auth.ts';
import type { Depacketizer } from './depacketizer.ts';
import { RtspError } from './errors.ts';
import { H264Depacketizer } from './h264.ts';
import { H265Depacketizer } from './h265.ts';
import { RtspReader, type RtspResponse, type RtspServerRequest } from './message.ts';
import { parseRtp } from './rtp.ts';
import { decodeParameterSets, parseSdp, type SdpMedia } from './sdp.ts';
import type { AccessUnit, VideoCodec, VideoParameters } from './types.ts';
import { parseRtspUrl, resolveControl, type RtspUrl } from './url.ts';

export interface RtspPlayOptions {
  /** `rtsp://user:password@host:port/path` (user and password percent-encoded), or `rtsps://…`. */
  url: string;
  /** Every access unit of the video track, from the first keyframe on. */
  onAccessUnit(unit: AccessUnit): void;
  /** The first parameters (codec string, size, avcC/hvcC), and every change of them mid-stream. */
  onParameters?(parameters: VideoParameters): void;
  /** For the TCP connection (default 5000 ms). */
  connectTimeoutMs?: number;
  /** For each request's answer (default 10000 ms). */
  requestTimeoutMs?: number;
  /** Ends a playing session that receives nothing for this long (default 20000 ms; 0: never). */
  idleTimeoutMs?: number;
  userAgent?: string;
  /** Aborting it stops the session: a TEARDOWN if it plays, else the connection closed. */
  signal?: AbortSignal;
}

/** The video track being played. */
export interface RtspVideoTrack {
  codec: VideoCodec;
  payloadType: number;
  clockRate: number;
  /** a=fmtp parameters, names lower-cased. */
  format: Record<string, string>;
}

/** A playing session. */
export interface RtspSession {
  readonly track: RtspVideoTrack;
  /** The camera's SDP, as it sent it. */
  readonly sdp: string;
  /** Why the session ended: the camera closed it, a timeout…; null once `close()` (or the signal) ended it. Never rejects. */
  readonly ended: Promise<RtspError | null>;
  /** TEARDOWN, then the connection closed. */
  close(): Promise<void>;
}

/** Connects, DESCRIBEs, SETs UP the video track over TCP and PLAYs it. Fails with an RtspError. */
export function playRtsp(options: RtspPlayOptions): Promise<RtspSession> {
  return new RtspConnection(options).play();
}

const DEPACKETIZERS: Record<string, { codec: VideoCodec; create(clockRate: number, options: RtspPlayOptions): Depacketizer }> = {
  H264: { codec: 'h264', create: (clockRate, options) => new H264Depacketizer(clockRate, options) },
  H265: { codec: 'h265', create: (clockRate, options) => new H265Depacketizer(clockRate, options) },
};
const MAX_REDIRECTS = 3;
const encoder = new TextEncoder();

interface PendingRequest {
  method: string;
  resolve(response: RtspResponse): void;
  reject(error: RtspError): void;
}

class RtspConnection {
  readonly #options: RtspPlayOptions;
  #url: RtspUrl;
  readonly #authenticator: Authenticator;
  #authorized = false;
  #socket: Socket<undefined> | undefined;
  #reader: RtspReader | undefined;
  #outbox: Uint8Array[] = [];
  #cseq = 0;
  readonly #pending = new Map<number, PendingRequest>();
  #session: string | undefined;
  #depacketizer: Depacketizer | undefined;
  #rtpChannel = 0;
  #rtcpChannel = 1;
  #lastPacketAt = 0;
  #keepAliveMethod: 'GET_PARAMETER' | 'OPTIONS' = 'OPTIONS';
  #timers: Array<ReturnType<typeof setInterval>> = [];
  #finished = false;
  #resolveEnded!: (error: RtspError | null) => void;
  readonly #ended = new Promise<RtspError | null>((resolve) => (this.#resolveEnded = resolve));

  constructor(options: RtspPlayOptions) {
    this.#options = options;
    this.#url = parseRtspUrl(options.url);
    this.#authenticator = new Authenticator(this.#url.user, this.#url.password);
  }

  async play(): Promise<RtspSession> {
    const signal = this.#options.signal;
    if (signal?.aborted) throw new RtspError('aborted', 'stopped before connecting');
    const onAbort = () => (this.#depacketizer && this.#session ? this.#close() : this.#finish(new RtspError('aborted', 'stopped')));
    signal?.addEventListener('abort', onAbort, { once: true });
    void this.#ended.then(() => signal?.removeEventListener('abort', onAbort));
    try {
      return await this.#play();
    } catch (error) {
      const failure = error instanceof RtspError ? error : new RtspError('protocol', String((error as Error)?.message ?? error));
      this.#finish(failure);
      throw failure;
    }
  }

  async #play(): Promise<RtspSession> {
    let describe: RtspResponse | undefined;
    for (let redirects = 0; !describe; redirects++) {
      await this.#connect();
      const options = await this.#request('OPTIONS', this.#url.requestUrl);
      // OPTIONS only tells which keep-alive the camera takes; some answer it wrongly and play anyway.
      if (options.status === 401) this.#expectSuccess(options, 'OPTIONS', this.#url.requestUrl);
      this.#keepAliveMethod = /\bGET_PARAMETER\b/i.test(options.headers.get('public') ?? '') ? 'GET_PARAMETER' : 'OPTIONS';
      const answer = await this.#request('DESCRIBE', this.#url.requestUrl, { Accept: 'application/sdp' });
      const location = answer.headers.get('location');
      if (answer.status >= 300 && answer.status < 400 && location && redirects < MAX_REDIRECTS) {
        this.#redirect(location);
        continue;
      }
      this.#expectSuccess(answer, 'DESCRIBE', this.#url.requestUrl);
      describe = answer;
    }
    const sdpText = new TextDecoder().decode(describe.body);
    const sdp = parseSdp(sdpText);
    const media = chooseVideo(sdp.media);
    const chosen = DEPACKETIZERS[media.encoding.toUpperCase()]!;
    const depacketizer = chosen.create(media.clockRate, this.#options);
    depacketizer.seedParameterSets([
      ...decodeParameterSets(media.format['sprop-parameter-sets']),
      ...decodeParameterSets(media.format['sprop-vps']),
      ...decodeParameterSets(media.format['sprop-sps']),
      ...decodeParameterSets(media.format['sprop-pps']),
    ]);
    this.#depacketizer = depacketizer;

    const base = describe.headers.get('content-base') ?? describe.headers.get('content-location') ?? this.#url.requestUrl;
    const trackUrl = resolveControl(base, media.control);
    const setup = await this.#request('SETUP', trackUrl, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    if (setup.status === 461) throw new RtspError('status', '461 Unsupported Transport: the camera cannot send RTP over TCP (RTSP interleaved)', 461);
    this.#expectSuccess(setup, 'SETUP', trackUrl);
    const [session, ...sessionParams] = (setup.headers.get('session') ?? '').split(';');
    if (!session?.trim()) throw new RtspError('protocol', 'the SETUP answer has no Session header');
    this.#session = session.trim();
    const timeoutS = Number(/^\s*timeout\s*=\s*(\d+)/i.exec(sessionParams.find((p) => /timeout/i.test(p)) ?? '')?.[1]) || 60;
    const channels = /interleaved=(\d+)(?:-(\d+))?/i.exec(setup.headers.get('transport') ?? '');
    if (channels) {
      this.#rtpChannel = Number(channels[1]);
      this.#rtcpChannel = channels[2] !== undefined ? Number(channels[2]) : this.#rtpChannel + 1;
    }

    const aggregateUrl = resolveControl(base, sdp.control);
    this.#lastPacketAt = Date.now();
    const play = await this.#request('PLAY', aggregateUrl, { Range: 'npt=0.000-' });
    this.#expectSuccess(play, 'PLAY', aggregateUrl);
    this.#startTimers(aggregateUrl, timeoutS);
    return {
      track: { codec: chosen.codec, payloadType: media.payloadType, clockRate: media.clockRate, format: media.format },
      sdp: sdpText,
      ended: this.#ended,
      close: () => this.#close(),
    };
  }

  /** Keep-alive at half the session timeout (RFC 2326 §12.37), and the idle watchdog. */
  #startTimers(aggregateUrl: string, timeoutS: number): void {
    const keepAliveMs = Math.max(1000, (timeoutS * 1000) / 2);
    this.#timers.push(
      setInterval(() => {
        this.#request(this.#keepAliveMethod, aggregateUrl).catch(() => {});
      }, keepAliveMs),
    );
    const idleMs = this.#options.idleTimeoutMs ?? 20_000;
    if (idleMs > 0) {
      this.#timers.push(
        setInterval(() => {
          const silent = Date.now() - this.#lastPacketAt;
          if (silent > idleMs) this.#finish(new RtspError('timeout', `nothing from the camera for ${Math.round(silent / 1000)} s`));
        }, Math.min(1000, idleMs / 4)),
      );
    }
  }

  async #connect(): Promise<void> {
    const { hostname, port, address, secure } = this.#url;
    const timeoutMs = this.#options.connectTimeoutMs ?? 5000;
    this.#reader = new RtspReader({
      response: (response) => this.#onResponse(response),
      request: (request) => this.#onServerRequest(request),
      interleaved: (channel, payload) => this.#onInterleaved(channel, payload),
    });
    const connecting = Bun.connect({
      hostname,
      port,
      ...(secure ? { tls: { serverName: hostname } } : {}),
      socket: {
        data: (_socket, data) => {
          try {
            this.#reader?.push(data);
          } catch (error) {
            this.#finish(error instanceof RtspError ? error : new RtspError('protocol', String(error)));
          }
        },
        drain: () => this.#flushOutbox(),
        close: (socket) => {
          if (socket === this.#socket) this.#finish(this.#notRtsp() ?? new RtspError('closed', 'the camera closed the connection'));
        },
        error: (socket, error) => {
          if (socket === this.#socket) this.#finish(networkError(error, address));
        },
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RtspError('timeout', `no connection to ${address} within ${seconds(timeoutMs)}`)), timeoutMs);
    });
    const stopped = this.#ended.then((error) => Promise.reject(error ?? new RtspError('aborted', 'stopped')));
    try {
      this.#socket = await Promise.race([connecting, timedOut, stopped]);
    } catch (error) {
      connecting.then((socket) => socket.end()).catch(() => {});
      throw error instanceof RtspError ? error : networkError(error as Error, address);
    } finally {
      clearTimeout(timer);
    }
  }

  #redirect(location: string): void {
    const target = parseRtspUrl(location);
    const keepCredentials = !target.user && this.#url.user;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.end();
    this.#url = keepCredentials ? { ...target, user: this.#url.user, password: this.#url.password } : target;
    this.#authorized = false;
  }

  async #request(method: string, uri: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    let response = await this.#send(method, uri, headers);
    if (response.status === 401 && this.#url.user) {
      const challenges = parseChallenges(response.headers.getAll('www-authenticate'));
      const stale = challenges.some((c) => c.params.stale?.toLowerCase() === 'true');
      if ((!this.#authorized || stale) && this.#authenticator.accept(challenges)) {
        this.#authorized = true;
        response = await this.#send(method, uri, headers);
      }
    }
    return response;
  }

  #send(method: string, uri: string, headers: Record<string, string>): Promise<RtspResponse> {
    if (this.#finished) return Promise.reject(new RtspError('aborted', 'the session has ended'));
    const cseq = ++this.#cseq;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${cseq}`, `User-Agent: ${this.#options.userAgent ?? 'cctv-rtsp'}`];
    const authorization = this.#authorized ? this.#authenticator.header(method, uri) : undefined;
    if (authorization) lines.push(`Authorization: ${authorization}`);
    if (this.#session) lines.push(`Session: ${this.#session}`);
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
    const answered = new Promise<RtspResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(cseq);
        reject(this.#notRtsp() ?? new RtspError('timeout', `no answer to ${method} within ${seconds(timeoutMs)}`));
      }, timeoutMs);
      this.#pending.set(cseq, {
        method,
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    this.#write(encoder.encode(`${lines.join('\r\n')}\r\n\r\n`));
    return answered;
  }

  /** The failure to name when the peer sent bytes and none of them was RTSP: said instead of "closed" or "no answer". */
  #notRtsp(): RtspError | undefined {
    const bytes = this.#reader?.unreadableBytes ?? 0;
    if (bytes === 0) return undefined;
    return new RtspError('protocol', `the answer is not RTSP (${bytes} unreadable bytes): is this port the camera's RTSP port?`);
  }

  #expectSuccess(response: RtspResponse, method: string, uri: string): void {
    const { status, reason } = response;
    if (status >= 200 && status < 300) return;
    const said = `${status} ${reason || 'Error'}`;
    if (status === 401) {
      const why = this.#url.user ? 'wrong user name or password' : 'the camera wants a user name and password, and the URL has none';
      throw new RtspError('unauthorized', `${said}: ${why}`, status);
    }
    if (status === 404) throw new RtspError('not-found', `${said}: no stream at ${pathOf(uri)}`, status);
    throw new RtspError('status', `${said} (answer to ${method})`, status);
  }

  #onResponse(response: RtspResponse): void {
    const cseq = Number(response.headers.get('cseq'));
    // A camera that leaves CSeq out answers in order: the oldest request is the one answered.
    const key = this.#pending.has(cseq) ? cseq : this.#pending.keys().next().value;
    if (key === undefined) return;
    const pending = this.#pending.get(key)!;
    this.#pending.delete(key);
    pending.resolve(response);
  }

  #onServerRequest(request: RtspServerRequest): void {
    const ok = request.method === 'OPTIONS' || request.method === 'GET_PARAMETER';
    const cseq = request.headers.get('cseq') ?? '0';
    this.#write(encoder.encode(`RTSP/1.0 ${ok ? '200 OK' : '501 Not Implemented'}\r\nCSeq: ${cseq}\r\n\r\n`));
  }

  #onInterleaved(channel: number, payload: Uint8Array): void {
    if (channel === this.#rtcpChannel) {
      this.#lastPacketAt = Date.now();
      return;
    }
    if (channel !== this.#rtpChannel || !this.#depacketizer) return;
    const packet = parseRtp(payload);
    if (!packet) return;
    this.#lastPacketAt = Date.now();
    this.#depacketizer.push(packet, this.#lastPacketAt);
  }

  #write(bytes: Uint8Array): void {
    if (!this.#socket) return;
    if (this.#outbox.length > 0) {
      this.#outbox.push(bytes);
      return;
    }
    const written = this.#socket.write(bytes);
    if (written >= 0 && written < bytes.byteLength) this.#outbox.push(bytes.subarray(written));
  }

  #flushOutbox(): void {
    while (this.#socket && this.#outbox.length > 0) {
      const next = this.#outbox[0]!;
      const written = this.#socket.write(next);
      if (written < 0) return;
      if (written < next.byteLength) {
        this.#outbox[0] = next.subarray(written);
        return;
      }
      this.#outbox.shift();
    }
  }

  async #close(): Promise<void> {
    if (this.#finished) return;
    if (this.#session) {
      // Not waited for: the camera frees the session when the connection closes anyway.
      this.#send('TEARDOWN', this.#url.requestUrl, {}).catch(() => {});
    }
    this.#finish(null);
  }

  #finish(error: RtspError | null): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    const reason = error ?? new RtspError('aborted', 'stopped');
    for (const pending of this.#pending.values()) pending.reject(reason);
    this.#pending.clear();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.end();
    this.#resolveEnded(error);
  }
}

/** The video track to play: the first one in a codec we depacketise (cameras often list audio first). */
function chooseVideo(media: SdpMedia[]): SdpMedia {
  const videos = media.filter((m) => m.kind === 'video');
  if (videos.length === 0) {
    const offered = media.map((m) => m.kind).join(', ') || 'nothing';
    throw new RtspError('no-video', `the camera offers no video track (its SDP lists: ${offered})`);
  }
  const video = videos.find((m) => DEPACKETIZERS[m.encoding.toUpperCase()]) ?? videos[0]!;
  const encoding = video.encoding.toUpperCase();
  if (!DEPACKETIZERS[encoding]) {
    throw new RtspError('unsupported-codec', `the camera sends ${video.encoding || `RTP payload type ${video.payloadType}`} video: only H.264 and H.265 are read in-process`, undefined, video.encoding || String(video.payloadType));
  }
  if (encoding === 'H264' && video.format['packetization-mode'] === '2') {
    throw new RtspError('unsupported-codec', 'the camera sends H.264 in interleaved mode (packetization-mode=2), which is not read in-process', undefined, 'H264');
  }
  if (encoding === 'H265' && Number(video.format['sprop-max-don-diff'] ?? 0) > 0) {
    throw new RtspError('unsupported-codec', 'the camera sends H.265 with decoding order numbers (sprop-max-don-diff > 0), which is not read in-process', undefined, 'H265');
  }
  return video;
}

function networkError(error: Error & { code?: string }, address: string): RtspError {
  switch (error?.code) {
    case 'ECONNREFUSED':
      return new RtspError('refused', `connection refused by ${address}`);
    case 'ETIMEDOUT':
      return new RtspError('timeout', `no connection to ${address} (timed out)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new RtspError('unreachable', `no such host: ${address}`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new RtspError('closed', `the camera reset the connection (${address})`);
    default:
      return new RtspError('unreachable', `cannot reach ${address}: ${error?.code ?? error?.message ?? String(error)}`);
  }
}

function pathOf(uri: string): string {
  try {
    const url = new URL(uri);
    return url.pathname + url.search;
  } catch {
    return uri;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
