import { readdirSync } from 'node:fs';
import net from 'node:net';
import { childProcesses, listProcesses, type ProcessInfo } from './processes.ts';
import { freeLoopbackPort, startRtspCamera } from './rtsp-camera.ts';
import { rssMb, startServer, type RunningServer } from './server.ts';

/**
 * Fault soaks against the real server, all on loopback: a camera that dies and returns, viewers
 * that come and go by the hundred, cameras that send garbage, and SIGTERM under load. Each
 * returns its figures; `tests/soak.test.ts` runs short forms and checks them, `bench/soak.ts`
 * runs the long ones and prints them.
 */

export type SoakLog = (line: string) => void;

/** Open file descriptors of a process (sockets, pipes, files). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** What the server's own log says went unhandled (main.ts logs both). */
function unhandled(server: RunningServer): string[] {
  return server.output().split('\n').filter((line) => /unhandled rejection|uncaught exception/.test(line));
}

/** The server's camera decoders: ffmpeg, or gst-launch-1.0 (they read the camera from the server on a pipe, so no URL tells them apart). */
const DECODER = /(^|\/)(ffmpeg|gst-launch-1\.0) /;

async function decodersOf(pid: number): Promise<ProcessInfo[]> {
  return (await childProcesses(pid)).filter((c) => DECODER.test(c.command));
}

/** Stops the server and waits until the decoders it had are gone (the kernel may take a moment to reap); how many are left. */
async function stopAndCountDecodersLeft(server: RunningServer, signal?: NodeJS.Signals, waitMs = 3000): Promise<{ left: number; code: number | null; ms: number }> {
  const decoders = await decodersOf(server.pid);
  const stopped = await server.stop(signal);
  const alive = () => listProcesses().filter((p) => decoders.some((d) => d.pid === p.pid && d.command === p.command));
  const deadline = Date.now() + waitMs;
  let left = alive();
  while (left.length && Date.now() < deadline) {
    await Bun.sleep(100);
    left = alive();
  }
  return { left: left.length, ...stopped };
}

/** Several samples a little apart, their median: one RSS reading is noisy (GC, page reclaim). */
async function rssMedian(pid: number, samples = 5, gapMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssMb(pid));
    if (i < samples - 1) await Bun.sleep(gapMs);
  }
  return values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

export interface RestartCycle {
  /** From killing the camera until the status left Streaming. */
  noticedMs: number;
  /** From the camera being back (reachable, with video to give) until the status said Streaming. */
  backMs: number;
  /** What `backMs` may be: the backoff still to wait when the camera came back (from `camera.next_attempt_at`), plus 2 s. */
  allowedMs: number;
  reconnects: number;
  /** Decoder children (ffmpeg or gst-launch-1.0) of the server once streaming again (1 is right). */
  decoders: number;
}

export interface CameraRestartReport {
  cycles: RestartCycle[];
  fdsStart: number;
  fdsEnd: number;
  /** The server's decoder processes still alive after it stopped. */
  decodersLeft: number;
  exitCode: number | null;
  unhandled: string[];
}

/**
 * A TCP port in front of the camera that the test opens and closes: closed while the camera is
 * "off", opened once it has video to give. GStreamer's test camera builds its encoder for its
 * first client (a cold start of 1–2 s, and a race when two clients ask at once) that a real
 * camera coming back after a power cut does not have; behind this port the server never sees it.
 */
