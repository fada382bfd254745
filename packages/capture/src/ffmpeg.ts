import type { RawFrame } from './frame.ts';
import { LineSplitter } from './lines.ts';
import { redactUrl } from '@cctv/redact';
import type { SourceSpec } from './source.ts';

/** ffmpeg input options per source kind: low delay for live cameras, real-time pace and looping for files. */
export function ffmpegArgs(source: SourceSpec): string[] {
  const input: string[] = [];
  switch (source.kind) {
    case 'rtsp':
      // TCP: no lost UDP packets smearing the picture. nobuffer/low_delay: frames out as soon as
      // decoded (measured, stamped camera, 720p 15 fps: H.264 out → raw frame p50 138 ms with
      // nobuffer, 193 ms without). Every (re)connect pays ffmpeg's stream probe first (~2.5 s by
      // default); 0.5 s is enough for one H.264 stream and halves the time to the first frame.
      input.push('-analyzeduration', '500000', '-rtsp_transport', 'tcp', '-fflags', 'nobuffer', '-flags', 'low_delay');
      break;
    case 'http':
      input.push('-fflags', 'nobuffer', '-flags', 'low_delay');
      break;
    case 'file':
      input.push('-re', '-stream_loop', '-1');
      break;
    case 'v4l2':
      input.push('-f', 'v4l2');
      break;
    case 'demo':
      throw new Error('the demo source runs in-process, not in ffmpeg');
  }
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    ...input, '-i', source.url,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

/**
 * ffmpeg's closing words when it gives up ("Conversion failed!"): they say that it failed, not
 * why, so they never replace the line that does (e.g. "Could not find codec parameters …").
 */
const EPILOGUE = /^(Conversion failed!|Error marking filters as finished|Error closing file|Exiting normally|Cannot determine format of input stream .* after EOF)/i;

/** Lines of ffmpeg's stderr that say why a stream failed (kept, redacted, as the status reason). */
const ERROR_LINE = /error|refused|not found|unauthori[sz]ed|forbidden|invalid|fail|timed? ?out|denied|unreachable|no route|could not|cannot|unable|end of file|broken pipe|reset by peer|no such/i;

export interface StderrFacts {
  /** The input opened (ffmpeg printed `Input #0`). */
  connected: boolean;
  /** The raw output frame size, from the `Output #0` stream line. */
  size?: { width: number; height: number };
  /** The most recent line that looks like an error, cleaned and redacted. */
  lastError?: string;
}

/** Reads ffmpeg's stderr line by line into facts; `onFact` fires when one of them changes. */
export class StderrParser {
  readonly facts: StderrFacts = { connected: false };
  readonly recent: string[] = [];
  #inOutput = false;
  readonly #lines = new LineSplitter((line) => this.line(line));

  constructor(private readonly onFact: (facts: StderrFacts) => void) {}

  push(chunk: Uint8Array): void {
    this.#lines.push(chunk);
  }

  end(): void {
    this.#lines.end();
  }

  line(raw: string): void {
    const line = redactUrl(raw.trim());
    if (!line) return;
    this.recent.push(line);
    if (this.recent.length > 20) this.recent.shift();
    if (/^Input #0/.test(line) && !this.facts.connected) {
      this.facts.connected = true;
      this.onFact(this.facts);
    } else if (/^Output #0/.test(line)) {
      this.#inOutput = true;
    } else if (this.#inOutput && !this.facts.size) {
      const size = /Stream #\d+:\d+.*Video:.*?\b(\d{2,5})x(\d{2,5})\b/.exec(line);
      if (size) {
        this.facts.size = { width: Number(size[1]), height: Number(size[2]) };
        this.onFact(this.facts);
      }
    } else if (ERROR_LINE.test(line) && !/^\s*(Stream|Metadata|Duration|encoder|Press)/.test(line) && !(this.facts.lastError && EPILOGUE.test(line))) {
      // "[tcp @ 0x55d…] Connection refused" reads better without the context pointer.
      this.facts.lastError = line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '');
      this.onFact(this.facts);
    }
  }
}

/** How many released frame buffers a RawFrameAssembler keeps: a frame being encoded, one waiting, one being filled, and a spare. */
const FREE_BUFFERS_KEPT = 4;

