// Latency from the camera to a viewer, read from the pixels: the measurable camera stamps each
// frame with its seq and the ms it was made; one viewer decodes every JPEG it gets (sharp) and
// reads the stamp back. Stages come from the camera's own log (when its H.264 encoder handed the
// frame on) and the server's part headers (X-Timestamp: decoded frame in hand; X-Encoded-At: JPEG
// ready). Floors on the same machine in the same run: ffmpeg decoding the same H.264 to raw RGB,
// and the server's JPEG encoder (@cctv/mjpeg) encoding the same frames at q65, one at a time.
// --source demo: the server's in-process `demo:1280x720?stamp` source instead of the camera, which
// leaves out the camera, RTSP and ffmpeg: the server's own pipeline and fan-out alone.
//   bun bench/latency.ts [--seconds 30] [--source rtsp|demo] [--scene video|pattern] [--detection] [--model PATH] [--json FILE]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, readMjpegParts, readStamp } from '@cctv/testbed';
import { createJpegEncoder } from '@cctv/mjpeg';
import sharp from 'sharp';
import { detectionNote as whyNoDetection, flags, fmt, startBenchCamera, startBenchServer, summarize, withCleanup, writeResults, type Summary } from './lib.ts';

const options = flags({ seconds: '30', source: 'rtsp', scene: 'video', detection: false, model: '', 'floor-frames': '150' });
const demo = options.source === 'demo';
const seconds = Number(options.seconds);
const floorFrames = Number(options['floor-frames']);

export interface LatencyResults {
  seconds: number;
  camera: string;
  source: 'rtsp' | 'demo';
  detection: boolean;
  /** Why detection was asked for but did not run, when so. */
  detectionNote?: string;
  /** The detector's rate and time per frame (/api/status), when it ran. */
  detectionStats?: { fps: number; detectMs: number };
  parts: number;
  /** Parts whose stamp did not decode (none expected). */
  unreadable: number;
  jpegKb: number;
  /** Camera made the frame (stamp) → viewer received it. */
  glassToGlass: Summary;
  /** Camera's H.264 encoder handed the frame on → viewer received it: the server's whole share. */
  server: Summary;
  stages: Record<'camera' | 'toCapture' | 'pipeline' | 'toViewer', Summary>;
  /** The pipeline's mean JPEG encode (ms), from /api/status. */
  encodeMs: number;
  /** What read the camera and encoded the JPEGs (/api/status camera.decoder, encoder.name). */
  decoder: string;
  encoder: string;
  floor: { decodeMs: number; encodeMs: number; encoder: string; frames: number };
}

