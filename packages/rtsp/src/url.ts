import { RtspError } from './errors.ts';

export interface RtspUrl {
  secure: boolean;
  /** Host name or address, without IPv6 brackets. */
  hostname: string;
  port: number;
  /** The URL requests are made for: no user name or password. */
  requestUrl: string;
  /** `host:port`, for messages. */
  address: string;
  /** Percent-decoded; empty when the URL has none. */
  user: string;
  password: string;
}

/** Splits `rtsp(s)://user:password@host:port/path?query` (user and password percent-encoded). */
export function parseRtspUrl(url: string): RtspUrl {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new RtspError('protocol', 'not a URL: expected rtsp://host[:port]/path');
  }
  const secure = parsed.protocol === 'rtsps:';
  if (!secure && parsed.protocol !== 'rtsp:') throw new RtspError('protocol', `${parsed.protocol}// is not RTSP: expected rtsp:// or rtsps://`);
  if (!parsed.hostname) throw new RtspError('protocol', 'the URL names no host');
  const port = parsed.port ? Number(parsed.port) : secure ? 322 : 554;
  const user = decode(parsed.username);
  const password = decode(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return {
    secure,
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    requestUrl: parsed.href,
    address: `${parsed.hostname}:${port}`,
    user,
    password,
  };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The URL of a track or session `control` attribute (RFC 2326 §C.1.1): absolute as it is, `*` the
 * base itself, else appended to the base (Content-Base, Content-Location or the request URL) with
 * one slash, as cameras mean it (RFC 3986 resolution would drop the base's last segment).
 */
export function resolveControl(base: string, control: string | undefined): string {
  if (!control || control === '*') return base;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(control)) return control;
  return base.endsWith('/') || control.startsWith('/') ? base + control : `${base}/${control}`;
}