/**
 * Cuts a decoder's raw rgb24 byte stream into whole frames (`push`), or takes whole frames read
 * by someone else (`pushFrame`). Frames that come faster than the target rate are dropped here,
 * against a schedule of one frame per interval, so the decoder needs no fps filter (which holds a
 * frame back to decide, adding a frame of latency). A third of an interval of tolerance lets a
 * jittery camera at the target rate keep every frame, while a camera at twice the rate still
 * loses every other one, and the schedule caps the average. `rowBytes` is the input's row
 * stride: GStreamer pads RGB rows to a multiple of 4 bytes, and those rows are compacted here, so
 * every frame handed on is packed (width × 3 bytes a row). A frame's `release()` gives its buffer
 * back for a later frame: a fresh 2.7 MB buffer a frame (720p) costs more CPU in page faults than
 * the rest of reading it (docs/BENCHMARKS.md, "Many cameras").
 */
export class RawFrameAssembler {
  /** Bytes of a frame handed on: width × height × 3. */
  readonly frameBytes: number;
  /** Bytes of a frame as the decoder writes it: rowBytes × height. */
  readonly inputBytes: number;
  readonly #intervalMs: number;
  /** The frame `push` is filling; allocated on the first push. */
  #frame: Uint8Array | undefined;
  /** Released frame buffers (frameBytes each), reused before a new one is allocated. */
  readonly #free: Uint8Array[] = [];
  #filled = 0;
  #nextDue = 0;
  #seq = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    targetFps: number,
    private readonly onFrame: (frame: RawFrame) => void,
    readonly rowBytes = width * 3,
    /** Called once for every decoded frame, kept or thinned out, in order: the media time of the frame, if known. */
    private readonly takeMediaTime?: () => number | undefined,
  ) {
    this.frameBytes = width * height * 3;
    this.inputBytes = rowBytes * height;
    this.#intervalMs = 1000 / targetFps;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.byteLength) {
      // Packed input is handed on in the buffer it filled; padded input is compacted out of one kept buffer.
      this.#frame ??= this.rowBytes === this.width * 3 ? this.#newBuffer() : new Uint8Array(this.inputBytes);
      const take = Math.min(chunk.byteLength - offset, this.inputBytes - this.#filled);
      this.#frame.set(chunk.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.inputBytes) {
        this.#filled = 0;
        this.#complete(this.#frame, Date.now());
      }
    }
  }

  /**
   * A whole frame of `inputBytes`, completed at `at`: `giveBack()` is called once the assembler
   * and whoever gets the frame are done with `input` (at once for a frame thinned out).
   */
  pushFrame(input: Uint8Array, at: number, giveBack: () => void): void {
    this.#complete(input, at, giveBack);
  }

  /** `giveBack` undefined: `input` is the assembler's own `#frame`. */
  #complete(input: Uint8Array, now: number, giveBack?: () => void): void {
    const mediaTimeMs = this.takeMediaTime?.();
    if (this.#nextDue && now < this.#nextDue - this.#intervalMs / 3) {
      giveBack?.(); // too early: dropped (the assembler's own buffer fills again)
      return;
    }
    // A source slower than the target resets the schedule instead of earning a burst later.
    this.#nextDue = Math.max((this.#nextDue || now) + this.#intervalMs, now);
    let data: Uint8Array;
    let handBack: () => void;
    if (this.rowBytes === this.width * 3) {
      // Packed: handed on as it is, no copy.
      data = input;
      if (giveBack) handBack = giveBack;
      else {
        this.#frame = this.#newBuffer();
        handBack = () => this.#recycle(data);
      }
    } else {
      data = this.#newBuffer();
      const packedRow = this.width * 3;
      for (let y = 0; y < this.height; y++) data.set(input.subarray(y * this.rowBytes, y * this.rowBytes + packedRow), y * packedRow);
      giveBack?.();
      handBack = () => this.#recycle(data);
    }
    let released = false;
    const release = () => {
      if (!released) handBack();
      released = true;
    };
    const frame: RawFrame = { data, width: this.width, height: this.height, seq: ++this.#seq, capturedAt: now, release };
    if (mediaTimeMs !== undefined) frame.mediaTimeMs = mediaTimeMs;
    this.onFrame(frame);
  }

  /** A buffer for a frame handed on (frameBytes), a released one if there is one. */
  #newBuffer(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.frameBytes);
  }

  #recycle(data: Uint8Array): void {
    if (this.#free.length < FREE_BUFFERS_KEPT) this.#free.push(data);
  }
}

/** The prefix that ties a child's life to ours: if we die without cleaning up, the kernel kills it. */
export function parentDeathPrefix(): string[] {
  const setpriv = Bun.which('setpriv');
  return setpriv ? [setpriv, '--pdeathsig', 'SIGKILL', '--'] : [];
}
