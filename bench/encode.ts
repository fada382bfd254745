// JPEG encode of real 720p frames (people-720p.mp4, decoded by ffmpeg to RGB) at q65, one frame at
// a time as the pipeline Worker does: the server's encoder (@cctv/mjpeg's createJpegEncoder, which
// picks libjpeg-turbo when the system has it), sharp with its options, and the libjpeg-turbo floor
// (the system's libturbojpeg through bun:ffi, called directly). Variants take turns frame by frame,
// so a burst of load from elsewhere hits them all alike.
//   bun bench/encode.ts [--frames 60] [--rounds 3] [--quality 65] [--json FILE]
import { fixturePath } from '@cctv/testbed';
import sharp, { type JpegOptions } from 'sharp';
import { createJpegEncoder } from '@cctv/mjpeg';
import { flags, fmt, summarize, writeResults, type Summary } from './lib.ts';

const options = flags({ frames: '60', rounds: '3', quality: '65', video: '' });
const quality = Number(options.quality);
const WIDTH = 1280;
const HEIGHT = 720;

export interface EncodeVariant {
  name: string;
  ms: Summary;
  kb: number;
  /** ms p50 / the floor's ms p50. */
  ratio: number;
}

export interface EncodeResults {
  frames: number;
  rounds: number;
  quality: number;
  sharp: string;
  /** What the server encodes with here. */
  server: string;
  floor: string;
  variants: EncodeVariant[];
  floorNote?: string;
}

const video = options.video || fixturePath('video/people-720p.mp4');
if (!video) throw new Error('encode bench: video/people-720p.mp4 is missing from the fixtures (set SHARED_FIXTURES or pass --video)');
const count = Number(options.frames);
const proc = Bun.spawn(['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', video, '-frames:v', String(count), '-vf', `scale=${WIDTH}:${HEIGHT}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdout: 'pipe', stderr: 'inherit' });
const raw = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
if ((await proc.exited) !== 0) throw new Error(`ffmpeg could not decode ${video}`);
const frameBytes = WIDTH * HEIGHT * 3;
const frames = Array.from({ length: Math.floor(raw.byteLength / frameBytes) }, (_, i) => raw.subarray(i * frameBytes, (i + 1) * frameBytes));

interface Variant {
  name: string;
  encode(rgb: Uint8Array): Promise<number> | number;
}

const sharpJpeg = (jpeg: JpegOptions, concurrency: number): Variant['encode'] => async (rgb) => {
  sharp.concurrency(concurrency);
  const out = await sharp(rgb, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg(jpeg).toBuffer();
  return out.byteLength;
};
sharp.cache(false); // as the pipeline Worker ran it
const defaultConcurrency = sharp.concurrency();
const { encoder: server, fallbackReason } = await createJpegEncoder({ quality });
const variants: Variant[] = [
  { name: `the server's encoder: ${server.name}`, encode: async (rgb) => (await server.encode(rgb, WIDTH, HEIGHT)).byteLength },
  { name: `sharp .jpeg({ quality: ${quality} }) (concurrency ${defaultConcurrency}): the server's call before libjpeg-turbo`, encode: sharpJpeg({ quality }, defaultConcurrency) },
  { name: 'sharp, optimiseCoding: false', encode: sharpJpeg({ quality, optimiseCoding: false }, defaultConcurrency) },
  { name: 'sharp, concurrency 2', encode: sharpJpeg({ quality }, 2) },
  { name: 'sharp, optimiseCoding: false, concurrency 2', encode: sharpJpeg({ quality, optimiseCoding: false }, 2) },
];
const FLOOR = `libjpeg-turbo (system libturbojpeg, bun:ffi, called directly), 4:2:0, q${quality}`;
const floor = await turboJpegFloor();
if (floor) variants.push({ name: FLOOR, encode: floor });

/** tjCompress2 into one reused buffer, nothing around it: the least any encoder of these frames can cost. */
async function turboJpegFloor(): Promise<Variant['encode'] | undefined> {
  if (fallbackReason) return undefined;
  const { dlopen, FFIType, ptr } = await import('bun:ffi');
  const { TURBOJPEG_LIBRARY } = await import('@cctv/mjpeg');
  const { symbols } = dlopen(TURBOJPEG_LIBRARY, {
    tjInitCompress: { args: [], returns: FFIType.ptr },
    tjBufSize: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.u64 },
    tjCompress2: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  });
  const handle = symbols.tjInitCompress();
  const output = new Uint8Array(Number(symbols.tjBufSize(WIDTH, HEIGHT, 2)));
  const outputPointer = new BigUint64Array([BigInt(ptr(output))]);
  const size = new BigUint64Array(1);
  return (rgb) => {
    size[0] = BigInt(output.byteLength);
    // RGB, 4:2:0, TJFLAG_NOREALLOC: as the server's encoder calls it.
    if (symbols.tjCompress2(handle, rgb, WIDTH, 0, HEIGHT, 0, outputPointer, size, 2, quality, 1024) !== 0) throw new Error('tjCompress2 failed');
    return Number(size[0]);
  };
}

const times = variants.map(() => [] as number[]);
const sizes = variants.map(() => [] as number[]);
const rounds = Number(options.rounds);
for (let round = 0; round < rounds; round++) {
  for (const [f, frame] of frames.entries()) {
    for (let k = 0; k < variants.length; k++) {
      // Rotate who goes first, so none always runs on a cache warmed by another.
      const v = (k + f) % variants.length;
      const started = performance.now();
      const bytes = await variants[v]!.encode(frame);
      const ms = performance.now() - started;
      if (round > 0 || f >= 3) times[v]!.push(ms); // the first frames warm libraries up
      sizes[v]!.push(bytes);
    }
  }
}
sharp.concurrency(defaultConcurrency);

const floorIndex = variants.findIndex((v) => v.name === FLOOR);
const floorP50 = floorIndex >= 0 ? summarize(times[floorIndex]!).p50 : NaN;
const results: EncodeResults = {
  frames: frames.length,
  rounds,
  quality,
  sharp: `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, ${sharp.versions.mozjpeg ? `mozjpeg ${sharp.versions.mozjpeg}` : 'libjpeg-turbo'}`,
  server: server.name,
  floor: FLOOR,
  variants: variants.map((v, i) => {
    const ms = summarize(times[i]!);
    return { name: v.name, ms, kb: summarize(sizes[i]!).mean / 1000, ratio: ms.p50 / floorP50 };
  }),
  ...(fallbackReason ? { floorNote: fallbackReason } : {}),
};

console.log(
  [
    `### JPEG encode (${results.frames} frames of people-720p.mp4 at 1280×720, ${rounds} rounds, q${quality}, one at a time)`,
    '',
    `The server encodes with ${results.server}. ${results.sharp}.${results.floorNote ? ` **No floor: ${results.floorNote}.**` : ''}`,
    '',
    '| encoder | ms p50 | ms p90 | mean size (kB) | × floor (p50) |',
    '|---|---|---|---|---|',
    ...results.variants.map((v) => `| ${v.name} | ${fmt(v.ms.p50, 2)} | ${fmt(v.ms.p90, 2)} | ${fmt(v.kb, 1)} | ${fmt(v.ratio, 2)} |`),
  ].join('\n'),
);
writeResults(options.json, results);
