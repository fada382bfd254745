import net from 'node:net';

export interface MjpegPart {
  /** Part headers, lower-case keys. */
  headers: Record<string, string>;
  /** The part's bytes; empty when dropped to save memory (see `keepBodies`). */
  body: Uint8Array;
  /** The body's length, kept when the body itself is dropped. */
  size: number;
  /** Date.now() when the part's last byte arrived. */
  receivedAt: number;
}

export interface MjpegReadResult {
  status: number;
  /** Response headers, lower-case keys. */
  headers: Record<string, string>;
  boundary: string | undefined;
  parts: MjpegPart[];
  /** Every way the bytes broke the HTTP or multipart format (wrong Content-Length, missing boundary…). */
  errors: string[];
  /** Body bytes received (after de-chunking). */
  bytes: number;
}

export interface MjpegReadOptions {
  maxParts?: number;
  durationMs?: number;
  /** Read no faster than this: a slow viewer, with real TCP backpressure towards the server. */
  bytesPerSecond?: number;
  signal?: AbortSignal;
  /** Extra request headers (a `Host` here replaces the one taken from the URL). */
  headers?: Record<string, string>;
  /** Keep the bodies of only the last N parts (default: all when maxParts is set, else 3). */
  keepBodies?: number;
}

/** Bytes a throttled reader holds before it pauses the socket, leaving the rest in the kernel. */
const HIGH_WATER = 16_384;
/** How often a throttled reader hands bytes on. */
const TICK_MS = 20;

/**
 * Reads an MJPEG stream over a raw TCP connection and checks its wire format byte by byte:
 * the HTTP head, chunked transfer coding if used, and every multipart part. Resolves after
 * maxParts parts, durationMs, an abort, or the end of the response, whichever comes first;
 * rejects only when no response head arrived (e.g. connection refused).
 */