const results = await withCleanup(async (defer) => {
  const { camera, description } = demo
    ? { camera: undefined, description: 'the in-process demo source (demo:1280x720?stamp), 15 fps: no camera, RTSP or ffmpeg' }
    : await startBenchCamera({ scene: options.scene });
  if (camera) defer(() => camera.stop());
  const model = options.model || fixturePath('models/yolox_nano.onnx') || 'models/yolox_nano.onnx';
  const config = options.detection ? { detection_enabled: true, model_path: model } : {};
  const server = await startBenchServer(camera?.url ?? 'demo:1280x720?stamp', config);
  let serverStopped = false;
  defer(async () => serverStopped || server.stop());
  const detectionNote = options.detection ? await whyNoDetection(server) : undefined;
  await Bun.sleep(2000);

  const { parts } = await readMjpegParts(`${server.url}/api/stream/video`, { durationMs: seconds * 1000, keepBodies: Infinity });
  const after = await server.get('/api/status');
  const encodeMs = after.encoder.encode_ms as number;
  const decoder = String(after.camera.decoder);
  const encoder = String(after.encoder.name);
  const detection = options.detection && after.detection ? { fps: after.detection.fps as number, detectMs: after.detection.detect_ms as number } : undefined;
  await server.stop();
  serverStopped = true;

  const glass: number[] = [];
  const whole: number[] = [];
  const stages = { camera: [] as number[], toCapture: [] as number[], pipeline: [] as number[], toViewer: [] as number[] };
  let unreadable = 0;
  let bytes = 0;
  /** Decoded frames kept for the encode floor of a demo run (no H.264 to take them from). */
  const decoded: Array<{ data: Uint8Array; width: number; height: number }> = [];
  // The first part is the frame the server had when the viewer connected: not a latency.
  for (const part of parts.slice(1)) {
    bytes += part.size;
    const { data, info } = await sharp(part.body).raw().toBuffer({ resolveWithObject: true });
    const stamp = readStamp({ data, width: info.width, height: info.height, channels: info.channels });
    if (!stamp) {
      unreadable++;
      continue;
    }
    if (demo && decoded.length < 30) decoded.push({ data, width: info.width, height: info.height });
    glass.push(part.receivedAt - stamp.timestamp);
    const capturedAt = Number(part.headers['x-timestamp']) * 1000;
    const encodedAt = Number(part.headers['x-encoded-at']) * 1000;
    if (!Number.isFinite(encodedAt)) continue;
    // The demo source draws the frame in the server: made = captured, no camera or decode stage.
    const times = camera ? camera.frameTimes(stamp.seq) : { stampedAt: stamp.timestamp, encodedAt: stamp.timestamp };
    if (!times) continue;
    whole.push(part.receivedAt - times.encodedAt);
    stages.camera.push(times.encodedAt - times.stampedAt);
    stages.toCapture.push(capturedAt - times.encodedAt);
    stages.pipeline.push(encodedAt - capturedAt);
    stages.toViewer.push(part.receivedAt - encodedAt);
  }

  const floor = camera ? await measureFloors(camera.url, floorFrames) : { decodeMs: 0, ...(await encodeFloor(decoded)), frames: decoded.length };
  return {
    seconds,
    camera: description,
    source: demo ? 'demo' : 'rtsp',
    detection: options.detection,
    ...(detectionNote ? { detectionNote } : {}),
    ...(detection ? { detectionStats: detection } : {}),
    parts: parts.length,
    unreadable,
    jpegKb: bytes / Math.max(1, parts.length - 1) / 1000,
    glassToGlass: summarize(glass),
    server: summarize(whole),
    stages: {
      camera: summarize(stages.camera),
      toCapture: summarize(stages.toCapture),
      pipeline: summarize(stages.pipeline),
      toViewer: summarize(stages.toViewer),
    },
    encodeMs,
    decoder,
    encoder,
    floor,
  } satisfies LatencyResults;
});

/**
 * Records `frames` frames of the camera's H.264, then times ffmpeg decoding them to raw RGB (as
 * the server's ffmpeg does: -flags low_delay, rgb24 out) and the server's encoder encoding them at q65.
 */
