import net from 'node:net';

export interface MjpegPart {
  /** Part headers, lower-case keys. */
  headers: Record<string, string>;
  /** The part's bytes; empty when dropped to save memory (see `keepBodies`). */
  body: Uint8Array;
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
  /** Every way the bytes broke the multipart format (wrong Content-Length, missing boundary…). */
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
  headers?: Record<string, string>;
  /** Keep the bodies of only the last N parts (default: all when maxParts is set, else 3). */
  keepBodies?: number;
}

/**
 * Reads an MJPEG stream over a raw TCP connection and checks its wire format byte by byte:
 * the HTTP head, chunked transfer coding if used, and every multipart part.
 */
export function readMjpegParts(url: string, options: MjpegReadOptions = {}): Promise<MjpegReadResult> {
  const target = new URL(url);
  const keepBodies = options.keepBodies ?? (options.maxParts ? Infinity : 3);
  const result: MjpegReadResult = { status: 0, headers: {}, boundary: undefined, parts: [], errors: [], bytes: 0 };
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port || 80), target.hostname);
    let finished = false;
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error && result.status === 0) reject(error);
      else resolve(result);
    };
    const timer = options.durationMs ? setTimeout(() => finish(), options.durationMs) : undefined;
    const onAbort = () => finish();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const extra = Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.on('connect', () => socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n${extra}\r\n`));
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish());

    const body = new BodyDecoder(result, (chunk) => parts.push(chunk));
    const parts = new PartParser(result, keepBodies, () => {
      if (options.maxParts && result.parts.length >= options.maxParts) finish();
    });
    const rate = options.bytesPerSecond;
    if (!rate) {
      socket.on('data', (chunk: Buffer) => finished || body.push(chunk));
      return;
    }
    // Throttled: bytes beyond the allowance wait here with the socket paused, so the server
    // feels real TCP backpressure, and the parser sees bytes no faster than `rate`.
    const queue: Buffer[] = [];
    let queued = 0;
    let released = 0;
    const startedAt = Date.now();
    const release = () => {
      let allowance = (rate * (Date.now() - startedAt)) / 1000 - released;
      while (!finished && allowance > 0 && queue.length) {
        const head = queue[0]!;
        const take = Math.min(head.length, Math.floor(allowance));
        if (take <= 0) break;
        body.push(head.subarray(0, take));
        if (take === head.length) queue.shift();
        else queue[0] = head.subarray(take);
        queued -= take;
        released += take;
        allowance -= take;
      }
      if (queued < 16_384) socket.resume();
    };
    const ticker = setInterval(release, 20);
    socket.on('close', () => clearInterval(ticker));
    socket.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      queued += chunk.length;
      if (queued >= 16_384) socket.pause();
    });
  });
}

/** Parts per second over the span from the first part to the last (0 with fewer than two). */
export function partsPerSecond(parts: ReadonlyArray<{ receivedAt: number }>): number {
  if (parts.length < 2) return 0;
  return ((parts.length - 1) * 1000) / (parts.at(-1)!.receivedAt - parts[0]!.receivedAt);
}

/** HTTP/1.1 response head, then the body as sent: identity or chunked. */
class BodyDecoder {
  #buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  #inHead = true;
  #chunked = false;
  #chunkLeft = -1; // -1: expecting a chunk-size line

  constructor(
    private readonly result: MjpegReadResult,
    private readonly onBody: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    if (this.#inHead) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
      this.result.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) this.result.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      this.result.boundary = /boundary="?([^";]+)"?/.exec(this.result.headers['content-type'] ?? '')?.[1];
      this.#chunked = /chunked/i.test(this.result.headers['transfer-encoding'] ?? '');
      this.#inHead = false;
      this.#buffer = this.#buffer.subarray(end + 4);
    }
    if (!this.#chunked) {
      this.#emit(this.#buffer);
      this.#buffer = Buffer.alloc(0);
      return;
    }
    for (;;) {
      if (this.#chunkLeft < 0) {
        const lineEnd = this.#buffer.indexOf('\r\n');
        if (lineEnd < 0) return;
        this.#chunkLeft = parseInt(this.#buffer.subarray(0, lineEnd).toString('latin1'), 16);
        this.#buffer = this.#buffer.subarray(lineEnd + 2);
        if (Number.isNaN(this.#chunkLeft)) {
          this.result.errors.push('bad chunk-size line in chunked body');
          return;
        }
      }
      if (this.#buffer.length < this.#chunkLeft + 2) {
        // Hand on what we have of this chunk now: parts must not wait for a whole chunk.
        const take = Math.min(this.#buffer.length, this.#chunkLeft);
        this.#emit(this.#buffer.subarray(0, take));
        this.#chunkLeft -= take;
        this.#buffer = this.#buffer.subarray(take);
        if (this.#chunkLeft > 0 || this.#buffer.length < 2) return;
      } else {
        this.#emit(this.#buffer.subarray(0, this.#chunkLeft));
        this.#buffer = this.#buffer.subarray(this.#chunkLeft);
        this.#chunkLeft = 0;
      }
      if (this.#buffer.subarray(0, 2).toString('latin1') !== '\r\n') this.result.errors.push('chunk not followed by CRLF');
      this.#buffer = this.#buffer.subarray(2);
      this.#chunkLeft = -1;
    }
  }

  #emit(bytes: Buffer): void {
    if (!bytes.length) return;
    this.result.bytes += bytes.length;
    this.onBody(bytes);
  }
}

/** `--boundary CRLF headers CRLF CRLF <Content-Length bytes> CRLF`, part after part. */
class PartParser {
  #buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  #headers: Record<string, string> | undefined;
  #length = 0;

  constructor(
    private readonly result: MjpegReadResult,
    private readonly keepBodies: number,
    private readonly onPart: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : Buffer.from(chunk);
    for (;;) {
      if (!this.#headers) {
        const end = this.#buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
        this.#buffer = this.#buffer.subarray(end + 4);
        const opener = `--${this.result.boundary}`;
        if (lines[0] !== opener) this.result.errors.push(`part ${this.result.parts.length + 1}: expected "${opener}", got ${JSON.stringify(lines[0])}`);
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length']);
        if (!Number.isInteger(length) || length < 0) {
          this.result.errors.push(`part ${this.result.parts.length + 1}: no valid Content-Length`);
          this.#skipToBoundary();
          continue;
        }
        this.#headers = headers;
        this.#length = length;
      }
      if (this.#buffer.length < this.#length + 2) return;
      const body = new Uint8Array(this.#buffer.subarray(0, this.#length));
      if (this.#buffer.subarray(this.#length, this.#length + 2).toString('latin1') !== '\r\n') {
        this.result.errors.push(`part ${this.result.parts.length + 1}: Content-Length ${this.#length} does not end at a CRLF`);
        this.#buffer = this.#buffer.subarray(this.#length);
        this.#skipToBoundary();
      } else {
        this.#buffer = this.#buffer.subarray(this.#length + 2);
      }
      this.result.parts.push({ headers: this.#headers, body, size: body.byteLength, receivedAt: Date.now() });
      const drop = this.result.parts.length - 1 - this.keepBodies;
      if (drop >= 0) this.result.parts[drop]!.body = new Uint8Array(0);
      this.#headers = undefined;
      this.onPart();
    }
  }

  /** After a malformed part, resynchronise on the next boundary line. */
  #skipToBoundary(): void {
    const next = this.#buffer.indexOf(`--${this.result.boundary}\r\n`);
    this.#buffer = next < 0 ? Buffer.alloc(0) : this.#buffer.subarray(next);
  }
}
