import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { LineSplitter } from './lines.ts';
import { redactUrl } from '@cctv/redact';
import type { SourceSpec } from './source.ts';

/** gst-launch-1.0 writes the raw frames here; its stdout carries the -v caps and progress text. */
export const GST_FRAMES_FD = 3;

/**
 * An RTSP request (connect, OPTIONS, DESCRIBE, SETUP, PLAY) unanswered this long fails with
 * rtspsrc's own reason ("Timeout while waiting for server response"), before the 15 s connect
 * watchdog would, which can only say that no video came (rtspsrc's default is 20 s).
 */
const TCP_TIMEOUT_US = 10_000_000;

/**
 * gst-launch-1.0 arguments that play an RTSP camera as packed RGB on fd 3.
 *
 * Measured with the stamped camera (720p 15 fps, H.264 out → raw frame on our fd, p50):
 * `decodebin` 17–22 ms, explicit `rtph264depay ! avdec_h264` 16–21 ms, the same without
 * h264parse (GST_PLUGIN_FEATURE_RANK=h264parse:NONE; decodebin then plugs depay → avdec_h264
 * directly) 17 ms; ffmpeg 5.1 ~146 ms. So decodebin, which costs nothing here, and picks the
 * depayloader and decoder for what the camera sends (H.265, MJPEG…), hardware ones by rank.
 */
export function gstreamerArgs(source: SourceSpec): string[] {
  if (source.kind !== 'rtsp') throw new Error(`GStreamer plays rtsp:// sources here, not ${source.kind}`);
  return [
    // -v: the caps of every pad (the frame size); -X stats: not rtpbin's stats every few seconds;
    // -f: no fault handler, which on a crash would wait forever for a debugger instead of exiting.
    '-v', '-f', '-X', 'stats',
    // latency=0: no jitter buffer delay (TCP delivers in order); protocols=tcp as ffmpeg's
    // -rtsp_transport tcp: no lost UDP packets smearing the picture.
    'rtspsrc', `location=${escapeLocation(source.url)}`, 'latency=0', 'protocols=tcp', `tcp-timeout=${TCP_TIMEOUT_US}`,
    // Video only: an audio stream's pad reaching decodebin first would fail to link to videoconvert.
    '!', 'application/x-rtp,media=video',
    '!', 'decodebin',
    '!', 'videoconvert',
    '!', 'video/x-raw,format=RGB',
    // sync=false: write each frame as soon as it is decoded, not when the pipeline clock says.
    '!', 'fdsink', 'name=frames', `fd=${GST_FRAMES_FD}`, 'sync=false',
  ];
}

/**
 * gst-launch's parser drops backslashes and treats double quotes as quoting, even inside a
 * property value; percent-encoded, they reach the camera as meant (rtspsrc decodes user:password).
 */
function escapeLocation(url: string): string {
  return url.replaceAll('\\', '%5C').replaceAll('"', '%22');
}

/**
 * GStreamer lays RGB rows out at a multiple of 4 bytes (GST_ROUND_UP_4): a 642-pixel row is 1928
 * bytes, not 1926.
 */
export function gstRgbRowBytes(width: number): number {
  return Math.ceil((width * 3) / 4) * 4;
}

/** The environment gst-launch runs with: its ERROR-level log says what its error messages do not (e.g. "Connection refused"). */
export const GST_LAUNCH_ENV = { GST_DEBUG: '1', GST_DEBUG_NO_COLOR: '1' } as const;

export interface GstFacts {
  /** rtspsrc set the stream up (`Progress: (open) Opened Stream`). */
  connected: boolean;
  /** The frame size, from the caps of the fdsink's pad. */
  size?: { width: number; height: number };
  /** Why the pipeline failed: its first error (later ones are its consequences), cleaned and redacted. */
  error?: string;
  /** The last warning, e.g. "The server closed the connection." before an end of stream. */
  warning?: string;
  /** The pipeline reached its end of stream. */
  ended: boolean;
}

/**
 * Output that says that something failed, not why: a specific line ("Not Found (404)",
 * "Connection refused") is kept over these.
 */
const GENERIC = /\(Generic error\)|^Could not (open|read from|write to) resource|^Internal data stream error|^Delayed linking failed/i;

