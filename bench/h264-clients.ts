// Live-video WebSocket viewers in their own process (started by bench/h264.ts): `count` viewers of
// one camera on /api/ws for `seconds`, each subscribed with `format` (h264: the camera's own
// access units; jpeg: JPEG frames); prints one JSON WsClientsResult on stdout. A viewer reads
// each message's header only (kind, seq, capture time), so the process costs little per byte.
// What a viewer gets at once when it subscribes (the units since the last keyframe, the frame the
// server had) counts in bytes, not in rates or latencies.
//   bun bench/h264-clients.ts --url ws://127.0.0.1:5001/api/ws --camera default --format h264 --count 100 --seconds 30
import { flags } from './lib.ts';

const options = flags({ url: '', camera: 'default', format: 'h264', count: '1', seconds: '10' });
const durationMs = Number(options.seconds) * 1000;
/** Latency samples kept in all (the rest are sampled evenly). */
const MAX_SAMPLES = 200_000;

export interface WsViewerSummary {
  /** Frames (JPEG) or access units (H.264) received. */
  frames: number;
  /** Frames per second, first to last. */
  fps: number;
  /** Bytes of binary messages received. */
  bytes: number;
  /** Seq numbers skipped (frames or units the server dropped for this viewer). */
  skipped: number;
}

export interface WsClientsResult {
  viewers: WsViewerSummary[];
  /** Received − capture time in the message (H.264: the server got the unit; JPEG: the decoded frame was in hand), ms; sampled when many. */
  latencies: number[];
  cpuSeconds: number;
}

interface Viewer {
  times: number[];
  latencies: number[];
  bytes: number;
  skipped: number;
}

function view(): Promise<Viewer> {
  const viewer: Viewer = { times: [], latencies: [], bytes: 0, skipped: 0 };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(options.url);
    ws.binaryType = 'arraybuffer';
    let lastSeq = 0;
    let subscribedAt = Infinity;
    ws.onopen = () => {
      subscribedAt = Date.now();
      ws.send(JSON.stringify({ type: 'subscribe', cameras: { [options.camera]: options.format === 'h264' ? { format: 'h264' } : {} } }));
      setTimeout(() => ws.close(), durationMs);
    };
    ws.onerror = () => reject(new Error(`cannot connect to ${options.url}`));
    ws.onclose = () => resolve(viewer);
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') return;
      const receivedAt = Date.now();
      const buffer = event.data as ArrayBuffer;
      viewer.bytes += buffer.byteLength;
      const bytes = new Uint8Array(buffer, 0, 2);
      const at = 2 + bytes[1]!;
      const view = new DataView(buffer);
      // Kind 1 (JPEG): seq, capture time. Kind 3 (access unit): seq, flags, media time, capture time. Kind 2: configuration.
      if (bytes[0] === 2) return;
      const seq = view.getUint32(at);
      const capturedAt = view.getFloat64(bytes[0] === 3 ? at + 13 : at + 4);
      if (lastSeq && seq > lastSeq + 1) viewer.skipped += seq - lastSeq - 1;
      lastSeq = seq;
      if (capturedAt < subscribedAt) return;
      viewer.times.push(receivedAt);
      viewer.latencies.push(receivedAt - capturedAt);
    };
  });
}

/** Connections opened per millisecond at the start, as bench/clients.ts opens them. */
const RAMP_PER_MS = 0.5;
const viewers = await Promise.all(Array.from({ length: Number(options.count) }, (_, i) => Bun.sleep(i / RAMP_PER_MS).then(view)));

const all = viewers.flatMap((v) => v.latencies);
const every = Math.max(1, Math.ceil(all.length / MAX_SAMPLES));
const usage = process.cpuUsage();
const result: WsClientsResult = {
  viewers: viewers.map((v) => ({
    frames: v.times.length,
    fps: v.times.length > 1 ? ((v.times.length - 1) * 1000) / (v.times.at(-1)! - v.times[0]!) : 0,
    bytes: v.bytes,
    skipped: v.skipped,
  })),
  latencies: all.filter((_, i) => i % every === 0),
  cpuSeconds: (usage.user + usage.system) / 1e6,
};
process.stdout.write(JSON.stringify(result));
