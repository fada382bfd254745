// The measurable camera's picture: raw I420 frames at a steady rate, each stamped in its pixels
// with its seq and the wall-clock ms it was made (drawStamp, @cctv/frame-buffer), written to
// stdout as [uint32 seq, float64 stampedAt ms, uint32 0] little-endian + width×height×3/2 bytes.
// rtsp-camera.py --stamped runs this and feeds the frames to its H.264 encoder. I420 is what
// ffmpeg decodes a clip to and what x264 takes: no colour conversion on either side (measured:
// the camera (clip decode, stamp, x264) ~25 % of a core, against 71 % for RGB through videoconvert).
//   bun stamped-frames.ts --width 1280 --height 720 --fps 15 [--video clip.mp4]
// --video: frames of a real clip (looped, decoded by ffmpeg) under the stamp, for real JPEG sizes;
// without it, a gradient with a moving block.
import { parseArgs } from 'node:util';
import { drawStamp, stampGeometry } from '@cctv/frame-buffer';

const { values } = parseArgs({
  options: { width: { type: 'string', default: '1280' }, height: { type: 'string', default: '720' }, fps: { type: 'string', default: '15' }, video: { type: 'string' } },
});
const width = Number(values.width);
const height = Number(values.height);
const fps = Number(values.fps);
// Planes without row padding: GStreamer pads I420 rows to 4 bytes, so the width must be a multiple of 8.
if (width % 8 || height % 2) throw new Error(`stamped camera: ${width}x${height}: the width must be a multiple of 8 and the height even (I420 without row padding)`);
const lumaBytes = width * height;
const chromaWidth = width / 2;
const chromaHeight = height / 2;
const frameBytes = lumaBytes + 2 * chromaWidth * chromaHeight;
const uOffset = lumaBytes;
const vOffset = lumaBytes + chromaWidth * chromaHeight;

const background = new Uint8Array(frameBytes);
for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) background[y * width + x] = 50 + ((y * 60) / height + (x * 40) / width) | 0;
}
background.fill(150, uOffset, vOffset);
background.fill(110, vOffset);

/** The next frame of the clip, or undefined when there is no clip (or it ended). */
const nextVideoFrame: () => Promise<Uint8Array | undefined> = values.video ? videoReader(values.video) : async () => undefined;

function videoReader(path: string): () => Promise<Uint8Array | undefined> {
  const ffmpeg = Bun.spawn(
    ['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-stream_loop', '-1', '-i', path, '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'],
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

/** Sets a rectangle of the picture to one grey level: the luma, and neutral chroma (a grey with no tint). */
function fillGrey(frame: Uint8Array, left: number, top: number, right: number, bottom: number, luma: number): void {
  for (let y = top; y < bottom; y++) frame.fill(luma, y * width + left, y * width + right);
  for (let y = top >> 1; y < (bottom + 1) >> 1; y++) {
    frame.fill(128, uOffset + y * chromaWidth + (left >> 1), uOffset + y * chromaWidth + ((right + 1) >> 1));
    frame.fill(128, vOffset + y * chromaWidth + (left >> 1), vOffset + y * chromaWidth + ((right + 1) >> 1));
  }
}

const out = Bun.stdout.writer();
const header = new DataView(new ArrayBuffer(16));
const frame = new Uint8Array(frameBytes);
const interval = 1000 / fps;
const start = performance.now();
const block = Math.round(height / 6);
const stampArea = stampGeometry(width, height);
for (let seq = 1; ; seq++) {
  // Scheduled from the start, so timer lateness does not accumulate.
  await Bun.sleep(Math.max(0, start + (seq - 1) * interval - performance.now()));
  frame.set((await nextVideoFrame()) ?? background);
  // A block crossing the frame, so the encoder has motion to code as a camera has.
  const bx = Math.floor(((seq * 8) % (width + block)) - block);
  const top = Math.floor(height / 3);
  if (Math.min(width, bx + block) > Math.max(0, bx)) fillGrey(frame, Math.max(0, bx), top, Math.min(width, bx + block), top + block, 220);
  const stampedAt = Date.now();
  // The stamp's black and white cells in the luma plane, over neutral chroma.
  fillGrey(frame, stampArea.x, stampArea.y, stampArea.x + stampArea.width, stampArea.y + stampArea.height, 0);
  drawStamp({ data: frame.subarray(0, lumaBytes), width, height, channels: 1 }, { seq, timestamp: stampedAt });
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
