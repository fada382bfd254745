// Where the camera → server latency goes: the measurable camera's H.264, received and decoded to
// raw RGB by the server's own capture (@cctv/capture's Capture) with each RTSP decoder: ffmpeg
// (ffmpegArgs) and GStreamer (gstreamerArgs: rtspsrc latency=0 + decodebin, frames on fd 3).
// Latency = the capture hands the frame on − the camera's H.264 encoder handed it on; the frame
// named by the stamp in its pixels. GStreamer needs gst-launch-1.0 and gstreamer1.0-libav; it is
// skipped, with a note, without them.
//   bun bench/decoders.ts [--seconds 15] [--fps 15] [--json FILE]
import { Capture, checkGstreamer, ffmpegArgs, gstreamerArgs, parseSource, type RawFrame } from '@cctv/capture';
import { childProcesses, readStamp, startRtspCamera, type RtspCamera } from '@cctv/testbed';
import { cpuMeter, flags, fmt, summarize, withCleanup, writeResults, type Summary } from './lib.ts';

const options = flags({ seconds: '15', fps: '15' });
const seconds = Number(options.seconds);
const fps = Number(options.fps);
const WIDTH = 1280;
const HEIGHT = 720;

export interface DecodersResults {
  seconds: number;
  fps: number;
  readers: Array<{ name: string; command: string; latency: Summary; firstFrameMs: number; cpuPercent: number; note?: string }>;
}

type Measured = Omit<DecodersResults['readers'][number], 'name' | 'command' | 'note'>;

/** Runs a Capture on the camera with one decoder; every frame timed on arrival and named by its stamp. */
async function measure(camera: RtspCamera, rtspDecoder: 'ffmpeg' | 'gstreamer'): Promise<Measured> {
  const latencies: number[] = [];
  let firstFrameAt: number | undefined;
  let frames = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const onFrame = (frame: RawFrame) => {
    firstFrameAt ??= frame.capturedAt;
    // The first second still catches up from start-up (probing, the first keyframe): not steady state.
    if (++frames <= fps) return;
    const stamp = readStamp(frame);
    const times = stamp && camera.frameTimes(stamp.seq);
    if (times) latencies.push(frame.capturedAt - times.encodedAt);
    if (frame.capturedAt - firstFrameAt > (seconds + 1) * 1000) resolveDone();
  };
  const capture = new Capture({ url: camera.url, targetFps: fps, rtspDecoder, onFrame });
  const startedAt = Date.now();
  capture.start();
  try {
    const timeout = setTimeout(resolveDone, seconds * 1000 + 30_000);
    // CPU of the decoder child over the steady state.
    while (frames <= fps && Date.now() - startedAt < 30_000) await Bun.sleep(20);
    const child = (await childProcesses()).filter((p) => p.command.includes(camera.url));
    const cpu = cpuMeter(() => child.map((p) => p.pid));
    await done;
    clearTimeout(timeout);
    const cpuPercent = cpu.stop();
    return { latency: summarize(latencies), firstFrameMs: firstFrameAt === undefined ? NaN : firstFrameAt - startedAt, cpuPercent };
  } finally {
    await capture.stop();
  }
}

const notRun: Measured = { latency: summarize([]), firstFrameMs: NaN, cpuPercent: NaN };

const results = await withCleanup(async (defer): Promise<DecodersResults> => {
  const camera = await startRtspCamera({ width: WIDTH, height: HEIGHT, fps, stamped: true });
  defer(() => camera.stop());
  const source = parseSource(camera.url);
  const readers: DecodersResults['readers'] = [
    { name: 'ffmpeg', command: ['ffmpeg', ...ffmpegArgs(source)].join(' '), ...(await measure(camera, 'ffmpeg')) },
  ];
  const gstreamer = await checkGstreamer(process.env.GST_LAUNCH_PATH || undefined);
  const gstCommand = ['gst-launch-1.0', ...gstreamerArgs(source)].join(' ');
  readers.push(
    'launch' in gstreamer
      ? { name: 'GStreamer', command: gstCommand, ...(await measure(camera, 'gstreamer')) }
      : { name: 'GStreamer', command: gstCommand, ...notRun, note: gstreamer.missing },
  );
  return { seconds, fps, readers };
});

console.log(
  [
    `### RTSP receive + H.264 decode by the server's capture (${results.seconds} s each, 1280×720 at ${results.fps} fps, frame interval ${fmt(1000 / results.fps, 1)} ms)`,
    '',
    "Camera H.264 out → Capture hands the raw RGB frame on, by the stamp in its pixels. First frame: Capture.start() → the first frame. CPU: the decoder child, % of one core.",
    '',
    '| decoder | p50 (ms) | p90 | p99 | frames | first frame (ms) | CPU % |',
    '|---|---|---|---|---|---|---|',
    ...results.readers.map(
      (r) =>
        `| ${r.name}${r.note ? ` (**not run**: ${r.note})` : ''} | ${fmt(r.latency.p50, 1)} | ${fmt(r.latency.p90, 1)} | ${fmt(r.latency.p99, 1)} | ${r.latency.n} | ${fmt(r.firstFrameMs)} | ${fmt(r.cpuPercent)} |`,
    ),
    '',
    ...results.readers.map((r) => `- \`${r.command.replace(/rtsp:\/\/\S+/, 'rtsp://…')}\``),
  ].join('\n'),
);
writeResults(options.json, results);