async function measureFloors(url: string, frames: number): Promise<LatencyResults['floor']> {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-bench-'));
  try {
    const clip = join(dir, 'clip.mkv');
    await run(['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', url, '-frames:v', String(frames), '-c', 'copy', clip]);
    // Looped three times so that ffmpeg's own start-up is spread thin; the best of three runs.
    const decodes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const stderr = await run(['ffmpeg', '-hide_banner', '-nostdin', '-benchmark', '-flags', 'low_delay', '-stream_loop', '2', '-i', clip, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', '/dev/null']);
      const rtime = Number(/rtime=([\d.]+)s/.exec(stderr)?.[1]);
      const decoded = Number([...stderr.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1] ?? frames * 3);
      decodes.push((rtime * 1000) / decoded);
    }
    // The encode floor on the same frames: the first 30, one at a time as the pipeline does.
    const sample = Math.min(30, frames);
    const raw = await runBytes(['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', clip, '-frames:v', String(sample), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const probe = await run(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', clip], 'stdout');
    const [width, height] = probe.trim().split(',').map(Number) as [number, number];
    const frameBytes = width * height * 3;
    const pictures = Array.from({ length: Math.floor(raw.byteLength / frameBytes) }, (_, i) => ({ data: raw.subarray(i * frameBytes, (i + 1) * frameBytes), width, height }));
    return { decodeMs: Math.min(...decodes), ...(await encodeFloor(pictures)), frames };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The server's JPEG encoder at q65, one frame at a time as the pipeline calls it: p50 ms (the first frame warms it up). */
async function encodeFloor(pictures: Array<{ data: Uint8Array; width: number; height: number }>): Promise<{ encodeMs: number; encoder: string }> {
  const { encoder } = await createJpegEncoder({ quality: 65 });
  const encodes: number[] = [];
  for (const [i, { data, width, height }] of pictures.entries()) {
    const started = performance.now();
    await encoder.encode(data, width, height);
    if (i > 0) encodes.push(performance.now() - started);
  }
  encoder.close();
  return { encodeMs: summarize(encodes).p50, encoder: encoder.name };
}

async function run(command: string[], read: 'stdout' | 'stderr' = 'stderr'): Promise<string> {
  const proc = Bun.spawn(command, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if ((await proc.exited) !== 0) throw new Error(`${command.join(' ')} failed: ${err.slice(-500)}`);
  return read === 'stdout' ? out : err;
}

async function runBytes(command: string[]): Promise<Uint8Array> {
  const proc = Bun.spawn(command, { stdin: 'ignore', stdout: 'pipe', stderr: 'inherit' });
  const bytes = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  if ((await proc.exited) !== 0) throw new Error(`${command.join(' ')} failed`);
  return bytes;
}

const r = results;
const row = (name: string, s: Summary) => `| ${name} | ${fmt(s.p50, 1)} | ${fmt(s.p90, 1)} | ${fmt(s.p99, 1)} |`;
const floorSum = r.floor.decodeMs + r.floor.encodeMs;
console.log(
  [
    `### Latency${r.source === 'demo' ? ', demo source' : ''} (${r.seconds} s, 1 viewer, detection ${r.detection ? 'on' : 'off'})`,
    '',
    `${r.camera}; ${r.parts} parts, ${r.unreadable} unreadable stamps, JPEG ~${fmt(r.jpegKb)} kB.${r.detectionNote ? ` **Detection did not run: ${r.detectionNote}.**` : ''}${r.detectionStats && !r.detectionNote ? ` Detection: ${fmt(r.detectionStats.fps, 1)} fps, ${fmt(r.detectionStats.detectMs, 1)} ms per frame.` : ''}`,
    '',
    '| ms | p50 | p90 | p99 |',
    '|---|---|---|---|',
    row('**camera → viewer** (stamp → received)', r.glassToGlass),
    ...(r.source === 'rtsp'
      ? [row('**server share** (camera H.264 out → received)', r.server), row('camera: draw → H.264 out', r.stages.camera), row(`RTSP + decode (${r.decoder}) → frame in the worker`, r.stages.toCapture)]
      : []),
    row(`pipeline: wait + ${r.detection ? 'detect + ' : ''}JPEG encode (${r.encoder}; encode alone ${fmt(r.encodeMs, 1)} mean)`, r.stages.pipeline),
    row('worker → FrameBuffer → socket → viewer', r.stages.toViewer),
    '',
    r.source === 'rtsp'
      ? `Floors, same machine, same run, same frames (${r.floor.frames} frames of the camera's H.264): ffmpeg decode to RGB ${fmt(r.floor.decodeMs, 1)} ms/frame, ${r.floor.encoder} q65 encode ${fmt(r.floor.encodeMs, 1)} ms/frame, sum ${fmt(floorSum, 1)} ms; server share p50 = ${fmt(r.server.p50 / floorSum, 2)} × floor.`
      : `Floor, same run, same frames (${r.floor.frames} received frames, decoded): ${r.floor.encoder} q65 encode ${fmt(r.floor.encodeMs, 1)} ms/frame; camera → viewer p50 = ${fmt(r.glassToGlass.p50 / floorSum, 2)} × floor.`,
  ].join('\n'),
);
writeResults(options.json, results);