function cameraPort(port: number, target: number) {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  return {
    open(): Promise<void> {
      server = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        track(client);
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      return new Promise((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      const closing = server;
      server = undefined;
      return new Promise((resolve) => (closing ? closing.close(() => resolve()) : resolve()));
    },
  };
}

/** Kills the RTSP camera `cycles` times and brings it back on the same address; the server must follow each time. */
export async function soakCameraRestarts(options: { cycles: number; log?: SoakLog }): Promise<CameraRestartReport> {
  const log = options.log ?? (() => {});
  const camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
  const port = await freeLoopbackPort();
  const front = cameraPort(port, camera.port);
  await front.open();
  const server = await startServer({ camera_url: `rtsp://127.0.0.1:${port}/stream` });
  const cycles: RestartCycle[] = [];
  try {
    await server.waitForStatus((s) => s.status === 'Streaming', 30_000);
    await Bun.sleep(1000);
    const fdsStart = openFds(server.pid);
    for (let i = 0; i < options.cycles; i++) {
      // Power cut: the connection drops and the address stops answering.
      const killedAt = Date.now();
      await front.close();
      await camera.stop();
      await server.waitForStatus((s) => s.status !== 'Streaming', 15_000);
      const noticedMs = Date.now() - killedAt;
      // Power back: the camera boots (its encoder warmed by a viewer of ours), then answers.
      await camera.restart();
      const watcher = await watchCamera(camera.url);
      await front.open();
      const backAt = Date.now();
      // The latest backoff deadline seen while waiting: an attempt that failed just before the
      // camera returned schedules the next one, and the server may rightly wait for it.
      let due = backAt;
      let status: { status: string; camera: { since: string; next_attempt_at: string | null; reconnects: number } } | undefined;
      const deadline = Date.now() + 90_000;
      try {
        for (;;) {
          status = await server.get('/api/status').catch(() => undefined);
          if (status?.camera.next_attempt_at) due = Math.max(due, Date.parse(status.camera.next_attempt_at));
          if (status?.status === 'Streaming') break;
          if (Date.now() > deadline) throw new Error(`camera restart ${i + 1}: not Streaming after 90 s: ${JSON.stringify(status)}`);
          await Bun.sleep(50);
        }
      } finally {
        watcher.kill();
        await watcher.exited;
      }
      // When Streaming began by the server's own clock (same machine), not when our poll saw it.
      const cycle = { noticedMs, backMs: Date.parse(status.camera.since) - backAt, allowedMs: Math.max(0, due - backAt) + 2000, reconnects: status.camera.reconnects, decoders: (await decodersOf(server.pid)).length };
      cycles.push(cycle);
      log(`restart ${i + 1}/${options.cycles}: noticed in ${noticedMs} ms; Streaming ${cycle.backMs} ms after the camera was back (allowed ${cycle.allowedMs}: backoff + 2 s); reconnects ${cycle.reconnects}, decoders ${cycle.decoders}`);
    }
    await Bun.sleep(1000);
    const fdsEnd = openFds(server.pid);
    const { code, left } = await stopAndCountDecodersLeft(server);
    return { cycles, fdsStart, fdsEnd, decodersLeft: left, exitCode: code, unhandled: unhandled(server) };
  } finally {
    await server.stop().catch(() => {});
    await front.close();
    await camera.stop();
  }
}

/** An ffmpeg that watches the camera (decoding, discarding), returned once it has decoded a frame. */
async function watchCamera(url: string): Promise<Bun.Subprocess> {
  const proc = Bun.spawn(['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'info', '-rtsp_transport', 'tcp', '-i', url, '-map', '0:v:0', '-f', 'null', '-'], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
  // One reader for the process's life: it keeps draining stderr after the first frame, or a full pipe would stall ffmpeg.
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  const firstFrame = new Promise<void>((resolve) => {
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return resolve();
        if (seen.length < 100_000) seen += decoder.decode(value, { stream: true });
        // Output #0 is printed once the first frame is decoded (the output is set up from it).
        if (/Output #0/.test(seen)) resolve();
      }
    })().catch(() => resolve());
  });
  await Promise.race([firstFrame, Bun.sleep(20_000)]);
  return proc;
}

export interface ChurnReport {
  connections: number;
  /** Connections that did not get `HTTP/1.1 200` before they were dropped. */
  refused: number;
  /** Server RSS (MB), the median of the first seconds of churn after warm-up. */
  rssWarm: number;
  /** The median of the last seconds of churn. */
  rssEnd: number;
  /** Server RSS after the churn stopped and the viewers were gone. */
  rssAfter: number;
  /** Viewers the server still counts after everyone left (0 is right). */
  clientsAfter: number;
  fdsWarm: number;
  fdsAfter: number;
  unhandled: string[];
}

/**
 * `clients` viewers at a time, each staying 0.1–2 s and then dropping (mid-frame, abruptly),
 * replaced at once; some read at full rate, some capped with ?fps=, some never read (a stalled
 * phone). RSS is taken after `warmupMs`, at the end while still churning, and after all left.
 */
export async function soakViewerChurn(server: RunningServer, options: { clients: number; durationMs: number; warmupMs?: number; path?: string; log?: SoakLog }): Promise<ChurnReport> {
  const log = options.log ?? (() => {});
  const path = options.path ?? '/api/stream/video';
  let connections = 0;
  let refused = 0;
  let stop = false;
  const visit = (): Promise<void> =>
    new Promise((resolve) => {
      connections++;
      const kind = Math.random();
      const query = kind < 0.5 ? `?fps=${1 + Math.floor(Math.random() * 5)}` : '';
      const socket = net.connect(server.port, '127.0.0.1');
      let head = '';
      const done = () => {
        clearTimeout(timer);
        if (!head.startsWith('HTTP/1.1 200')) refused++;
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(done, 100 + Math.random() * 1900);
      socket.on('connect', () => socket.write(`GET ${path}${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
      socket.on('data', (chunk) => {
        if (head.length < 12) head += chunk.toString('latin1', 0, 12);
        // A tenth never read past the first bytes: the server sees a full socket, then a reset.
        if (kind > 0.9) socket.pause();
      });
      socket.on('error', () => {});
      socket.on('close', done);
    });
  const runners = Array.from({ length: options.clients }, async () => {
    while (!stop) await visit();
  });
  const warmupMs = options.warmupMs ?? 3000;
  await Bun.sleep(warmupMs);
  const fdsWarm = openFds(server.pid);
  log(`churn: warm after ${warmupMs} ms: ${fdsWarm} fds, ${connections} connections so far`);
  // RSS swings with the garbage collector under this load (±10 % within seconds): compare the
  // median of the first few seconds after warm-up with the median of the last few.
  const samples: Array<[number, number]> = [];
  const sampler = setInterval(() => samples.push([Date.now(), rssMb(server.pid)]), 250);
  const started = Date.now();
  while (Date.now() - started < options.durationMs) {
    await Bun.sleep(Math.min(5000, options.durationMs - (Date.now() - started)));
    log(`churn: ${Math.round((Date.now() - started) / 1000)} s: RSS ${rssMb(server.pid).toFixed(1)} MB, ${openFds(server.pid)} fds, ${connections} connections`);
  }
  clearInterval(sampler);
  const windowMs = Math.min(5000, options.durationMs / 4);
  const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const rssWarm = median(samples.filter(([t]) => t - started <= windowMs).map(([, v]) => v));
  const rssEnd = median(samples.filter(([t]) => Date.now() - t <= windowMs).map(([, v]) => v));
  stop = true;
  await Promise.all(runners);
  // The server notices each reset within a write or a keepalive; give it that long.
  let status = await server.get('/api/status');
  const deadline = Date.now() + 10_000;
  while (status.stream.clients > 0 && Date.now() < deadline) {
    await Bun.sleep(200);
    status = await server.get('/api/status');
  }
  await Bun.sleep(1000);
  const rssAfter = await rssMedian(server.pid);
  const fdsAfter = openFds(server.pid);
  log(`churn: done: ${connections} connections (${refused} refused); RSS warm ${rssWarm.toFixed(1)} → end ${rssEnd.toFixed(1)} → after ${rssAfter.toFixed(1)} MB; fds ${fdsWarm} → ${fdsAfter}; viewers left ${status.stream.clients}`);
  return { connections, refused, rssWarm, rssEnd, rssAfter, clientsAfter: status.stream.clients, fdsWarm, fdsAfter, unhandled: unhandled(server) };
}

export interface GarbageReport {
  /** The status reason while the camera sent garbage. */
  reason: string;
  /** From good data being available until Streaming. */
  recoveredMs: number;
  allowedMs: number;
  /** The server process was the same one throughout. */
  samePid: boolean;
  decodersLeft: number;
  unhandled: string[];
}

/** Waits for Streaming after good data returned; the allowance is the backoff then pending, plus `slackMs`. */
async function recovery(server: RunningServer, since: number, slackMs: number): Promise<{ recoveredMs: number; allowedMs: number }> {
  let due = since;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const status = await server.get('/api/status').catch(() => undefined);
    if (status?.camera.next_attempt_at) due = Math.max(due, Date.parse(status.camera.next_attempt_at));
    if (status?.status === 'Streaming') return { recoveredMs: Date.parse(status.camera.since) - since, allowedMs: due - since + slackMs };
    if (Date.now() > deadline) throw new Error(`no recovery within 90 s: ${JSON.stringify(status)}`);
    await Bun.sleep(50);
  }
}

/** An "RTSP camera" that answers every connection with random bytes and hangs up; then a real camera on the same port. */
export async function soakGarbageRtsp(options: { log?: SoakLog } = {}): Promise<GarbageReport> {
  const log = options.log ?? (() => {});
  const port = await freeLoopbackPort();
  const garbage = Bun.listen({
    hostname: '127.0.0.1',
    port,
    socket: {
      open(socket) {
        socket.write(crypto.getRandomValues(new Uint8Array(4096)));
        setTimeout(() => socket.end(), 100);
      },
      data() {},
      error() {},
    },
  });
  const server = await startServer({ camera_url: `rtsp://127.0.0.1:${port}/stream` });
  let camera: Awaited<ReturnType<typeof startRtspCamera>> | undefined;
  try {
    const pid = server.pid;
    const bad = await server.waitForStatus((s) => s.status === 'Reconnecting' && !!s.camera.reason, 20_000);
    log(`garbage RTSP: ${bad.status}: ${bad.camera.reason}`);
    garbage.stop(true);
    camera = await startRtspCamera({ width: 640, height: 360, fps: 15, port });
    const back = await recovery(server, Date.now(), 3000);
    log(`garbage RTSP: good camera back: Streaming after ${back.recoveredMs} ms (allowed ${back.allowedMs})`);
    const { left } = await stopAndCountDecodersLeft(server);
    return { reason: bad.camera.reason, ...back, samePid: server.pid === pid, decodersLeft: left, unhandled: unhandled(server) };
  } finally {
    garbage.stop(true);
    await server.stop().catch(() => {});
    await camera?.stop();
  }
}

/** JPEG frames made by ffmpeg's test source, for an HTTP MJPEG camera. */
async function testJpegs(count: number): Promise<Uint8Array[]> {
  const proc = Bun.spawn(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-frames:v', String(count), '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '5', 'pipe:1'], {
    stdout: 'pipe',
    stderr: 'ignore',
  });
  const bytes = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  await proc.exited;
  const frames: Uint8Array[] = [];
  let start = 0;
  for (let i = 2; i < bytes.length - 1; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) {
      frames.push(bytes.slice(start, i + 2));
      start = i + 2;
    }
  }
  return frames;
}

/**
 * An HTTP MJPEG camera that first sends broken multipart (truncated JPEGs, then a hang-up), then
 * good frames at the same URL: the server must say what is wrong, and recover by itself.
 */
export async function soakGarbageHttp(options: { log?: SoakLog } = {}): Promise<GarbageReport> {
  const log = options.log ?? (() => {});
  const frames = await testJpegs(30);
  let good = false;
  const encoder = new TextEncoder();
  const source = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch() {
      let n = 0;
      const sendsGood = good;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await Bun.sleep(66);
          if (!sendsGood && n >= 10) return controller.close();
          const frame = frames[n % frames.length]!;
          // Broken: JPEGs cut off inside their headers, or random bytes, each with a Content-Length that admits it.
          const part = sendsGood ? frame : n % 3 === 2 ? crypto.getRandomValues(new Uint8Array(2000)) : frame.subarray(0, 200);
          n++;
          controller.enqueue(encoder.encode(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${part.length}\r\n\r\n`));
          controller.enqueue(part);
          controller.enqueue(encoder.encode('\r\n'));
        },
      });
      return new Response(body, { headers: { 'content-type': 'multipart/x-mixed-replace; boundary=frame' } });
    },
  });
  const server = await startServer({ camera_url: `http://user:pass-${source.port}@127.0.0.1:${source.port}/video.mjpg` });
  try {
    const pid = server.pid;
    const bad = await server.waitForStatus((s) => s.status === 'Reconnecting' && !!s.camera.reason, 20_000);
    log(`garbage HTTP MJPEG: ${bad.status}: ${bad.camera.reason}`);
    good = true;
    const back = await recovery(server, Date.now(), 3000);
    log(`garbage HTTP MJPEG: good frames: Streaming after ${back.recoveredMs} ms (allowed ${back.allowedMs})`);
    const { left } = await stopAndCountDecodersLeft(server);
    return { reason: bad.camera.reason, ...back, samePid: server.pid === pid, decodersLeft: left, unhandled: unhandled(server) };
  } finally {
    await server.stop().catch(() => {});
    source.stop(true);
  }
}

export interface ShutdownReport {
  clients: number;
  exitMs: number;
  exitCode: number | null;
  /** The server's decoder processes still alive once it had exited. */
  decodersLeft: number;
  /** Viewers whose connection the server ended (they saw the end of the stream). */
  viewersEnded: number;
}

/** SIGTERM while `clients` viewers watch a real RTSP camera: the server must exit fast and take its decoder with it. */
export async function soakShutdownUnderLoad(options: { clients: number; log?: SoakLog }): Promise<ShutdownReport> {
  const log = options.log ?? (() => {});
  const camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
  const server = await startServer({ camera_url: camera.url });
  const sockets: net.Socket[] = [];
  try {
    await server.waitForStatus((s) => s.status === 'Streaming', 30_000);
    let ended = 0;
    for (let i = 0; i < options.clients; i++) {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('connect', () => socket.write('GET /api/stream/video HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => ended++);
      sockets.push(socket);
    }
    await server.waitForStatus((s) => s.stream.clients >= options.clients, 20_000);
    log(`shutdown: ${options.clients} viewers watching; SIGTERM`);
    const { code, ms, left: decodersLeft } = await stopAndCountDecodersLeft(server, 'SIGTERM', 2000);
    await Bun.sleep(200);
    log(`shutdown: exit ${code} in ${Math.round(ms)} ms; decoders left ${decodersLeft}; ${ended} viewers saw the end`);
    return { clients: options.clients, exitMs: ms, exitCode: code, decodersLeft, viewersEnded: ended };
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop().catch(() => {});
    await camera.stop();
  }
}
