import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Courier, Outbox, retryDelay, type Failure, type OutboxItem } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'cctv-outbox-'));
let n = 0;
const file = () => join(dir, `nested/outbox-${n++}.sqlite`);

describe('the outbox (a real SQLite file)', () => {
  it('gives each destination its items oldest first, with attachments, independent of the others', () => {
    const outbox = new Outbox({ path: file(), maxEntries: 10 });
    outbox.add('sheets', { row: 1 });
    outbox.add('telegram', { text: 'a' }, new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
    outbox.add('sheets', { row: 2 });
    outbox.add('telegram', { text: 'b' });
    expect(outbox.peek('sheets', 10).map((i) => i.payload)).toEqual([{ row: 1 }, { row: 2 }]);
    const [first, second] = outbox.peek<{ text: string }>('telegram', 10);
    expect(first!.payload.text).toBe('a');
    expect([...first!.attachment!]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    expect(second!.attachment).toBeUndefined();
    outbox.delivered('sheets', [outbox.peek('sheets')[0]!.id]);
    expect(outbox.peek('sheets', 10).map((i) => i.payload)).toEqual([{ row: 2 }]);
    expect(outbox.queued('telegram')).toBe(2);
    expect(outbox.counter('sheets', 'delivered')).toBe(1);
    outbox.close();
  });

  it('is bounded: a full destination drops its oldest items, counts them, and keeps the newest in order', () => {
    const outbox = new Outbox({ path: file(), maxEntries: 3 });
    const drops = [1, 2, 3, 4, 5].map((i) => outbox.add('telegram', { i }).dropped);
    outbox.add('sheets', { i: 'other' });
    expect(drops).toEqual([0, 0, 0, 1, 1]);
    expect(outbox.peek('telegram', 10).map((i) => i.payload)).toEqual([{ i: 3 }, { i: 4 }, { i: 5 }]);
    expect(outbox.counter('telegram', 'dropped')).toBe(2);
    expect(outbox.counter('sheets', 'dropped')).toBe(0);
    outbox.close();
  });

  it('never drops the item being sent to make room', () => {
    const outbox = new Outbox({ path: file(), maxEntries: 2 });
    outbox.add('telegram', { i: 1 });
    outbox.add('telegram', { i: 2 });
    outbox.sending([outbox.peek('telegram')[0]!.id]);
    outbox.add('telegram', { i: 3 });
    expect(outbox.peek('telegram', 10).map((i) => i.payload)).toEqual([{ i: 1 }, { i: 3 }]);
    outbox.close();
  });

  it('survives a restart: queued items, attempts and counters are still there, and one in flight comes back uncertain', () => {
    const path = file();
    const before = new Outbox({ path, maxEntries: 2 });
    for (const i of [1, 2, 3]) before.add('sheets', { i });
    const [head] = before.peek('sheets');
    before.sending([head!.id]);
    // The process dies here, between sending and hearing back: nothing else is written.
    before.close();

    const after = new Outbox({ path, maxEntries: 2 });
    const items = after.peek('sheets', 10);
    expect(items.map((i) => i.payload)).toEqual([{ i: 2 }, { i: 3 }]);
    expect(items[0]).toMatchObject({ attempts: 1, uncertain: true });
    expect(items[1]).toMatchObject({ attempts: 0, uncertain: false });
    expect(after.counter('sheets', 'dropped')).toBe(1);
    after.delivered('sheets', items.map((i) => i.id));
    after.close();
    const again = new Outbox({ path, maxEntries: 2 });
    expect(again.queued('sheets')).toBe(0);
    expect(again.counter('sheets', 'delivered')).toBe(2);
    again.close();
  });

  it('keeps its folder and files (the database, -wal, -shm) to this user alone, whatever the umask, tightening an older file', () => {
    const previous = process.umask(0o002);
    try {
      const path = join(dir, `private-${n++}/deeper/outbox.sqlite`);
      const outbox = new Outbox({ path, maxEntries: 5 });
      outbox.add('telegram', { text: 'hello' });
      const mode = (file: string) => statSync(file).mode & 0o777;
      expect(mode(join(path, '..'))).toBe(0o700);
      expect(mode(join(path, '../..'))).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
      outbox.close();

      const older = join(dir, `older-${n++}.sqlite`);
      writeFileSync(older, '');
      chmodSync(older, 0o644);
      new Outbox({ path: older, maxEntries: 5 }).close();
      expect(mode(older)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('says which file it could not open', () => {
    expect(() => new Outbox({ path: '/proc/no-such/outbox.sqlite', maxEntries: 5 })).toThrow(/no-such/);
  });
});

describe('the courier', () => {
  it('delivers in order, retries the head with backoff until it passes, and nothing overtakes it', async () => {
    const outbox = new Outbox({ path: file(), maxEntries: 100 });
    const sent: number[] = [];
    let failuresLeft = 3;
    const failures: Failure[] = [];
    const courier = new Courier<{ i: number }>({
      outbox,
      destination: 'x',
      batchSize: 1,
      backoff: { initialMs: 10, maxMs: 40 },
      async send([item]) {
        if (item!.payload.i === 2 && failuresLeft-- > 0) throw new Error('service away');
        sent.push(item!.payload.i);
      },
      classify: (error) => ({ kind: 'retry', message: (error as Error).message, uncertain: false }),
      delivered: () => {},
      failed: (failure) => failures.push(failure),
    });
    for (const i of [1, 2, 3, 4]) outbox.add('x', { i });
    courier.start();
    for (let t = 0; sent.length < 4 && t < 200; t++) await Bun.sleep(10);
    await courier.stop();
    expect(sent).toEqual([1, 2, 3, 4]);
    expect(failures).toHaveLength(3);
    expect(outbox.queued('x')).toBe(0);
    outbox.close();
  });

  it('drops a rejected item and goes on; halts on a refusal and keeps the queue', async () => {
    const outbox = new Outbox({ path: file(), maxEntries: 100 });
    const sent: number[] = [];
    const courier = new Courier<{ i: number }>({
      outbox,
      destination: 'x',
      batchSize: 1,
      backoff: { initialMs: 10, maxMs: 40 },
      async send([item]) {
        if (item!.payload.i === 2) throw new Error('reject');
        if (item!.payload.i === 4) throw new Error('halt');
        sent.push(item!.payload.i);
      },
      classify: (error) => ({ kind: (error as Error).message as 'reject' | 'halt', message: (error as Error).message }),
      delivered: () => {},
      failed: () => {},
    });
    for (const i of [1, 2, 3, 4, 5]) outbox.add('x', { i });
    courier.start();
    for (let t = 0; !courier.halted && t < 200; t++) await Bun.sleep(10);
    expect(courier.halted).toBe(true);
    await Bun.sleep(50);
    await courier.stop();
    expect(sent).toEqual([1, 3]);
    expect(outbox.counter('x', 'rejected')).toBe(1);
    expect(outbox.peek<{ i: number }>('x', 10).map((i) => i.payload.i)).toEqual([4, 5]);
    outbox.close();
  });

  it('lets a request in flight finish on stop, so it is marked delivered and not sent again', async () => {
    const outbox = new Outbox({ path: file(), maxEntries: 100 });
    const seen: OutboxItem[] = [];
    const courier = new Courier({
      outbox,
      destination: 'x',
      batchSize: 5,
      backoff: { initialMs: 10, maxMs: 40 },
      async send(items) {
        seen.push(...items);
        await Bun.sleep(100);
      },
      classify: () => ({ kind: 'retry', message: 'x', uncertain: true }),
      delivered: () => {},
      failed: () => {},
    });
    outbox.add('x', { i: 1 });
    outbox.add('x', { i: 2 });
    courier.start();
    await Bun.sleep(20);
    await courier.stop();
    expect(seen).toHaveLength(2);
    expect(outbox.queued('x')).toBe(0);
    outbox.close();
  });

  it('backs off exponentially up to the cap', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelay(a, { initialMs: 100, maxMs: 1000 }, mid))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(retryDelay(1, { initialMs: 100, maxMs: 1000 }, () => 0)).toBe(80);
  });
});
