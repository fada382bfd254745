/// <reference lib="webworker" />
import { readSync } from 'node:fs';

/**
 * A frames pipe's reader thread (frame-pipe.ts): blocking reads of whole frames into buffers that
 * the frames' owner hands back once done with them, each frame moved (not copied) to the owner.
 * It ends at the end of the pipe: the decoder child exited or was killed.
 */
declare const self: Worker;

export type ToFrameReader = { type: 'start'; fd: number; frameBytes: number } | { type: 'buffer'; buffer: ArrayBuffer };
export type FromFrameReader = { type: 'frame'; buffer: ArrayBuffer; at: number } | { type: 'end'; error: string | null };

/** Buffers handed back, kept for the next frames; more than this are left to the GC. */
const FREE_KEPT = 4;
const free: ArrayBuffer[] = [];

async function run(fd: number, frameBytes: number): Promise<void> {
  for (;;) {
    const frame = new Uint8Array(free.pop() ?? new ArrayBuffer(frameBytes));
    let filled = 0;
    while (filled < frameBytes) {
      const read = readSync(fd, frame, filled, frameBytes - filled, null);
      if (read === 0) return;
      filled += read;
    }
    self.postMessage({ type: 'frame', buffer: frame.buffer, at: Date.now() } satisfies FromFrameReader, [frame.buffer]);
    // A turn of the event loop between frames, for the buffers handed back meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

self.onmessage = (event: MessageEvent<ToFrameReader>) => {
  const message = event.data;
  if (message.type === 'buffer') {
    if (free.length < FREE_KEPT) free.push(message.buffer);
    return;
  }
  run(message.fd, message.frameBytes).then(
    () => self.postMessage({ type: 'end', error: null } satisfies FromFrameReader),
    (error: Error) => self.postMessage({ type: 'end', error: error.message } satisfies FromFrameReader),
  );
};