export function readMjpegParts(url: string, options: MjpegReadOptions = {}): Promise<MjpegReadResult> {
  const target = new URL(url);
  // A raw socket is the point of this reader, and TLS would hide the bytes it checks.
  if (target.protocol !== 'http:') return Promise.reject(new Error(`readMjpegParts reads plain http:// only, not ${url}`));
  const keepBodies = options.keepBodies ?? (options.maxParts !== undefined ? Infinity : 3);
  const result: MjpegReadResult = { status: 0, headers: {}, boundary: undefined, parts: [], errors: [], bytes: 0 };
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port || 80), target.hostname);
    let finished = false;
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearInterval(ticker);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error && result.status === 0) reject(error);
      else resolve(result);
    };
    const timer = options.durationMs !== undefined ? setTimeout(() => finish(), options.durationMs) : undefined;
    let ticker: ReturnType<typeof setInterval> | undefined;
    const onAbort = () => finish();
    if (options.signal?.aborted) return finish();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const requestHeaders: Record<string, string> = { host: target.host };
    for (const [name, value] of Object.entries(options.headers ?? {})) requestHeaders[name.toLowerCase()] = value;
    const head = Object.entries(requestHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.on('connect', () => socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\n${head}\r\n`));
    socket.on('error', (error) => finish(error));

    const parts = new PartParser(result, keepBodies, options.maxParts ?? Infinity, () => finish());
    const body = new BodyDecoder(
      result,
      (chunk) => {
        if (result.boundary) parts.push(chunk);
      },
      () => finish(),
    );

    const rate = options.bytesPerSecond;
    if (!rate) {
      socket.on('data', (chunk: Buffer) => finished || body.push(chunk));
      socket.on('close', () => finish());
      return;
    }
    // Throttled: bytes beyond the allowance wait here with the socket paused, so the kernel's
    // buffers fill and the server feels real TCP backpressure; the parser sees bytes no faster
    // than `rate`. A token bucket capped at 100 ms of bytes, so that a wait for the server (say,
    // for its first frame) does not turn into a fast burst afterwards.
    const queue: Buffer[] = [];
    let queued = 0;
    let closed = false;
    const burst = Math.max(1, rate / 10);
    let tokens = 0;
    let lastTick = performance.now();
    ticker = setInterval(() => {
      const now = performance.now();
      tokens = Math.min(burst, tokens + (rate * (now - lastTick)) / 1000);
      lastTick = now;
      while (!finished && queue.length && tokens >= 1) {
        const first = queue[0]!;
        const take = Math.min(first.length, Math.floor(tokens));
        if (take === first.length) queue.shift();
        else queue[0] = first.subarray(take);
        queued -= take;
        tokens -= take;
        body.push(first.subarray(0, take));
      }
      // A closed connection still has its queued bytes read, at the same pace.
      if (closed && !queue.length) finish();
      else if (queued < HIGH_WATER) socket.resume();
    }, TICK_MS);
    socket.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      queued += chunk.length;
      if (queued >= HIGH_WATER) socket.pause();
    });
    socket.on('close', () => (closed = true));
  });
}

/** Parts per second over the span from the first part to the last (0 with fewer than two). */
export function partsPerSecond(parts: ReadonlyArray<{ receivedAt: number }>): number {
  if (parts.length < 2) return 0;
  return ((parts.length - 1) * 1000) / (parts.at(-1)!.receivedAt - parts[0]!.receivedAt);
}

function parseHeaderLines(lines: string[], into: Record<string, string>): void {
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) into[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
}

/** HTTP/1.1 response head, then the body as sent: chunked, Content-Length, or until close. */
class BodyDecoder {
  #buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  #inHead = true;
  #chunked = false;
  /** Bytes left of a Content-Length body; Infinity when the body runs until the connection closes. */
  #bodyLeft = Infinity;
  #chunkLeft = -1; // -1: expecting a chunk-size line

  constructor(
    private readonly result: MjpegReadResult,
    private readonly onBody: (chunk: Buffer) => void,
    private readonly onEnd: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    if (this.#inHead && !this.#parseHead()) return;
    if (!this.#chunked) {
      const take = Math.min(this.#buffer.length, this.#bodyLeft);
      this.#bodyLeft -= take;
      this.#emit(this.#buffer.subarray(0, take));
      this.#buffer = Buffer.alloc(0);
      if (this.#bodyLeft === 0) this.onEnd();
      return;
    }
    for (;;) {
      if (this.#chunkLeft < 0) {
        const lineEnd = this.#buffer.indexOf('\r\n');
        if (lineEnd < 0) return;
        // A chunk-size line may carry extensions after a ';', which parseInt stops at.
        this.#chunkLeft = parseInt(this.#buffer.subarray(0, lineEnd).toString('latin1'), 16);
        this.#buffer = this.#buffer.subarray(lineEnd + 2);
        if (Number.isNaN(this.#chunkLeft)) {
          this.result.errors.push('bad chunk-size line in chunked body');
          return this.onEnd();
        }
        if (this.#chunkLeft === 0) return this.onEnd(); // the last chunk; trailers do not matter here
      }
      // Hand on what there is of this chunk now: a part must not wait for the whole chunk.
      const take = Math.min(this.#buffer.length, this.#chunkLeft);
      this.#emit(this.#buffer.subarray(0, take));
      this.#chunkLeft -= take;
      this.#buffer = this.#buffer.subarray(take);
      if (this.#chunkLeft > 0 || this.#buffer.length < 2) return;
      if (this.#buffer.subarray(0, 2).toString('latin1') !== '\r\n') this.result.errors.push('chunk not followed by CRLF');
      this.#buffer = this.#buffer.subarray(2);
      this.#chunkLeft = -1;
    }
  }

  /** False until the whole head has arrived. */
  #parseHead(): boolean {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const [statusLine = '', ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const { result } = this;
    result.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    if (!result.status) result.errors.push(`bad status line ${JSON.stringify(statusLine)}`);
    parseHeaderLines(lines, result.headers);
    const contentType = result.headers['content-type'] ?? '';
    result.boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!/^multipart\/x-mixed-replace\b/i.test(contentType) || !result.boundary) {
      result.errors.push(`not a multipart/x-mixed-replace response with a boundary: Content-Type ${JSON.stringify(contentType)}`);
    }
    this.#chunked = /chunked/i.test(result.headers['transfer-encoding'] ?? '');
    if (!this.#chunked && result.headers['content-length'] !== undefined) this.#bodyLeft = Number(result.headers['content-length']);
    this.#inHead = false;
    this.#buffer = this.#buffer.subarray(end + 4);
    return true;
  }

  #emit(bytes: Buffer): void {
    if (!bytes.length) return;
    this.result.bytes += bytes.length;
    this.onBody(bytes);
  }
}

/** `--boundary CRLF headers CRLF CRLF <Content-Length bytes> CRLF`, part after part. */
class PartParser {
  /** Bytes not parsed yet, kept as they came until enough are there to join. */
  #chunks: Buffer[] = [];
  #size = 0;
  #headers: Record<string, string> | undefined;
  #length = 0;
  /** After a malformed part: skipping bytes until the next boundary line. */
  #resyncing = false;

  constructor(
    private readonly result: MjpegReadResult,
    private readonly keepBodies: number,
    private readonly maxParts: number,
    private readonly onDone: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    // While a body is incomplete only collect: joining on every chunk would copy a large JPEG many times.
    if (this.#headers && this.#size < this.#length + 2) return;
    let buffer = Buffer.concat(this.#chunks, this.#size);
    const { result } = this;
    while (result.parts.length < this.maxParts) {
      const number = result.parts.length + 1;
      if (this.#resyncing) {
        const marker = `--${result.boundary}\r\n`;
        const next = buffer.indexOf(marker);
        // Keep a tail that may be the start of a boundary split across reads.
        buffer = next < 0 ? buffer.subarray(Math.max(0, buffer.length - marker.length + 1)) : buffer.subarray(next);
        if (next < 0) break;
        this.#resyncing = false;
      }
      if (!this.#headers) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const [opener, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        buffer = buffer.subarray(end + 4);
        if (opener !== `--${result.boundary}`) result.errors.push(`part ${number}: expected "--${result.boundary}", got ${JSON.stringify(opener)}`);
        const headers: Record<string, string> = {};
        parseHeaderLines(lines, headers);
        const length = Number(headers['content-length']);
        if (!Number.isInteger(length) || length < 0) {
          result.errors.push(`part ${number}: no valid Content-Length`);
          this.#resyncing = true;
          continue;
        }
        this.#headers = headers;
        this.#length = length;
      }
      if (buffer.length < this.#length + 2) break;
      // A copy, so that dropping an old body frees it rather than pinning the joined buffer.
      const body = new Uint8Array(buffer.subarray(0, this.#length));
      if (buffer.subarray(this.#length, this.#length + 2).toString('latin1') === '\r\n') {
        buffer = buffer.subarray(this.#length + 2);
      } else {
        result.errors.push(`part ${number}: Content-Length ${this.#length} does not end at a CRLF`);
        buffer = buffer.subarray(this.#length);
        this.#resyncing = true;
      }
      result.parts.push({ headers: this.#headers, body, size: body.byteLength, receivedAt: Date.now() });
      const drop = result.parts.length - 1 - this.keepBodies;
      if (drop >= 0) result.parts[drop]!.body = new Uint8Array(0);
      this.#headers = undefined;
    }
    this.#chunks = buffer.length ? [buffer] : [];
    this.#size = buffer.length;
    if (result.parts.length >= this.maxParts) this.onDone();
  }
}
