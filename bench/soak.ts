// Fault soak, the full form of tests/soak.test.ts, all on loopback: the RTSP camera killed and
// restarted N times, M viewers connecting and dropping for S seconds, cameras that send garbage
// (random bytes on an RTSP port; broken JPEGs from an HTTP MJPEG source), SIGTERM under L viewers.
// Prints each figure and a verdict per check; exits 1 when a check fails.
//   bun bench/soak.ts [--cycles 20] [--clients 1000] [--seconds 60] [--load 200] [--only restarts,churn,garbage,shutdown]
import { parseArgs } from 'node:util';
import { openFds, soakCameraRestarts, soakGarbageHttp, soakGarbageRtsp, soakShutdownUnderLoad, soakViewerChurn, startServer } from '@cctv/testbed';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    cycles: { type: 'string', default: '20' },
    clients: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    load: { type: 'string', default: '200' },
    only: { type: 'string', default: 'restarts,churn,garbage,shutdown' },
  },
  strict: true,
});
const only = new Set(values.only.split(','));
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)}  ${line}`);
const checks: Array<{ what: string; ok: boolean; figure: string }> = [];
const check = (what: string, ok: boolean, figure: string) => {
  checks.push({ what, ok, figure });
  log(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${figure}`);
};

if (only.has('restarts')) {
  const cycles = Number(values.cycles);
  log(`camera restarts: ${cycles}`);
  const report = await soakCameraRestarts({ cycles, log });
  const back = report.cycles.map((c) => c.backMs);
  const late = report.cycles.filter((c) => c.backMs > c.allowedMs);
  check(
    'back to Streaming within the backoff + 2 s',
    late.length === 0,
    `${cycles - late.length}/${cycles}; Streaming after the camera was back: min ${Math.min(...back)} / median ${back.toSorted((a, b) => a - b)[Math.floor(back.length / 2)]} / max ${Math.max(...back)} ms`,
  );
  check('one decoder while streaming', report.cycles.every((c) => c.decoders === 1), report.cycles.map((c) => c.decoders).join(' '));
  check('no decoder left after exit', report.decodersLeft === 0, `${report.decodersLeft}`);
  check('open fds back to baseline', report.fdsEnd <= report.fdsStart + 2, `${report.fdsStart} → ${report.fdsEnd}`);
  check('no unhandled rejection', report.unhandled.length === 0, report.unhandled.join(' | ') || 'none');
}

if (only.has('churn')) {
  const clients = Number(values.clients);
  const seconds = Number(values.seconds);
  log(`viewer churn: ${clients} viewers at a time for ${seconds} s`);
  const server = await startServer({ camera_url: 'demo:320x240', target_fps: 10 });
  try {
    await server.waitForStatus((s) => s.status === 'Streaming');
    await Bun.sleep(500);
    const fdsBefore = openFds(server.pid);
    const report = await soakViewerChurn(server, { clients, durationMs: seconds * 1000, warmupMs: 5000, log });
    const drift = (report.rssEnd - report.rssWarm) / report.rssWarm;
    check('RSS within ±10 % of where it started (after warm-up)', Math.abs(drift) <= 0.1, `${report.rssWarm.toFixed(1)} → ${report.rssEnd.toFixed(1)} MB (${(drift * 100).toFixed(1)} %), ${report.rssAfter.toFixed(1)} MB after; ${report.connections} connections`);
    check('every viewer forgotten', report.clientsAfter === 0, `${report.clientsAfter} left`);
    check('open fds back to baseline', report.fdsAfter <= fdsBefore + 2, `${fdsBefore} → ${report.fdsWarm} under load → ${report.fdsAfter}`);
    check('no unhandled rejection', report.unhandled.length === 0, report.unhandled.join(' | ') || 'none');
  } finally {
    await server.stop();
  }
}

if (only.has('garbage')) {
  for (const [name, run] of [
    ['RTSP port of random bytes', soakGarbageRtsp],
    ['HTTP MJPEG of broken JPEGs', soakGarbageHttp],
  ] as const) {
    log(`garbage camera: ${name}`);
    const report = await run({ log });
    check(`${name}: status names the error`, /not RTSP|Invalid data|codec parameters|unspecified size/i.test(report.reason), report.reason);
    check(`${name}: recovers when good data returns`, report.recoveredMs <= report.allowedMs && report.samePid, `Streaming ${report.recoveredMs} ms after (allowed ${report.allowedMs}), same process: ${report.samePid}`);
    check(`${name}: no decoder left, nothing unhandled`, report.decodersLeft === 0 && report.unhandled.length === 0, `decoders ${report.decodersLeft}; ${report.unhandled.join(' | ') || 'none unhandled'}`);
  }
}

if (only.has('shutdown')) {
  const clients = Number(values.load);
  log(`SIGTERM under ${clients} viewers`);
  const report = await soakShutdownUnderLoad({ clients, log });
  check('exit in < 2 s', report.exitMs < 2000 && report.exitCode === 0, `exit ${report.exitCode} in ${Math.round(report.exitMs)} ms`);
  check('children reaped', report.decodersLeft === 0, `decoders left ${report.decodersLeft}`);
  check('every viewer saw the end', report.viewersEnded === clients, `${report.viewersEnded}/${clients}`);
}

const failed = checks.filter((c) => !c.ok);
console.log(`\n${checks.length - failed.length}/${checks.length} checks passed${failed.length ? `; failed: ${failed.map((c) => c.what).join('; ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
