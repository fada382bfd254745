import { openFds, soakCameraRestarts, soakGarbageHttp, soakGarbageRtsp, soakShutdownUnderLoad, soakViewerChurn, startServer } from '@cctv/testbed';
import { describe, expect, it } from 'vitest';

// The short form of `bun bench/soak.ts` (20 restarts, 1000 viewers for 60 s): the same faults, fewer of them.
const log = (line: string) => console.log(line);

describe('fault soak (short form)', () => {
  it('follows a camera killed and restarted 5 times: back to Streaming within the backoff + 2 s, one decoder, fds back to where they were', async () => {
    const report = await soakCameraRestarts({ cycles: 5, log });
    expect(report.cycles).toHaveLength(5);
    for (const [i, cycle] of report.cycles.entries()) {
      expect(cycle.backMs, `restart ${i + 1}`).toBeLessThanOrEqual(cycle.allowedMs);
      expect(cycle.decoders, `restart ${i + 1}: decoder children`).toBe(1);
      // Counted in /api/status: at least one more reconnect per outage.
      expect(cycle.reconnects).toBeGreaterThan(report.cycles[i - 1]?.reconnects ?? 0);
    }
    expect(report.fdsEnd).toBeLessThanOrEqual(report.fdsStart + 2);
    expect(report.decodersLeft).toBe(0);
    expect(report.exitCode).toBe(0);
    expect(report.unhandled).toEqual([]);
  });

  it('keeps its memory while 200 viewers connect and drop for 15 s, and forgets every one of them', async () => {
    const server = await startServer({ camera_url: 'demo:320x240', target_fps: 10 });
    try {
      await server.waitForStatus((s) => s.status === 'Streaming');
      await Bun.sleep(500);
      const fdsBefore = openFds(server.pid);
      const report = await soakViewerChurn(server, { clients: 200, durationMs: 15_000, warmupMs: 3000, log });
      expect(report.connections).toBeGreaterThan(1000);
      expect(Math.abs(report.rssEnd - report.rssWarm) / report.rssWarm).toBeLessThanOrEqual(0.1);
      expect(report.rssAfter).toBeLessThanOrEqual(report.rssWarm * 1.1);
      expect(report.clientsAfter).toBe(0);
      expect(report.fdsAfter).toBeLessThanOrEqual(fdsBefore + 2);
      expect(report.unhandled).toEqual([]);
      // Still serving after all that.
      expect((await server.get('/api/status')).status).toBe('Streaming');
    } finally {
      const { code } = await server.stop();
      expect(code).toBe(0);
    }
  });

  it('says what is wrong with an RTSP "camera" that sends random bytes, and recovers when a real one answers', async () => {
    const report = await soakGarbageRtsp({ log });
    // Read in-process (@cctv/rtsp): the bytes are not RTSP, said as such rather than "closed the connection".
    expect(report.reason).toMatch(/not RTSP \(4096 unreadable bytes\)/);
    expect(report.recoveredMs).toBeLessThanOrEqual(report.allowedMs);
    expect(report.samePid).toBe(true);
    expect(report.decodersLeft).toBe(0);
    expect(report.unhandled).toEqual([]);
  });

  it('says what is wrong with an HTTP MJPEG camera that sends broken JPEGs, and recovers when good ones come', async () => {
    const report = await soakGarbageHttp({ log });
    expect(report.reason).toMatch(/codec parameters|Invalid data|unspecified size/i);
    expect(report.recoveredMs).toBeLessThanOrEqual(report.allowedMs);
    expect(report.samePid).toBe(true);
    expect(report.decodersLeft).toBe(0);
    expect(report.unhandled).toEqual([]);
  });

  it('exits within 2 s of SIGTERM under 200 viewers, ending their streams and taking its decoder with it', async () => {
    const report = await soakShutdownUnderLoad({ clients: 200, log });
    expect(report.exitCode).toBe(0);
    expect(report.exitMs).toBeLessThan(2000);
    expect(report.decodersLeft).toBe(0);
    expect(report.viewersEnded).toBe(200);
  });
});