/** One line of GStreamer's debug log: `0:00:00.05 21126 0x55… ERROR  category file.c:1156:function:<object> message`. */
const DEBUG_LOG_LINE = /^\d+:\d{2}:\d{2}\.\d+\s+\d+\s+0x[0-9a-f]+\s+ERROR\s+\S+\s+\S+:\d+:\w+:(?:<[^>]*>)?\s*(.*)$/;

type Output = 'stdout' | 'stderr';

/** An ERROR (on stderr) or WARNING (on stdout) message of gst-launch, read line by line. */
interface MessageBlock {
  kind: 'error' | 'warning';
  message: string;
  /** The line after the source location in "Additional debug info:". */
  detail?: string;
  expecting: 'debug-info' | 'location' | 'detail';
}

/**
 * Reads gst-launch-1.0's stdout (progress, -v caps, EOS) and stderr (ERROR/WARNING messages and
 * the ERROR-level debug log) line by line into facts; `onFact` fires when one of them changes.
 * Every line is redacted first.
 */
export class GstLaunchParser {
  readonly facts: GstFacts = { connected: false, ended: false };
  readonly recent: string[] = [];
  /** Feed gst-launch's stdout here (its WARNING messages come here). */
  readonly stdout = new LineSplitter((line) => this.line(line, 'stdout'), () => this.#closeBlock('stdout'));
  /** Feed its stderr here (its ERROR messages and debug log). */
  readonly stderr = new LineSplitter((line) => this.line(line, 'stderr'), () => this.#closeBlock('stderr'));
  /** A message being read, per output: the other one's lines may come between its lines. */
  readonly #blocks: Record<Output, MessageBlock | undefined> = { stdout: undefined, stderr: undefined };
  /** The first specific line of the debug log, for an error whose message is generic. */
  #cause: string | undefined;

  constructor(private readonly onFact: (facts: GstFacts) => void) {}

  /** Why the session ended, once gst-launch exited with `code` and both outputs ended. */
  endReason(code: number): string {
    if (this.facts.error) return this.facts.error;
    if (this.facts.ended || code === 0) return this.facts.warning ?? 'the stream ended';
    return this.#cause ?? this.facts.warning ?? `gst-launch-1.0 exited with code ${code}`;
  }

  /** One line of output (from stderr, unless said otherwise). */
  line(raw: string, from: Output = 'stderr'): void {
    const line = redactUrl(raw.trim());
    if (!line) return;
    this.recent.push(line);
    if (this.recent.length > 20) this.recent.shift();
    if (this.#continueBlock(from, line)) return;
    this.#closeBlock(from);

    let match: RegExpExecArray | null;
    if ((match = /^(ERROR|WARNING): from element \S+: (.*)$/.exec(line))) {
      this.#blocks[from] = { kind: match[1] === 'ERROR' ? 'error' : 'warning', message: match[2]!, expecting: 'debug-info' };
    } else if ((match = /^(?:ERROR|WARNING): (?:pipeline could not be constructed|erroneous pipeline): (.*)$/.exec(line))) {
      this.#setError(match[1]!);
    } else if (/^Progress: \(open\) Opened Stream/.test(line)) {
      if (!this.facts.connected) {
        this.facts.connected = true;
        this.onFact(this.facts);
      }
    } else if (/^\/GstPipeline:pipeline\d+\/GstFdSink:frames\.GstPad:sink: caps = video\/x-raw\b/.test(line)) {
      const width = Number(/\bwidth=\(int\)(\d+)/.exec(line)?.[1]);
      const height = Number(/\bheight=\(int\)(\d+)/.exec(line)?.[1]);
      if (width > 0 && height > 0 && (width !== this.facts.size?.width || height !== this.facts.size.height)) {
        this.facts.size = { width, height };
        this.onFact(this.facts);
      }
    } else if (/^Got EOS from element/.test(line)) {
      this.facts.ended = true;
      this.onFact(this.facts);
    } else if ((match = DEBUG_LOG_LINE.exec(line))) {
      if (!this.#cause && !GENERIC.test(match[1]!)) this.#cause = match[1];
    }
  }

  /** Takes the line if it belongs to the message open on its output ("Additional debug info:", its location, its detail). */
  #continueBlock(from: Output, line: string): boolean {
    const block = this.#blocks[from];
    if (!block) return false;
    if (block.expecting === 'debug-info' && line === 'Additional debug info:') {
      block.expecting = 'location';
      return true;
    }
    // "../gst/rtsp/gstrtspsrc.c(6895): gst_rtspsrc_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:"
    if (block.expecting === 'location' && /^\S+\(\d+\): /.test(line)) {
      block.expecting = 'detail';
      return true;
    }
    if (block.expecting === 'detail') {
      block.detail = line;
      this.#closeBlock(from);
      return true;
    }
    return false;
  }

  #closeBlock(from: Output): void {
    const block = this.#blocks[from];
    if (!block) return;
    this.#blocks[from] = undefined;
    const specific = [block.detail, block.message].find((text) => text && !GENERIC.test(text));
    const reason = specific ?? this.#cause ?? (block.detail ? `${block.message} (${block.detail})` : block.message);
    if (block.kind === 'error') {
      this.#setError(reason);
    } else {
      this.facts.warning = reason;
      this.onFact(this.facts);
    }
  }

  #setError(reason: string): void {
    if (this.facts.error) return;
    this.facts.error = reason;
    this.onFact(this.facts);
  }
}

/**
 * The elements our pipelines need, and the Debian package of each: H.264 fed on stdin (fdsrc,
 * h264parse, avdec_h264; H.265's h265parse and avdec_h265 come in the same packages), and, for
 * cameras whose codec is not read in-process, rtspsrc with decodebin (which finds the rest).
 */
const NEEDED_ELEMENTS: Record<string, string> = {
  fdsrc: 'libgstreamer1.0-0',
  h264parse: 'gstreamer1.0-plugins-bad',
  avdec_h264: 'gstreamer1.0-libav',
  videoconvert: 'gstreamer1.0-plugins-base',
  fdsink: 'libgstreamer1.0-0',
  rtspsrc: 'gstreamer1.0-plugins-good',
  decodebin: 'gstreamer1.0-plugins-base',
};

const INSTALL_ALL = 'apt-get install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav';

/** How long one gst-inspect-1.0 may take (the first one in a while rebuilds the plugin registry). */
const INSPECT_TIMEOUT_MS = 30_000;

/** gst-launch-1.0 that can run `gstreamerArgs`, or what is missing and how to install it. */
export type GstreamerCheck = { launch: string } | { missing: string };

const checks = new Map<string, Promise<GstreamerCheck>>();

/**
 * Whether GStreamer can play RTSP here: gst-launch-1.0 at `launchPath` (else on PATH), and every
 * element the pipeline needs (gst-inspect-1.0 --exists). Checked once per process and path.
 */
export function checkGstreamer(launchPath?: string): Promise<GstreamerCheck> {
  const key = launchPath ?? '';
  let check = checks.get(key);
  if (!check) {
    check = runCheck(launchPath);
    checks.set(key, check);
  }
  return check;
}

async function runCheck(launchPath: string | undefined): Promise<GstreamerCheck> {
  const launch = launchPath?.includes('/') ? executable(launchPath) : Bun.which(launchPath || 'gst-launch-1.0');
  if (!launch) {
    const where = launchPath ? `at ${launchPath} (GST_LAUNCH_PATH)` : 'on PATH';
    return { missing: `gst-launch-1.0 not found ${where}: ${INSTALL_ALL}` };
  }
  const inspect = executable(join(dirname(launch), 'gst-inspect-1.0')) ?? Bun.which('gst-inspect-1.0');
  if (!inspect) return { missing: `gst-inspect-1.0 not found beside ${launch} or on PATH: apt-get install gstreamer1.0-tools` };
  const elements = Object.keys(NEEDED_ELEMENTS);
  // At once: each gst-inspect-1.0 is a process start, and this is on the first connection's path.
  const found = await Promise.all(elements.map((element) => elementExists(inspect, element)));
  const missing = elements.filter((_, i) => !found[i]);
  if (missing.length === 0) return { launch };
  const packages = [...new Set(missing.map((element) => NEEDED_ELEMENTS[element]!))];
  return { missing: `GStreamer lacks ${missing.join(', ')}: apt-get install ${packages.join(' ')}` };
}

function executable(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return null;
  }
}

async function elementExists(inspect: string, element: string): Promise<boolean> {
  try {
    const proc = Bun.spawn([inspect, '--exists', element], { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
    const timer = setTimeout(() => proc.kill('SIGKILL'), INSPECT_TIMEOUT_MS);
    const code = await proc.exited;
    clearTimeout(timer);
    return code === 0;
  } catch {
    return false;
  }
}
