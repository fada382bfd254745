import { STAMP_MIN_WIDTH } from '@cctv/frame-buffer';
import { redactUrl } from '@cctv/redact';

/** Where frames come from, decided by the shape of `camera_url`. */
export type SourceKind = 'rtsp' | 'http' | 'file' | 'v4l2' | 'demo';

export interface SourceSpec {
  kind: SourceKind;
  /** The URL or path as given (keep it out of logs: use `redacted`). */
  url: string;
  /** The URL with any password replaced by `***`: safe for logs, status and errors. */
  redacted: string;
  /** For `demo:` sources, the frame size (`demo:640x360`; default 1280x720). */
  size?: { width: number; height: number };
  /** For `demo:…?stamp`: each frame carries its seq and capture time in its pixels (@cctv/frame-buffer's drawStamp). */
  stamp?: boolean;
}

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

export function parseSource(url: string): SourceSpec {
  const trimmed = url.trim();
  const redacted = redactUrl(trimmed);
  if (trimmed === '') throw new SourceError('camera_url is empty: expected rtsp://…, http(s)://…, a file path, /dev/videoN or demo:');
  const demo = /^demo:(?:(\d{2,5})x(\d{2,5}))?(\?stamp)?$/i.exec(trimmed);
  if (demo) {
    const width = Number(demo[1] ?? 1280);
    const height = Number(demo[2] ?? 720);
    if (width % 2 || height % 2 || width > 7680 || height > 4320) {
      throw new SourceError(`demo source size ${width}x${height}: expected even width and height up to 7680x4320`);
    }
    if (demo[3] && (width < STAMP_MIN_WIDTH || height < 16)) {
      throw new SourceError(`demo source size ${width}x${height}: a stamped frame needs at least ${STAMP_MIN_WIDTH}x16`);
    }
    return { kind: 'demo', url: trimmed, redacted, size: { width, height }, ...(demo[3] ? { stamp: true } : {}) };
  }
  if (/^demo:/i.test(trimmed)) throw new SourceError(`"${redacted}": expected demo: or demo:WIDTHxHEIGHT (e.g. demo:640x360), optionally with ?stamp`);
  if (/^rtsps?:\/\//i.test(trimmed)) return { kind: 'rtsp', url: trimmed, redacted };
  if (/^https?:\/\//i.test(trimmed)) return { kind: 'http', url: trimmed, redacted };
  if (/^\/dev\/video\d+$/.test(trimmed)) return { kind: 'v4l2', url: trimmed, redacted };
  if (/^file:\/\//i.test(trimmed)) return { kind: 'file', url: decodeURIComponent(trimmed.slice(7)), redacted };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new SourceError(`unsupported camera_url scheme in "${redacted}": expected rtsp://, rtsps://, http://, https://, a file path, /dev/videoN or demo:`);
  }
  return { kind: 'file', url: trimmed, redacted };
}
