/** Why an RTSP session failed or ended, as a value a status can show. */
export type RtspErrorKind =
  /** The camera refused the TCP connection (nothing listens on that port). */
  | 'refused'
  /** No route, no such host, or another network error before the camera answered. */
  | 'unreachable'
  /** No connection, no answer to a request, or no packet while playing, within the time allowed. */
  | 'timeout'
  /** 401: no credentials in the URL, or wrong ones. */
  | 'unauthorized'
  /** 404: no stream at that path. */
  | 'not-found'
  /** Any other status the camera answered with. */
  | 'status'
  /** The camera closed the connection. */
  | 'closed'
  /** The SDP offers no video track. */
  | 'no-video'
  /** The video track's codec (or its packetisation) is not one this client reads: `codec` says which. */
  | 'unsupported-codec'
  /** The camera broke the protocol (an unreadable answer or SDP). */
  | 'protocol'
  /** Stopped by the caller (its AbortSignal). */
  | 'aborted';

/** An RTSP failure. Its message never holds the URL's password (it names host, port and path only). */
export class RtspError extends Error {
  constructor(
    readonly kind: RtspErrorKind,
    message: string,
    /** The RTSP status code, for `unauthorized`, `not-found` and `status`. */
    readonly status?: number,
    /** The SDP encoding name (`JPEG`, `H264`…), for `unsupported-codec`. */
    readonly codec?: string,
  ) {
    super(message);
    this.name = 'RtspError';
  }
}
