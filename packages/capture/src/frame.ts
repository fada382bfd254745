/** A decoded picture as a source produced it: packed RGB24, row-major, no padding. */
export interface RawFrame {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1, 2, 3… per source session. */
  seq: number;
  /** When the frame was produced or received (ms since the epoch). */
  capturedAt: number;
  /**
   * The media time (ms) of the access unit it was decoded from, `AccessUnit.timestampMs`: an
   * rtsp:// camera read in-process only. Matches detections to the frames a browser decodes itself.
   */
  mediaTimeMs?: number;
  /**
   * Gives `data` back for a later frame to reuse: call it once nothing reads `data` any more, and
   * never touch `data` after. Optional for the caller (a frame never released is garbage-collected
   * as usual) and absent where the source does not pool its buffers.
   */
  release?: () => void;
}
