import { describe, expect, it } from 'vitest';
import { FrameBuffer, FrameBufferClosedError, type FrameInput } from '../src/index.ts';

function input(at: number, byte = 0): FrameInput {
  return { jpeg: new Uint8Array([0xff, 0xd8, byte, 0xff, 0xd9]), width: 4, height: 2, capturedAt: at, encodedAt: at, detections: [] };
}

describe('FrameBuffer', () => {
  it('numbers frames 1, 2, 3 and keeps only a short ring of recent ones', () => {
    const buffer = new FrameBuffer({ ringSize: 3 });
    expect(buffer.latest()).toBeUndefined();
    for (let i = 0; i < 5; i++) buffer.push(input(1000 + i, i));
    expect(buffer.latest()?.seq).toBe(5);
    expect(buffer.recent().map((f) => f.seq)).toEqual([3, 4, 5]);
    expect(buffer.stats()).toMatchObject({ frame_count: 5, buffer_size: 3 });
  });

  it('resolves next() on the next push, without polling', async () => {
    const buffer = new FrameBuffer();
    const waiting = buffer.next(0);
    expect(buffer.waiting).toBe(1);
    buffer.push(input(1, 7));
    const frame = await waiting;
    expect(frame.seq).toBe(1);
    expect(frame.jpeg[2]).toBe(7);
    expect(buffer.waiting).toBe(0);
  });

  it('gives a client that fell behind the newest frame at once, skipping the ones between', async () => {
    const buffer = new FrameBuffer();
    for (let i = 0; i < 4; i++) buffer.push(input(i));
    expect((await buffer.next(1)).seq).toBe(4);
  });

  it('keeps waiting when the client already has the newest frame', async () => {
    const buffer = new FrameBuffer();
    buffer.push(input(1));
    let settled = false;
    const waiting = buffer.next(1).then((f) => ((settled = true), f));
    await Promise.resolve();
    expect(settled).toBe(false);
    buffer.push(input(2));
    expect((await waiting).seq).toBe(2);
  });

  it('rejects next() with the abort reason and forgets the waiter', async () => {
    const buffer = new FrameBuffer();
    const controller = new AbortController();
    const waiting = buffer.next(0, controller.signal);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(buffer.waiting).toBe(0);
    await expect(buffer.next(0, controller.signal)).rejects.toThrow('client left');
  });

  it('wakes every waiter with FrameBufferClosedError on close', async () => {
    const buffer = new FrameBuffer();
    const a = buffer.next(0);
    const b = buffer.next(0);
    buffer.close();
    await expect(a).rejects.toBeInstanceOf(FrameBufferClosedError);
    await expect(b).rejects.toBeInstanceOf(FrameBufferClosedError);
    expect(() => buffer.push(input(1))).toThrow(FrameBufferClosedError);
  });

  it('reports the current frame rate over a sliding window, not the average since start', () => {
    let now = 0;
    const buffer = new FrameBuffer({ fpsWindowMs: 2000, now: () => now });
    // 10 s at 30 fps, then 4 s at 5 fps: the seed's since-start average would say ~22.
    for (; now < 10_000; now += 1000 / 30) buffer.push(input(now));
    expect(buffer.stats().fps).toBeCloseTo(30, 0);
    for (const end = now + 4000; now < end; now += 200) buffer.push(input(now));
    expect(buffer.stats().fps).toBeCloseTo(5, 0);
    expect(buffer.latest()!.fps).toBeCloseTo(5, 0);
  });

  it('lets fps fall to 0 when frames stop, and says when the last one came', () => {
    let now = 0;
    const buffer = new FrameBuffer({ now: () => now });
    expect(buffer.stats()).toEqual({ frame_count: 0, buffer_size: 0, fps: 0, last_update: null });
    for (; now < 3000; now += 100) buffer.push(input(now));
    const lastEncoded = buffer.latest()!.encodedAt;
    now += 1000;
    expect(buffer.stats().fps).toBeLessThan(10);
    expect(buffer.stats().fps).toBeGreaterThan(0);
    now += 5000;
    expect(buffer.stats().fps).toBe(0);
    expect(buffer.stats().last_update).toBe(new Date(lastEncoded).toISOString());
  });
});
