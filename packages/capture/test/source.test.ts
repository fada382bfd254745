import { describe, expect, it } from 'vitest';
import { backoffDelay, ffmpegArgs, parseSource, RawFrameAssembler, type RawFrame, SourceError, StderrParser } from '../src/index.ts';

describe('parseSource', () => {
  it.each([
    ['rtsp://admin:secret@10.0.0.5:554/stream1', 'rtsp', 'rtsp://admin:***@10.0.0.5:554/stream1'],
    ['rtsp://admin:p@ssw0rd99@10.0.0.21/s', 'rtsp', 'rtsp://admin:***@10.0.0.21/s'],
    ['rtsps://cam.local/live', 'rtsp', 'rtsps://cam.local/live'],
    ['http://user:pw@cam/mjpg/video.mjpg', 'http', 'http://user:***@cam/mjpg/video.mjpg'],
    ['https://cam/stream', 'http', 'https://cam/stream'],
    ['/dev/video0', 'v4l2', '/dev/video0'],
    ['./clips/yard.mp4', 'file', './clips/yard.mp4'],
    ['demo:', 'demo', 'demo:'],
  ])('reads %s as a %s source, shown as %s', (url, kind, redacted) => {
    const spec = parseSource(url);
    expect(spec.kind).toBe(kind);
    expect(spec.redacted).toBe(redacted);
  });

  it('takes a file:// URL as a path and demo:WxH as a size', () => {
    expect(parseSource('file:///srv/my%20clip.mp4')).toMatchObject({ kind: 'file', url: '/srv/my clip.mp4' });
    expect(parseSource('demo:640x360').size).toEqual({ width: 640, height: 360 });
    expect(parseSource('demo:').size).toEqual({ width: 1280, height: 720 });
  });

  it('refuses what it cannot play, saying what it expected and never showing the password', () => {
    expect(() => parseSource('')).toThrow(SourceError);
    expect(() => parseSource('ftp://u:hunter2@host/x')).toThrow(/unsupported camera_url scheme in "ftp:\/\/u:\*\*\*@host\/x"/);
    expect(() => parseSource('demo:big')).toThrow(/expected demo: or demo:WIDTHxHEIGHT/);
    expect(() => parseSource('demo:641x361')).toThrow(/even width and height/);
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s up to a 60 s cap', () => {
    const exact = { jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((a) => backoffDelay(a, exact))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });

  it('spreads retries by ±20 % so cameras do not retry in lockstep', () => {
    expect(backoffDelay(3, { random: () => 0 })).toBe(3200);
    expect(backoffDelay(3, { random: () => 1 })).toBe(4800);
    expect(backoffDelay(10, { random: () => 1 })).toBe(60000);
  });
});

describe('ffmpeg arguments', () => {
  it('asks for TCP and low delay from RTSP cameras, real-time looping for files, raw RGB out', () => {
    const rtsp = ffmpegArgs(parseSource('rtsp://cam/1')).join(' ');
    expect(rtsp).toContain('-analyzeduration 500000 -rtsp_transport tcp -fflags nobuffer -flags low_delay -i rtsp://cam/1');
    expect(rtsp).toMatch(/-f rawvideo -pix_fmt rgb24 pipe:1$/);
    expect(ffmpegArgs(parseSource('/clips/a.mp4')).join(' ')).toContain('-re -stream_loop -1 -i /clips/a.mp4');
    expect(ffmpegArgs(parseSource('/dev/video2')).join(' ')).toContain('-f v4l2 -i /dev/video2');
  });
});

describe('StderrParser on what ffmpeg really prints', () => {
  async function runFfmpeg(args: string[]): Promise<StderrParser> {
    const seen: string[] = [];
    const parser = new StderrParser((facts) => seen.push(JSON.stringify(facts)));
    const proc = Bun.spawn(['ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', ...args], { stdout: 'ignore', stderr: 'pipe' });
    for await (const chunk of proc.stderr) parser.push(chunk);
    parser.end();
    await proc.exited;
    return parser;
  }

  it('finds the input, then the raw output size', async () => {
    const parser = await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=5', '-frames:v', '2', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    expect(parser.facts.connected).toBe(true);
    expect(parser.facts.size).toEqual({ width: 320, height: 240 });
  });

  it('keeps the reason a camera could not be reached, with the password hidden', async () => {
    const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const port = server.port;
    server.stop(true);
    const parser = await runFfmpeg(['-rtsp_transport', 'tcp', '-i', `rtsp://admin:hunter2@127.0.0.1:${port}/x`, '-f', 'null', '-']);
    expect(parser.facts.connected).toBe(false);
    expect(parser.facts.lastError).toMatch(/Connection refused/i);
    expect(parser.recent.join('\n')).not.toContain('hunter2');
  });

  it('keeps the reason a file is missing', async () => {
    const parser = await runFfmpeg(['-i', '/nonexistent/clip.mp4', '-f', 'null', '-']);
    expect(parser.facts.lastError).toMatch(/No such file or directory/);
  });
});

describe('RawFrameAssembler', () => {
  function feed(targetFps: number, arrivalsMs: number[]): number[] {
    const kept: number[] = [];
    const assembler = new RawFrameAssembler(2, 1, targetFps, (frame) => kept.push(frame.capturedAt));
    const realNow = Date.now;
    try {
      for (const at of arrivalsMs) {
        Date.now = () => at;
        assembler.push(new Uint8Array(6));
      }
    } finally {
      Date.now = realNow;
    }
    return kept;
  }

  it('cuts the byte stream into whole frames, across chunk boundaries', () => {
    const frames: Uint8Array[] = [];
    const assembler = new RawFrameAssembler(2, 2, 10, (frame) => frames.push(frame.data));
    const realNow = Date.now;
    let now = 0;
    Date.now = () => (now += 100);
    try {
      assembler.push(Uint8Array.from({ length: 10 }, (_, i) => i));
      assembler.push(Uint8Array.from({ length: 20 }, (_, i) => 10 + i));
    } finally {
      Date.now = realNow;
    }
    expect(frames).toHaveLength(2);
    expect([...frames[0]!]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect([...frames[1]!]).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
  });

  it('reuses a released frame buffer for a later frame, never one still held, packed or padded', () => {
    for (const rowBytes of [6, 8]) {
      const frames: RawFrame[] = [];
      const assembler = new RawFrameAssembler(2, 2, 10, (frame) => frames.push(frame), rowBytes);
      const realNow = Date.now;
      let now = 0;
      Date.now = () => (now += 100);
      const next = (value: number) => {
        assembler.push(new Uint8Array(rowBytes * 2).fill(value));
        return frames.at(-1)!;
      };
      try {
        const first = next(1);
        const second = next(2);
        expect(second.data.buffer).not.toBe(first.data.buffer);
        first.release!();
        first.release!(); // twice is once
        const third = next(3);
        const fourth = next(4);
        // The released buffer came back (once), now with its new frame's pixels; the held one did not.
        expect([third.data.buffer, fourth.data.buffer].filter((buffer) => buffer === first.data.buffer)).toHaveLength(1);
        expect([third, fourth].every((frame) => frame.data.buffer !== second.data.buffer)).toBe(true);
        expect([...second.data]).toEqual(Array(12).fill(2));
        expect([...third.data]).toEqual(Array(12).fill(3));
        expect([...fourth.data]).toEqual(Array(12).fill(4));
      } finally {
        Date.now = realNow;
      }
    }
  });

  it('keeps every frame of a jittery camera at the target rate', () => {
    const arrivals = Array.from({ length: 150 }, (_, i) => 1000 + i * (1000 / 15) + (i % 2 ? 18 : -18));
    expect(feed(15, arrivals)).toHaveLength(150);
  });

  it('halves a camera at twice the target rate, and thins 25 fps to 15', () => {
    expect(feed(15, Array.from({ length: 300 }, (_, i) => 1000 + i * (1000 / 30)))).toHaveLength(150);
    const from25 = feed(15, Array.from({ length: 250 }, (_, i) => 1000 + i * 40)).length;
    expect(from25).toBeGreaterThanOrEqual(148);
    expect(from25).toBeLessThanOrEqual(152);
  });

  it('passes every frame of a slower camera', () => {
    expect(feed(15, Array.from({ length: 50 }, (_, i) => 1000 + i * 100))).toHaveLength(50);
  });
});
