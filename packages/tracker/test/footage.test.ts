// The fixture clip through the real detector and the tracker: do ids hold, and does the counter
// count what a person counts by looking at the frames?
import { loadDetector } from '@cctv/detector';
import { requireFixtures } from '@cctv/testbed';
import { beforeAll, describe, expect, it } from 'vitest';
import { Counter, Tracker, type CountEvent, type TrackerFrame } from '../src/index.ts';

const fixtures = requireFixtures('video/people-720p.mp4', 'models/yolox_nano.onnx');
const [clipPath, modelPath] = fixtures ?? [];
const [WIDTH, HEIGHT, FPS] = [1280, 720, 15];
/** The clip cuts from the zidane.jpg zoom to the bus.jpg zoom at 6 s. */
const CUT = 6 * FPS;

/** Each frame of the clip as raw RGB, decoded by ffmpeg one at a time (the whole clip would be 500 MB). */
async function* clipFrames(path: string): AsyncGenerator<Uint8Array> {
  const size = WIDTH * HEIGHT * 3;
  const ffmpeg = Bun.spawn(['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdout: 'pipe', stderr: 'inherit' });
  let frame = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of ffmpeg.stdout) {
    for (let offset = 0; offset < chunk.length; ) {
      const take = Math.min(size - filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        yield frame;
        frame = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if ((await ffmpeg.exited) !== 0) throw new Error(`ffmpeg could not decode ${path}`);
}

describe.skipIf(!fixtures)('the fixture clip (people-720p.mp4) through YOLOX-Nano and the tracker', () => {
  const frames: TrackerFrame[] = [];
  const counted: CountEvent[] = [];
  let counter: Counter;

  beforeAll(async () => {
    // The detector reports boxes down to the tracker's lowThreshold (0.1), as ByteTrack needs.
    const detector = await loadDetector({ modelPath: modelPath!, confidence: 0.1 });
    const tracker = new Tracker();
    counter = new Counter({
      lines: [{ name: 'pavement', from: [456, 500], to: [456, 700], classes: ['person'] }],
      zones: [{ name: 'pavement', points: [[370, 540], [910, 540], [910, 720], [370, 720]], classes: ['person'] }],
    });
    try {
      let index = 0;
      for await (const rgb of clipFrames(clipPath!)) {
        const detections = await detector.detect({ data: rgb, width: WIDTH, height: HEIGHT });
        const frame = tracker.update(detections, (index++ * 1000) / FPS);
        frames.push(frame);
        counted.push(...counter.update(frame));
      }
    } finally {
      await detector.dispose();
    }
  });

  /** For each person track: the frames it was seen in. */
  function personTracks(from: number, to: number): Map<number, number[]> {
    const tracks = new Map<number, number[]>();
    frames.slice(from, to).forEach((frame, i) => {
      for (const o of frame.observations) if (o.className === 'person') tracks.set(o.trackId, [...(tracks.get(o.trackId) ?? []), from + i]);
    });
    return tracks;
  }

  it('decodes all 180 frames', () => {
    expect(frames).toHaveLength(12 * FPS);
  });

  it('first half (zidane.jpg): two people, two ids, each held to the cut', () => {
    // Looking at frames 0, 30 and 60 (ffmpeg -vf select, as PNG): two men, Zidane on the left
    // pointing and Ancelotti on the right, both cut off at the waist by the bottom of the frame.
    // YOLOX-Nano finds both at 0.72–0.89 in every frame, plus faint "persons" (0.10–0.34) in the
    // blurred crowd, which are below newTrackThreshold and never start a track.
    const tracks = personTracks(0, CUT);
    expect(tracks.size).toBe(2);
    for (const seen of tracks.values()) {
      expect(seen[0]).toBe(2); // confirmed on the 3rd frame (framesToConfirm 3)
      expect(seen.at(-1)).toBe(CUT - 1);
      expect(seen).toHaveLength(CUT - 2); // matched in every frame from then on
    }
  });

  it('second half (bus.jpg): three ids for the three people the detector is sure of, none carried over the cut', () => {
    // Looking at frames 90, 135 and 179: four people on the pavement in front of the bus: a man in
    // a beige coat (left), a man in a dark coat beside him, a man walking right at the right
    // edge (cut by the pillar-box), and, at the photo's left edge, a fourth person of whom only a
    // hand and a patterned sleeve show. The detector scores the first three 0.71–0.89 in every
    // frame and the fourth 0.10–0.48 (and, some frames, a second box on the dark coat's legs at
    // 0.10–0.38): low boxes, which by ByteTrack's rule never start a track. So three ids.
    const before = personTracks(0, CUT);
    const after = personTracks(CUT, frames.length);
    expect(after.size).toBe(3);
    for (const id of after.keys()) expect(before.has(id)).toBe(false);
    for (const seen of after.values()) {
      expect(seen[0]).toBe(CUT + 2);
      expect(seen.at(-1)).toBe(frames.length - 1);
      expect(seen).toHaveLength(frames.length - CUT - 2);
    }
    // The first half's tracks end once maxAge (1.5 s) has passed without them.
    const ends = frames.flatMap((f) => f.events.filter((e) => e.type === 'end' && e.track.className === 'person'));
    expect(ends.map((e) => e.track.trackId).sort()).toEqual([...before.keys()].sort());
  });

  it('counts the one crossing seen by eye: the beige coat’s feet, right to left over x = 456, `out`', () => {
    // How it was counted: frames 90, 105, 120, 135, 150, 165 and 179 cropped around his shoes
    // (x 370–550, y 565–635), tripled in size, the line drawn in red at x = 456, and the shoes'
    // edges read off. As the camera zooms in, his feet drift left: the gap between his shoes
    // is centred at x ≈ 464 in frame 90 (left shoe 405–441, right shoe 487–533), on the line at
    // frame ≈ 135, and at x ≈ 448 in frame 179 (left shoe 385–423, right shoe 473–525). Nobody
    // else's feet come near the line: the dark coat's stay at x ≈ 550, the walker's at ≈ 860–890,
    // the first half shows no feet. One crossing, right → left; d = (0, 200), right of the line
    // is the negative side, so right → left is negative → positive: `out`.
    // The counter decides on the box's bottom-centre (464.5 in frame 90, 445.5 in frame 179),
    // and waits until it is 8 px past the line for 2 frames: it counts in the 2nd half's last second.
    expect(counted.filter((e) => e.type === 'crossing')).toEqual([
      { type: 'crossing', line: 'pavement', direction: 'out', trackId: expect.any(Number), classId: 0, className: 'person', at: expect.any(Number) },
    ]);
    const crossing = counted.find((e) => e.type === 'crossing')!;
    expect(crossing.at).toBeGreaterThan((135 * 1000) / FPS);
    const beige = frames.at(-1)!.observations.find((o) => o.trackId === crossing.trackId)!;
    expect(beige.box.x1).toBeLessThan(400); // the leftmost of the three confident people
    expect(counter.snapshot().lines).toEqual({ pavement: { in: {}, out: { person: 1 } } });
  });

  it('the pavement zone holds the three people at the end', () => {
    expect(counter.occupancy()).toEqual({ pavement: { person: 3 } });
  });
});
