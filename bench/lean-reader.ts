// An MJPEG viewer that costs next to nothing per byte: it reads the HTTP head, de-chunks, and per
// part parses only the headers, skipping the JPEG without copying it. readMjpegParts (the testbed's
// checked reader) copies each body and re-joins buffers, which at 1000 viewers × 15 fps × 70 kB
// costs the bench more CPU than the server spends; fan-out must measure the server, not the viewers.
import net from 'node:net';

export interface LeanPart {
  /** Date.now() when the part's last byte arrived. */
  receivedAt: number;
  /** X-Timestamp and X-Encoded-At, ms (NaN when absent). */
  capturedAt: number;
  encodedAt: number;
  size: number;
}

export interface LeanResult {
  parts: LeanPart[];
  bytes: number;
  /** Ways the stream broke the format (bad chunk line, a part without the boundary or Content-Length). */
  errors: string[];
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Reads `url` for `durationMs`; resolves with every part's times (rejects if it cannot connect). */
export function readLean(url: string, durationMs: number): Promise<LeanResult> {
  const target = new URL(url);
  const result: LeanResult = { parts: [], bytes: 0, errors: [] };
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port || 80), target.hostname);
    let done = false;
    let gotHead = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error && !gotHead) reject(error);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(), durationMs);
    socket.on('connect', () => socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n\r\n`));
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish());

    let head: Buffer | undefined = Buffer.alloc(0);
    let chunked = false;
    let chunkLeft = -1; // -1: a chunk-size line is next; -2: the CRLF after a chunk
    let line = '';
    // Multipart state.
    let partHead = '';
    let bodyLeft = 0;
    let part: LeanPart | undefined;

    const body = (data: Buffer) => {
      result.bytes += data.length;
      let i = 0;
      while (i < data.length) {
        if (part) {
          // Skip the body and its CRLF without looking at it.
          const take = Math.min(bodyLeft, data.length - i);
          bodyLeft -= take;
          i += take;
          if (bodyLeft === 0) {
            part.receivedAt = Date.now();
            result.parts.push(part);
            part = undefined;
          }
          continue;
        }
        // Part headers are small: collect them as text until the blank line.
        const end = data.indexOf(CRLFCRLF, i);
        const upTo = end < 0 ? data.length : end + 4;
        partHead += data.toString('latin1', i, upTo);
        i = upTo;
        const blank = partHead.indexOf('\r\n\r\n');
        if (blank < 0) {
          if (partHead.length > 4096) {
            result.errors.push('part head over 4 kB');
            return finish();
          }
          continue;
        }
        // A blank line split across reads was found only in the joined text: what follows it there
        // is the body's (latin1 is one char per byte), so give those bytes back.
        i -= partHead.length - (blank + 4);
        const text = partHead.slice(0, blank);
        partHead = '';
        const length = Number(/content-length:\s*(\d+)/i.exec(text)?.[1]);
        if (!/^(\r\n)?--/.test(text) || !Number.isInteger(length)) {
          result.errors.push(`bad part head ${JSON.stringify(text.slice(0, 80))}`);
          return finish();
        }
        const header = (name: string) => Number(new RegExp(`${name}:\\s*([\\d.]+)`, 'i').exec(text)?.[1]) * 1000;
        part = { receivedAt: 0, capturedAt: header('x-timestamp'), encodedAt: header('x-encoded-at'), size: length };
        bodyLeft = length + 2; // the body's trailing CRLF
      }
    };

    socket.on('data', (data: Buffer) => {
      if (done) return;
      if (head) {
        head = Buffer.concat([head, data]);
        const end = head.indexOf(CRLFCRLF);
        if (end < 0) return;
        const text = head.toString('latin1', 0, end);
        data = head.subarray(end + 4);
        head = undefined;
        gotHead = true;
        chunked = /transfer-encoding:\s*chunked/i.test(text);
        if (!/^HTTP\/1\.[01] 200/.test(text) || !/multipart\/x-mixed-replace/i.test(text)) {
          result.errors.push(`not an MJPEG response: ${JSON.stringify(text.split('\r\n')[0])}`);
          return finish();
        }
      }
      if (!chunked) return body(data);
      let i = 0;
      while (i < data.length) {
        if (chunkLeft === -1 || chunkLeft === -2) {
          const nl = data.indexOf(10, i);
          line += data.toString('latin1', i, nl < 0 ? data.length : nl + 1);
          i = nl < 0 ? data.length : nl + 1;
          if (nl < 0) continue;
          if (chunkLeft === -2) {
            chunkLeft = -1;
            line = '';
            continue;
          }
          chunkLeft = parseInt(line, 16);
          line = '';
          if (Number.isNaN(chunkLeft)) {
            result.errors.push('bad chunk-size line');
            return finish();
          }
          if (chunkLeft === 0) return finish();
          continue;
        }
        const take = Math.min(chunkLeft, data.length - i);
        body(data.subarray(i, i + take));
        chunkLeft -= take;
        i += take;
        if (chunkLeft === 0) chunkLeft = -2;
      }
    });
  });
}
