// The measurable camera's picture: raw RGB frames at a steady rate, each stamped in its pixels
// with its seq and the wall-clock ms it was made (see ../src/stamp.ts), written to stdout as
// [uint32 seq, float64 stampedAt ms, uint32 0] little-endian + width×height×3 bytes.
// rtsp-camera.py --stamped runs this and feeds the frames to its H.264 encoder.
//   bun stamped-frames.ts --width 1280 --height 720 --fps 15 [--video clip.mp4]
// --video: frames of a real clip (looped, decoded by ffmpeg) under the stamp, for real JPEG sizes;
// without it, a gradient with a moving block.
import { parseArgs } from 'node:util';
import { drawStamp } from '@cctv/frame-buffer';

const { values } = parseArgs({
  options: { width: { type: 'string', default: '1280' }, height: { type: 'string', default: '720' }, fps: { type: 'string', default: '15' }, video: { type: 'string' } },
});
const width = Number(values.width);
const height = Number(values.height);
const fps = Number(values.fps);
const frameBytes = width * height * 3;

const background = new Uint8Array(frameBytes);
for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) {
    const p = (y * width + x) * 3;
    background[p] = 40 + ((y * 80) / height) | 0;
    background[p + 1] = 60 + ((x * 60) / width) | 0;
    background[p + 2] = 90;
  }
}

/** The next frame of the clip, or undefined when there is no clip (or it ended). */
const nextVideoFrame: () => Promise<Uint8Array | undefined> = values.video ? videoReader(values.video) : async () => undefined;

function videoReader(path: string): () => Promise<Uint8Array | undefined> {
  const ffmpeg = Bun.spawn(
    ['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-stream_loop', '-1', '-i', path, '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { stdin: 'ignore', stdout: 'pipe', stderr: 'inherit' },
  );
  process.on('exit', () => ffmpeg.kill('SIGKILL'));
  const reader = ffmpeg.stdout.getReader();
  let buffered: Uint8Array[] = [];
  let size = 0;
  // ffmpeg decodes ahead only as far as the pipe lets it: reading one frame per tick paces it.
  return async () => {
    while (size < frameBytes) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      buffered.push(value);
      size += value.byteLength;
    }
    const joined = Buffer.concat(buffered, size);
    buffered = size > frameBytes ? [joined.subarray(frameBytes)] : [];
    size -= frameBytes;
    return joined.subarray(0, frameBytes);
  };
}

const out = Bun.stdout.writer();
const header = new DataView(new ArrayBuffer(16));
const frame = new Uint8Array(frameBytes);
const interval = 1000 / fps;
const start = performance.now();
const block = Math.round(height / 6);
for (let seq = 1; ; seq++) {
  // Scheduled from the start, so timer lateness does not accumulate.
  await Bun.sleep(Math.max(0, start + (seq - 1) * interval - performance.now()));
  frame.set((await nextVideoFrame()) ?? background);
  // A block crossing the frame, so the encoder has motion to code as a camera has.
  const bx = Math.floor(((seq * 8) % (width + block)) - block);
  for (let y = Math.floor(height / 3); y < Math.floor(height / 3) + block; y++) {
    const from = Math.max(0, bx);
    const to = Math.min(width, bx + block);
    if (to > from) frame.fill(230, (y * width + from) * 3, (y * width + to) * 3);
  }
  const stampedAt = Date.now();
  drawStamp({ data: frame, width, height }, { seq, timestamp: stampedAt });
  header.setUint32(0, seq, true);
  header.setFloat64(4, stampedAt, true);
  header.setUint32(12, 0, true);
  try {
    out.write(new Uint8Array(header.buffer));
    out.write(frame);
    await out.flush();
  } catch {
    // The camera went away (EPIPE): so do we.
    process.exit(0);
  }
}
