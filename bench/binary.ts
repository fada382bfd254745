// The one-file executables (docs/BINARY.md): what each weighs and what it is made of, and how long
// from starting it to the first served camera frame, with an empty cache (first run: sharp's
// libraries unpack) and a warm one, against `bun apps/server/src/main.ts` from source.
//   bun bench/binary.ts                  build both, then measure (5 warm starts each)
//   bun bench/binary.ts --skip-build --runs 10     (the ones already in dist/)
//   bun bench/binary.ts --targets linux-x64 --qemu-runs 0
// The arm64 executable is started under qemu-user when it is installed (emulated: its times say
// that it starts, not how fast a Raspberry Pi is).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeLoopbackPort, rssMb, SERVER_MAIN } from '@cctv/testbed';
import { buildBinary, megabytes, type BuiltBinary } from '../apps/server/scripts/build-binary.ts';
import type { TargetName } from '../apps/server/scripts/binary-packages.ts';
import { flags, fmt, machine, summarize, writeResults } from './lib.ts';

const options = flags({ 'skip-build': false, targets: 'linux-x64,linux-arm64', runs: '5', 'qemu-runs': '2' });
const REPO = resolve(import.meta.dirname, '..');
const TARGETS = options.targets.split(',').map((t) => t.trim()) as TargetName[];

interface Start {
  healthMs: number;
  firstFrameMs: number;
  rssMb: number;
}

/** What `--json FILE` holds. */
export interface BinaryResults {
  sizes: Array<{ target: TargetName; bytes: number; gzipBytes: number; parts: BuiltBinary['parts'] }>;
  starts: Array<{ label: string; cold: Start; warm: Start }>;
}

/** Starts `command` on the demo source and times /api/health and the first real frame (X-Frame-Seq ≥ 1; the status card before it is seq 0). */
async function timeStart(command: string[], env: Record<string, string>, cwd: string): Promise<Start> {
  const port = await freeLoopbackPort();
  const started = performance.now();
  const proc = Bun.spawn([...command, '--port', String(port)], { cwd, env: { ...env, CCTV_CAMERA_URL: 'demo:', CCTV_SERVER_HOST: '127.0.0.1' }, stdout: 'ignore', stderr: 'pipe' });
  try {
    const url = `http://127.0.0.1:${port}`;
    let healthMs = NaN;
    while (Number.isNaN(healthMs)) {
      if (proc.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
      if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) healthMs = performance.now() - started;
      else await Bun.sleep(5);
      if (performance.now() - started > 120_000) throw new Error(`${command.join(' ')}: no answer in 120 s`);
    }
    const reader = (await fetch(`${url}/api/stream/video`)).body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before a camera frame');
      text += new TextDecoder('latin1').decode(value);
      const seq = /X-Frame-Seq: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(text);
      if (seq && Number(seq[1]) >= 1) break;
      if (text.length > 4_000_000) text = text.slice(-100_000);
    }
    const firstFrameMs = performance.now() - started;
    void reader.cancel();
    return { healthMs, firstFrameMs, rssMb: rssMb(proc.pid) };
  } finally {
    proc.kill('SIGTERM');
    await proc.exited;
  }
}

/** A cold start (empty HOME, so nothing unpacked yet), then `runs` warm ones. */
async function measure(label: string, command: (exe: string) => string[], source: string | undefined, runs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-bench-binary-'));
  try {
    const home = join(dir, 'home');
    mkdirSync(home);
    let exe = '';
    if (source) {
      exe = join(dir, 'cctv-server');
      copyFileSync(source, exe);
    }
    const env = source ? { HOME: home, PATH: '/nonexistent' } : { HOME: home, PATH: process.env.PATH ?? '' };
    const cold = await timeStart(command(exe), env, dir);
    const warm: Start[] = [];
    for (let i = 0; i < runs; i++) warm.push(await timeStart(command(exe), env, dir));
    const result = {
      label,
      cold,
      warm: { healthMs: summarize(warm.map((s) => s.healthMs)).p50, firstFrameMs: summarize(warm.map((s) => s.firstFrameMs)).p50, rssMb: summarize(warm.map((s) => s.rssMb)).p50 },
    };
    console.log(
      `| ${label} | ${fmt(result.cold.healthMs)} / ${fmt(result.cold.firstFrameMs)} | ${fmt(result.warm.healthMs)} / ${fmt(result.warm.firstFrameMs)} | ${fmt(result.warm.rssMb)} |`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const built: BuiltBinary[] = [];
for (const target of TARGETS) {
  if (!options['skip-build']) built.push(await buildBinary(target));
  else {
    const path = join(REPO, 'dist', `cctv-server-${target}`);
    built.push({ target, path, bytes: Bun.file(path).size, sha256: '', parts: [] });
  }
}

const m = machine();
console.log(`\n## The executables (${m.cpu}, ${m.nproc} cores, Bun ${m.bun})\n`);
console.log('| executable | size | gzip -6 (download) | what it is made of |');
console.log('|---|---|---|---|');
const sizes = built.map((b) => {
  const gzip = Bun.gzipSync(readFileSync(b.path), { level: 6 }).length;
  const parts = b.parts.map((p) => `${p.name} ${megabytes(p.bytes)}`).join('; ') || '(built earlier: run without --skip-build)';
  console.log(`| \`dist/cctv-server-${b.target}\` | ${megabytes(b.bytes)} | ${megabytes(gzip)} | ${parts} |`);
  return { target: b.target, bytes: b.bytes, gzipBytes: gzip, parts: b.parts };
});

const runs = Number(options.runs);
console.log(`\n## Start-up on the demo source: ms to /api/health / to the first camera frame served (median of ${runs} warm starts)\n`);
console.log('| what | first run: empty cache | warm | RSS at first frame (MB) |');
console.log('|---|---|---|---|');
const starts = [];
starts.push(await measure('`bun apps/server/src/main.ts` (from source)', () => [process.execPath, SERVER_MAIN], undefined, runs));
const host = `linux-${process.arch}` as TargetName;
const native = built.find((b) => b.target === host);
if (native) starts.push(await measure(`\`cctv-server-${host}\``, (exe) => [exe], native.path, runs));
const qemu = Bun.which('qemu-aarch64-static');
const arm = built.find((b) => b.target === 'linux-arm64');
if (host === 'linux-x64' && arm && qemu && Number(options['qemu-runs']) > 0) {
  starts.push(await measure('`cctv-server-linux-arm64` under qemu-user (emulated)', (exe) => [qemu, exe], arm.path, Number(options['qemu-runs'])));
} else if (host === 'linux-x64' && arm && !qemu) {
  console.log('| `cctv-server-linux-arm64` | not run: qemu-user-static is not installed | | |');
}

const results: BinaryResults & { machine: typeof m } = { machine: m, sizes, starts };
writeResults(options.json, results);
