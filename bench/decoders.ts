// Where the camera → server latency goes: the measurable camera's H.264, received and decoded to
// raw RGB by (a) ffmpeg exactly as the server's capture runs it (@cctv/capture's ffmpegArgs), and (b) GStreamer's rtspsrc +
// avdec_h264 (the same libavcodec decoder, GStreamer's RTP depayloader). Latency = the frame
// arrives on the reader's pipe − the camera's H.264 encoder handed it on; the frame named by the
// stamp in its pixels. (b) needs gstreamer1.0-libav; it is skipped, with a note, without it.
//   bun bench/decoders.ts [--seconds 15] [--fps 15] [--json FILE]
import { ffmpegArgs, parseSource } from '@cctv/capture';
import { readStamp, startRtspCamera, type RtspCamera } from '@cctv/testbed';
import { flags, fmt, summarize, withCleanup, writeResults, type Summary } from './lib.ts';

const options = flags({ seconds: '15', fps: '15' });
const seconds = Number(options.seconds);
const fps = Number(options.fps);
const WIDTH = 1280;
const HEIGHT = 720;

export interface DecodersResults {
  seconds: number;
  fps: number;
  readers: Array<{ name: string; command: string; latency: Summary; note?: string }>;
}

/** Frames from a child's stdout (raw RGB), each timed on arrival and named by its stamp. */
async function measure(camera: RtspCamera, command: string[]): Promise<Summary> {
  const proc = Bun.spawn(command, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const size = WIDTH * HEIGHT * 3;
  const frame = new Uint8Array(size);
  let filled = 0;
  const latencies: number[] = [];
  // The clock starts at the first frame: start-up (probing, the first keyframe) is not measured.
  let stopAt = Infinity;
  const timer = setTimeout(() => proc.kill('SIGKILL'), seconds * 1000 + 30_000);
  try {
    for await (const chunk of proc.stdout) {
      for (let offset = 0; offset < chunk.byteLength; ) {
        const take = Math.min(chunk.byteLength - offset, size - filled);
        frame.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled < size) continue;
        filled = 0;
        const arrived = Date.now();
        if (stopAt === Infinity) stopAt = arrived + seconds * 1000;
        const stamp = readStamp({ data: frame, width: WIDTH, height: HEIGHT });
        const times = stamp && camera.frameTimes(stamp.seq);
        if (times) latencies.push(arrived - times.encodedAt);
      }
      if (Date.now() > stopAt) break;
    }
  } finally {
    clearTimeout(timer);
    proc.kill('SIGKILL');
    await proc.exited;
  }
  // The first second still catches up from start-up: not steady state.
  return summarize(latencies.slice(fps));
}

const results = await withCleanup(async (defer): Promise<DecodersResults> => {
  const camera = await startRtspCamera({ width: WIDTH, height: HEIGHT, fps, stamped: true });
  defer(() => camera.stop());
  const ffmpeg = ['ffmpeg', ...ffmpegArgs(parseSource(camera.url)).map((arg) => (arg === 'info' ? 'error' : arg))];
  const gst = ['gst-launch-1.0', '-q', 'rtspsrc', `location=${camera.url}`, 'latency=0', 'protocols=tcp', '!', 'rtph264depay', '!', 'avdec_h264', '!', 'videoconvert', '!', 'video/x-raw,format=RGB', '!', 'fdsink', 'fd=1', 'sync=false'];
  const readers: DecodersResults['readers'] = [{ name: "ffmpeg, as the server's capture runs it", command: ffmpeg.join(' '), latency: await measure(camera, ffmpeg) }];
  const hasLibav = Bun.spawnSync(['gst-inspect-1.0', 'avdec_h264'], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0;
  readers.push(
    hasLibav
      ? { name: 'GStreamer rtspsrc latency=0 + avdec_h264', command: gst.join(' '), latency: await measure(camera, gst) }
      : { name: 'GStreamer rtspsrc latency=0 + avdec_h264', command: gst.join(' '), latency: summarize([]), note: 'avdec_h264 missing (apt-get install gstreamer1.0-libav)' },
  );
  return { seconds, fps, readers };
});

console.log(
  [
    `### RTSP receive + H.264 decode (${results.seconds} s each, 1280×720 at ${results.fps} fps, frame interval ${fmt(1000 / results.fps, 1)} ms)`,
    '',
    'Camera H.264 out → the raw RGB frame arrives on the reader\'s pipe, by the stamp in its pixels.',
    '',
    '| reader | p50 (ms) | p90 | p99 | frames |',
    '|---|---|---|---|---|',
    ...results.readers.map((r) => `| ${r.name}${r.note ? ` (**not run**: ${r.note})` : ''} | ${fmt(r.latency.p50, 1)} | ${fmt(r.latency.p90, 1)} | ${fmt(r.latency.p99, 1)} | ${r.latency.n} |`),
    '',
    ...results.readers.map((r) => `- \`${r.command.replace(/rtsp:\/\/\S+/, 'rtsp://…')}\``),
  ].join('\n'),
);
writeResults(options.json, results);
