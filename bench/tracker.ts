// Tracker cost per detection frame: N people walking about a 1280×720 picture at 15 fps (80–240 px
// tall, each at its own speed up to one body height a second, ±3 px box noise, confidence around
// 0.6–0.95 with ±0.15 of noise so some boxes go to ByteTrack's second association, 5 % of boxes
// missed), for each N in turn. Times Tracker.update alone, then
// Counter.update on its result (two lines, one zone). Goal: under 1 ms per frame for 30 objects.
// "ids given" is N when no object ever lost its id; people here turn back instantly at the edges
// and walk through each other, which costs some. On a shared machine the tail is other processes:
// a frame that loses the CPU for one scheduler tick takes ~4 ms, whatever the tracker does.
// Then: how seldom may detection run? One person walking (0.8 body heights a second) or running
// (1.6) for 10 s, at each detection rate, with buffered IoU (the default) and plain IoU
// (ByteTrack's, bufferPerSecond 0): the ids given, and the frame the first one came.
//   bun bench/tracker.ts [--objects 10,30,100] [--frames 3000] [--json FILE]
import { Counter, Tracker, type Detection } from '@cctv/tracker';
import { flags, fmt, summarize, writeResults, type Summary } from './lib.ts';

const options = flags({ objects: '10,30,100', frames: '3000' });
const counts = options.objects.split(',').map(Number);
const frameCount = Number(options.frames);
const [WIDTH, HEIGHT, FRAME_MS] = [1280, 720, 1000 / 15];
const WARM_UP = 200;

export interface TrackerStep {
  objects: number;
  frames: number;
  /** Tracker.update, ms per frame. */
  track: Summary;
  /** Counter.update on the tracker's frame, ms. */
  count: Summary;
  /** Distinct track ids given out (N at best: each id switch or lost-and-found-anew adds one). */
  ids: number;
}

export interface RateStep {
  fps: number;
  /** Body heights per second. */
  speed: number;
  bufferPerSecond: number;
  ids: number;
  /** Index of the first frame with an id; -1: none. */
  firstIdFrame: number;
}

export interface TrackerResults {
  steps: TrackerStep[];
  rates: RateStep[];
}

/** Deterministic, so every run times the same scene. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function scene(objects: number, seed: number): () => Detection[] {
  const next = random(seed);
  const people = Array.from({ length: objects }, () => {
    const h = 80 + next() * 160;
    const perFrame = (h * FRAME_MS) / 1000;
    return { x: 40 + next() * (WIDTH - 80), y: 250 + next() * (HEIGHT - 250), vx: (next() - 0.5) * 2 * perFrame, vy: (next() - 0.5) * perFrame, h, confidence: 0.6 + next() * 0.35 };
  });
  return () => {
    const detections: Detection[] = [];
    for (const p of people) {
      p.x += p.vx;
      p.y += p.vy;
      if (p.x < 20 || p.x > WIDTH - 20) p.vx = -p.vx;
      if (p.y < p.h || p.y > HEIGHT) p.vy = -p.vy;
      if (next() < 0.05) continue;
      const [jitter, w] = [() => (next() - 0.5) * 6, p.h * 0.4];
      const confidence = Math.min(0.99, p.confidence + (next() - 0.5) * 0.3);
      detections.push({ classId: 0, className: 'person', confidence, box: { x1: p.x - w / 2 + jitter(), y1: p.y - p.h + jitter(), x2: p.x + w / 2 + jitter(), y2: p.y + jitter() } });
    }
    return detections;
  };
}

const steps: TrackerStep[] = [];
for (const objects of counts) {
  const nextFrame = scene(objects, 42 + objects);
  const tracker = new Tracker();
  const counter = new Counter({
    lines: [
      { name: 'door', from: [640, 0], to: [640, 720] },
      { name: 'kerb', from: [0, 500], to: [1280, 500] },
    ],
    zones: [{ name: 'counter', points: [[200, 300], [900, 300], [900, 700], [200, 700]] }],
  });
  const trackMs: number[] = [];
  const countMs: number[] = [];
  const ids = new Set<number>();
  for (let i = 0; i < WARM_UP + frameCount; i++) {
    const detections = nextFrame();
    const started = performance.now();
    const frame = tracker.update(detections, i * FRAME_MS);
    const tracked = performance.now();
    counter.update(frame);
    const counted = performance.now();
    if (i < WARM_UP) continue;
    trackMs.push(tracked - started);
    countMs.push(counted - tracked);
    for (const o of frame.observations) ids.add(o.trackId);
  }
  steps.push({ objects, frames: frameCount, track: summarize(trackMs), count: summarize(countMs), ids: ids.size });
}

const RATES = [15, 10, 7, 5, 4, 3, 2];
const rates: RateStep[] = [];
for (const speed of [0.8, 1.6]) {
  for (const bufferPerSecond of [1, 0]) {
    for (const fps of RATES) {
      const tracker = new Tracker({ bufferPerSecond });
      const next = random(9);
      const [h, w] = [160, 64];
      const ids = new Set<number>();
      let firstIdFrame = -1;
      for (let i = 0; i < fps * 10; i++) {
        const at = (i * 1000) / fps;
        const x = 100 + (speed * h * at) / 1000;
        const jitter = () => (next() - 0.5) * 6;
        const frame = tracker.update([{ classId: 0, className: 'person', confidence: 0.8, box: { x1: x - w / 2 + jitter(), y1: 400 - h + jitter(), x2: x + w / 2 + jitter(), y2: 400 + jitter() } }], at);
        const id = frame.detections[0]!.trackId;
        if (id === null) continue;
        ids.add(id);
        if (firstIdFrame < 0) firstIdFrame = i;
      }
      rates.push({ fps, speed, bufferPerSecond, ids: ids.size, firstIdFrame });
    }
  }
}

console.log(`### Tracker (${frameCount} frames per row after ${WARM_UP} warm-up, Bun ${Bun.version})\n`);
console.log('| objects | Tracker.update mean ms | p50 ms | p99 ms | max ms | Counter.update mean ms | p99 ms | ids given |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const s of steps) console.log(`| ${s.objects} | ${fmt(s.track.mean, 3)} | ${fmt(s.track.p50, 3)} | ${fmt(s.track.p99, 3)} | ${fmt(s.track.max, 2)} | ${fmt(s.count.mean, 3)} | ${fmt(s.count.p99, 3)} | ${s.ids} |`);
const cell = (speed: number, bufferPerSecond: number, fps: number) => {
  const r = rates.find((x) => x.speed === speed && x.bufferPerSecond === bufferPerSecond && x.fps === fps)!;
  return r.ids === 0 ? 'no id' : `${r.ids} id${r.ids > 1 ? 's' : ''} from frame ${r.firstIdFrame + 1}`;
};
console.log('\n### One person for 10 s at each detection rate: ids given (1 is right), buffered IoU vs plain\n');
console.log('| detections/s | walking, buffered | walking, plain | running, buffered | running, plain |');
console.log('|---:|---|---|---|---|');
for (const fps of RATES) console.log(`| ${fps} | ${cell(0.8, 1, fps)} | ${cell(0.8, 0, fps)} | ${cell(1.6, 1, fps)} | ${cell(1.6, 0, fps)} |`);
writeResults(options.json, { steps, rates } satisfies TrackerResults);
