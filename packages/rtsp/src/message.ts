import { RtspError } from './errors.ts';

/** Header fields by lower-case name; a field sent more than once (WWW-Authenticate) keeps every value. */
export class RtspHeaders {
  readonly #fields = new Map<string, string[]>();

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const values = this.#fields.get(key);
    if (values) values.push(value);
    else this.#fields.set(key, [value]);
  }

  get(name: string): string | undefined {
    return this.#fields.get(name.toLowerCase())?.[0];
  }

  getAll(name: string): string[] {
    return this.#fields.get(name.toLowerCase()) ?? [];
  }
}

export interface RtspResponse {
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

/** A request the camera sends us (some ask OPTIONS or GET_PARAMETER to see that we are alive). */
export interface RtspServerRequest {
  method: string;
  headers: RtspHeaders;
}

export interface RtspReaderHandlers {
  response(response: RtspResponse): void;
  request(request: RtspServerRequest): void;
  /** An interleaved frame (RFC 2326 §10.12): `$`, channel, 16-bit length, then an RTP or RTCP packet (a view, valid during the call). */
  interleaved(channel: number, payload: Uint8Array): void;
}

const DOLLAR = 0x24;
/** Bytes enough to tell a status line or a request line from anything else. */
const START_BYTES = 16;
const RESPONSE_START = /^RTSP\/\d/;
const REQUEST_START = /^[A-Z_]{3,16} /;

/** Fewer than START_BYTES that may still become a status line or a request line. */
function unfinishedStart(start: string): boolean {
  return start.length < START_BYTES && ('RTSP/'.startsWith(start) || /^[A-Z_]+$/.test(start));
}

const MAX_HEADER_BYTES = 64 * 1024;
const latin1 = new TextDecoder('latin1');

/**
 * Cuts what the camera sends on the RTSP connection into responses, requests and interleaved
 * frames, across chunk boundaries. Bytes that are none of these (a camera that lost its framing)
 * are skipped up to the next `$` or `RTSP/`.
 */
export class RtspReader {
  #pending: Uint8Array = new Uint8Array(0);
  #bytes = 0;
  #textMessages = 0;

  constructor(private readonly handlers: RtspReaderHandlers) {}

  #opening = '';

  /**
   * The bytes received while no RTSP response or request has been read and they do not even begin
   * like one: a peer that does not speak RTSP (another protocol on the port, or noise; `$` frames
   * alone prove nothing). An answer cut short (it begins with `RTSP/`) is not counted.
   */
  get unreadableBytes(): number {
    const rtspLike = RESPONSE_START.test(this.#opening) || REQUEST_START.test(this.#opening) || unfinishedStart(this.#opening);
    return this.#textMessages === 0 && !rtspLike ? this.#bytes : 0;
  }

  push(chunk: Uint8Array): void {
    if (this.#opening.length < START_BYTES) this.#opening += latin1.decode(chunk.subarray(0, START_BYTES - this.#opening.length));
    this.#bytes += chunk.byteLength;
    let data = chunk;
    if (this.#pending.byteLength > 0) {
      data = new Uint8Array(this.#pending.byteLength + chunk.byteLength);
      data.set(this.#pending);
      data.set(chunk, this.#pending.byteLength);
    }
    let offset = 0;
    while (offset < data.byteLength) {
      const used = this.#next(data, offset);
      if (used === 0) break;
      offset += used;
    }
    this.#pending = offset < data.byteLength ? data.slice(offset) : new Uint8Array(0);
  }

  /** Handles the message at `offset`: the bytes it used, or 0 when it is not all here yet. */
  #next(data: Uint8Array, offset: number): number {
    const available = data.byteLength - offset;
    if (data[offset] === DOLLAR) {
      if (available < 4) return 0;
      const length = (data[offset + 2]! << 8) | data[offset + 3]!;
      if (available < 4 + length) return 0;
      this.handlers.interleaved(data[offset + 1]!, data.subarray(offset + 4, offset + 4 + length));
      return 4 + length;
    }
    const start = latin1.decode(data.subarray(offset, offset + Math.min(available, START_BYTES)));
    const isResponse = RESPONSE_START.test(start);
    const isRequest = !isResponse && REQUEST_START.test(start);
    if (!isResponse && !isRequest) {
      if (unfinishedStart(start)) return 0;
      return this.#skipGarbage(data, offset);
    }
    const headerEnd = indexOfBlankLine(data, offset);
    if (headerEnd < 0) {
      if (available > MAX_HEADER_BYTES) throw new RtspError('protocol', `an RTSP header longer than ${MAX_HEADER_BYTES} bytes`);
      return 0;
    }
    const lines = latin1.decode(data.subarray(offset, headerEnd)).split(/\r?\n/);
    const bodyStart = headerEnd + (data[headerEnd] === 0x0d ? 4 : 2);
    const headers = new RtspHeaders();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.add(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const bodyLength = Number(headers.get('content-length') ?? 0) || 0;
    if (data.byteLength < bodyStart + bodyLength) return 0;
    const first = lines[0]!;
    this.#textMessages++;
    if (isResponse) {
      const match = /^RTSP\/\d\.\d\s+(\d{3})\s*(.*)$/.exec(first);
      if (!match) throw new RtspError('protocol', `an unreadable RTSP status line: ${first.slice(0, 80)}`);
      this.handlers.response({ status: Number(match[1]), reason: match[2]!.trim(), headers, body: data.slice(bodyStart, bodyStart + bodyLength) });
    } else {
      this.handlers.request({ method: first.split(' ')[0]!, headers });
    }
    return bodyStart + bodyLength - offset;
  }

  #skipGarbage(data: Uint8Array, offset: number): number {
    for (let i = offset + 1; i < data.byteLength; i++) {
      if (data[i] === DOLLAR || data[i] === 0x52 /* R */) return i - offset;
    }
    return data.byteLength - offset;
  }
}

/** Where the header's blank line starts (at its first CR or LF), or -1. */
function indexOfBlankLine(data: Uint8Array, from: number): number {
  for (let i = from; i + 1 < data.byteLength; i++) {
    if (data[i] === 0x0a && data[i + 1] === 0x0a) return i;
    if (data[i] === 0x0d && data[i + 1] === 0x0a && data[i + 2] === 0x0d && data[i + 3] === 0x0a) return i;
  }
  return -1;
}
