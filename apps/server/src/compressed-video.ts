import type { VideoParameters } from '@cctv/capture';

/** One access unit of a camera's own video, as the main thread keeps it and viewers get it. */
export interface EncodedUnit {
  /** 1, 2, 3… for this camera; a gap between two units a viewer got is units it skipped. */
  seq: number;
  /** Annex-B; a keyframe starts with the parameter sets in force. */
  data: Uint8Array;
  keyframe: boolean;
  /** The unit's presentation time on the camera's clock (ms since its session began). */
  mediaTimeMs: number;
  /** When the server received it (ms since the epoch). */
  capturedAt: number;
  parameters: VideoParameters;
}

/** Someone who gets a camera's own video: told of new parameters before the units that use them. */
export interface VideoViewer {
  /** What it was sent and missed of the camera's own video. */
  readonly stats: { framesDropped: number; bytesSent: number };
  /** Gets the camera's own video now (else it gets something else: JPEG frames, as a JPEG viewer). */
  readonly playing: boolean;
  /** New parameters (a session began, the picture changed size): a decoder must be set up afresh. */
  parameters(parameters: VideoParameters): void;
  unit(unit: EncodedUnit): void;
  /** The camera has no compressed video any more (stopped, restarted, removed). */
  ended(): void;
}

/**
 * A camera's compressed video as it came (H.264 or H.265 read in-process): every access unit on
 * to its video viewers, and the units since the last keyframe kept, so that a viewer who joins
 * starts decoding at once instead of waiting up to a keyframe interval.
 */
export class CompressedVideo {
  /**
   * Past this, the units since the last keyframe are dropped and a viewer who joins waits for the
   * next keyframe: 8 MB is a 4-second keyframe interval at 16 Mbit/s (4K); a 720p camera at 2 Mbit/s
   * with one keyframe a second keeps ~250 kB.
   */
  static readonly MAX_KEPT_BYTES = 8 * 1024 * 1024;

  readonly viewers = new Set<VideoViewer>();
  #parameters: VideoParameters | undefined;
  #sinceKeyframe: EncodedUnit[] = [];
  #keptBytes = 0;
  #seq = 0;
  /** What viewers that left were sent and missed. */
  readonly #pastViewers = { framesDropped: 0, bytesSent: 0 };

  /** How many viewers get the camera's own video now. */
  get viewerCount(): number {
    let count = 0;
    for (const viewer of this.viewers) if (viewer.playing) count++;
    return count;
  }

  /** The parameters in force; undefined while the camera sends no compressed video. */
  get parameters(): VideoParameters | undefined {
    return this.#parameters;
  }

  /** The last keyframe and the units after it; empty when none is kept (none yet, or over the limit). */
  get sinceKeyframe(): readonly EncodedUnit[] {
    return this.#sinceKeyframe;
  }

  /** A unit from the pipeline; `parameters` with the first unit that uses new ones. */
  push(unit: { data: Uint8Array; keyframe: boolean; mediaTimeMs: number; capturedAt: number; parameters: VideoParameters | null }): void {
    if (unit.parameters) {
      this.#parameters = unit.parameters;
      this.#sinceKeyframe = [];
      this.#keptBytes = 0;
      for (const viewer of this.viewers) viewer.parameters(unit.parameters);
    }
    const parameters = this.#parameters;
    if (!parameters) return;
    const encoded: EncodedUnit = { seq: ++this.#seq, data: unit.data, keyframe: unit.keyframe, mediaTimeMs: unit.mediaTimeMs, capturedAt: unit.capturedAt, parameters };
    this.#keep(encoded);
    for (const viewer of this.viewers) viewer.unit(encoded);
  }

  #keep(unit: EncodedUnit): void {
    if (unit.keyframe) {
      this.#sinceKeyframe = [unit];
      this.#keptBytes = unit.data.byteLength;
    } else if (this.#sinceKeyframe.length) {
      this.#keptBytes += unit.data.byteLength;
      if (this.#keptBytes <= CompressedVideo.MAX_KEPT_BYTES) {
        this.#sinceKeyframe.push(unit);
      } else {
        this.#sinceKeyframe = [];
        this.#keptBytes = 0;
      }
    }
  }

  add(viewer: VideoViewer): void {
    this.viewers.add(viewer);
  }

  delete(viewer: VideoViewer): void {
    if (!this.viewers.delete(viewer)) return;
    this.#pastViewers.framesDropped += viewer.stats.framesDropped;
    this.#pastViewers.bytesSent += viewer.stats.bytesSent;
  }

  /** The camera stopped: no parameters, nothing kept; its viewers are told (they stay, for when it comes back). */
  reset(): void {
    this.#parameters = undefined;
    this.#sinceKeyframe = [];
    this.#keptBytes = 0;
    for (const viewer of [...this.viewers]) viewer.ended();
  }

  /** What its viewers, present and past, were sent and missed. */
  totals(): { framesDropped: number; bytesSent: number } {
    let { framesDropped, bytesSent } = this.#pastViewers;
    for (const viewer of this.viewers) {
      framesDropped += viewer.stats.framesDropped;
      bytesSent += viewer.stats.bytesSent;
    }
    return { framesDropped, bytesSent };
  }
}
