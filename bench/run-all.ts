// Every bench, one after another, each in its own process with its own camera and server; then one
// markdown report: the machine, the command, each bench's table and the goals, met or not.
//   bun bench/run-all.ts                     full run (~40 min: latency 30 s, decoders 2 × 20 s, fan-out 4 × 30 s, slow client 2 × 30 s, memory 10 min, tracker ~10 s, many cameras ~15 min)
//   bun bench/run-all.ts --quick             a few minutes, short durations (figures are rougher)
//   bun bench/run-all.ts --only latency,encode --detection --docs
// --out FILE (default bench/results/latest.md, the JSON results beside it); --docs also puts the report into docs/BENCHMARKS.md:
// the many-cameras bench between its `bench:cameras` markers, the others between `bench:results`
// (each block only when one of its benches ran, so `--only cameras --docs` leaves the rest as it was).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { CamerasResults } from './cameras.ts';
import type { DecodersResults } from './decoders.ts';
import type { EncodeResults } from './encode.ts';
import type { FanoutResults } from './fanout.ts';
import type { LatencyResults } from './latency.ts';
import { flags, fmt, machine } from './lib.ts';
import type { MemoryResults } from './memory.ts';
import type { SlowClientResults } from './slow-client.ts';
import type { TrackerResults } from './tracker.ts';

const ALL = ['encode', 'latency', 'decoders', 'fanout', 'slow-client', 'memory', 'tracker', 'cameras'] as const;
type BenchName = (typeof ALL)[number];

const options = flags({
  quick: false,
  only: ALL.join(','),
  detection: false,
  model: '',
  scene: 'video',
  seconds: '',
  clients: '',
  minutes: '',
  out: resolve(import.meta.dirname, 'results/latest.md'),
  docs: false,
});
const quick = options.quick;
const seconds = options.seconds || (quick ? '8' : '30');
const only = options.only.split(',').map((s) => s.trim()) as BenchName[];
for (const name of only) if (!ALL.includes(name)) throw new Error(`--only ${name}: expected some of ${ALL.join(', ')}`);

const scene = ['--scene', options.scene];
const detection = options.detection ? ['--detection', ...(options.model ? ['--model', options.model] : [])] : [];
const args: Record<BenchName, string[]> = {
  encode: quick ? ['--frames', '30', '--rounds', '2'] : ['--frames', '90', '--rounds', '3'],
  latency: ['--seconds', seconds, ...scene],
  decoders: ['--seconds', quick ? '6' : '20'],
  fanout: ['--seconds', seconds, '--clients', options.clients || '10,100,500,1000', ...scene],
  'slow-client': ['--seconds', seconds, ...scene],
  memory: ['--minutes', options.minutes || (quick ? '1' : '10'), ...detection, ...scene],
  tracker: quick ? ['--frames', '600'] : [],
  // Its own cameras (the fixture clip over RTSP, no encoding) and detection share with the fixture model (or --model).
  cameras: [...(quick ? ['--cameras', '1,4', '--settle', '3'] : []), '--seconds', seconds, ...(options.model ? ['--model', options.model] : [])],
};
/** The blocks of docs/BENCHMARKS.md, between `bench:<block>` markers, and the benches each reports. */
const BLOCKS = { results: ALL.filter((name) => name !== 'cameras'), cameras: ['cameras'] } as const satisfies Record<string, readonly BenchName[]>;

const dir = mkdtempSync(join(tmpdir(), 'cctv-bench-'));
const sections: Array<{ name: BenchName; markdown: string }> = [];
const results: Partial<Record<BenchName | 'latencyDemo' | 'latencyDetection', unknown>> = {};
const commands: Array<{ name: BenchName; command: string }> = [];
const before = machine();
const startedAt = new Date();

async function run(name: BenchName, extra: string[] = [], key: string = name): Promise<void> {
  const json = join(dir, `${key}.json`);
  const command = [process.execPath, resolve(import.meta.dirname, `${name}.ts`), ...args[name], ...extra, '--json', json];
  commands.push({ name, command: `bun bench/${name}.ts ${[...args[name], ...extra].join(' ')}` });
  console.error(`\n==> ${commands.at(-1)!.command}`);
  const started = performance.now();
  const proc = Bun.spawn(command, { stdout: 'pipe', stderr: 'inherit' });
  const markdown = await new Response(proc.stdout).text();
  const code = await proc.exited;
  console.error(`<== ${name}: exit ${code} after ${fmt((performance.now() - started) / 1000)} s`);
  if (code !== 0) {
    sections.push({ name, markdown: `### ${name}\n\n**Failed** (exit ${code}):\n\n\`\`\`\n${markdown.slice(-2000)}\n\`\`\`` });
    return;
  }
  sections.push({ name, markdown: markdown.trim() });
  results[key as BenchName] = JSON.parse(readFileSync(json, 'utf8'));
}

try {
  for (const name of only) {
    await run(name);
    // The in-process demo source: the server's own share alone, no camera, RTSP or ffmpeg.
    if (name === 'latency') await run('latency', ['--source', 'demo'], 'latencyDemo');
    if (name === 'latency' && options.detection) await run('latency', detection, 'latencyDetection');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const after = machine();
const busy = [before, after].some((m) => Number(m.loadavg.split(' ')[0]) > before.nproc * 0.5);

/** The report of some of the benches that ran: the machine, the commands, the goals, the tables. */
function report(names: readonly BenchName[]): string {
  const ran = (name: BenchName) => names.includes(name);
  return [
    `Run ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${before.nproc} × ${before.cpu}, ${before.ramGb} GB RAM, Linux ${before.kernel}, Bun ${before.bun}. Load average before ${before.loadavg}, after ${after.loadavg}${busy ? ' (**other work was using the CPU: figures are noisy**)' : ''}.`,
    '',
    `Command: \`bun run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (${quick ? 'quick: short durations' : 'full durations'}), which ran:`,
    '',
    ...commands.filter((c) => ran(c.name)).map((c) => `- \`${c.command}\``),
    '',
    '#### Goals',
    '',
    '| goal | measured | met? |',
    '|---|---|---|',
    ...goals(names),
    '',
    ...sections.filter((s) => ran(s.name)).flatMap((s) => [s.markdown, '']),
  ].join('\n');
}

const blocks = Object.entries(BLOCKS).filter(([, names]) => names.some((name) => only.includes(name)));
const full = blocks.map(([, names]) => report(names)).join('\n');
mkdirSync(dirname(options.out), { recursive: true });
writeFileSync(options.out, full);
// Every figure, not just the tables: each bench's JSON results, beside the report.
const json = `${options.out.replace(/\.md$/, '')}.json`;
writeFileSync(json, JSON.stringify(results, null, 2));
console.log(full);
console.error(`\nwritten to ${options.out} and ${json}`);
if (options.docs) {
  const docs = resolve(import.meta.dirname, '../docs/BENCHMARKS.md');
  let text = readFileSync(docs, 'utf8');
  for (const [block, names] of blocks) {
    const start = `<!-- bench:${block}:start -->`;
    const end = `<!-- bench:${block}:end -->`;
    if (!text.includes(start) || !text.includes(end)) throw new Error(`${docs} lacks the ${start} … ${end} markers`);
    text = `${text.slice(0, text.indexOf(start) + start.length)}\n${report(names)}\n${text.slice(text.indexOf(end))}`;
  }
  writeFileSync(docs, text);
  console.error(`and into ${docs} (${blocks.map(([block]) => `bench:${block}`).join(', ')})`);
}

/** The goals of the benches named, met or not, as table rows. */
function goals(names: readonly BenchName[]): string[] {
  const rows: string[] = [];
  /** A bench's results when it is one of `names` (latency's demo and detection runs belong to latency). */
  const pick = (key: keyof typeof results): unknown => (names.includes(key === 'latencyDemo' || key === 'latencyDetection' ? 'latency' : key) ? results[key] : undefined);
  const yes = (ok: boolean) => (ok ? 'met' : '**not met**');
  const latency = pick('latency') as LatencyResults | undefined;
  if (latency) {
    const floor = latency.floor.decodeMs + latency.floor.encodeMs;
    rows.push(
      `| latency p50, detection off ≤ 1.5 × (decode + encode floor) | server share p50 ${fmt(latency.server.p50)} ms vs 1.5 × ${fmt(floor, 1)} = ${fmt(1.5 * floor, 1)} ms (camera → viewer p50 ${fmt(latency.glassToGlass.p50)} ms) | ${yes(latency.server.p50 <= 1.5 * floor)} |`,
    );
  }
  const demo = pick('latencyDemo') as LatencyResults | undefined;
  if (demo) {
    rows.push(`| … the same with the in-process demo source (no camera, RTSP, ffmpeg) ≤ 1.5 × encode floor | p50 ${fmt(demo.glassToGlass.p50)} ms vs 1.5 × ${fmt(demo.floor.encodeMs, 1)} = ${fmt(1.5 * demo.floor.encodeMs, 1)} ms | ${yes(demo.glassToGlass.p50 <= 1.5 * demo.floor.encodeMs)} |`);
  }
  const withDetection = pick('latencyDetection') as LatencyResults | undefined;
  if (withDetection) {
    rows.push(`| latency with detection on (reported) | camera → viewer p50 ${fmt(withDetection.glassToGlass.p50)} ms, server share p50 ${fmt(withDetection.server.p50)} ms${withDetection.detectionNote ? ` (**detection did not run**: ${withDetection.detectionNote})` : ''} | – |`);
  }
  const decoders = pick('decoders') as DecodersResults | undefined;
  if (decoders) {
    rows.push(`| (reported) RTSP receive + decode, camera H.264 out → raw frame | ${decoders.readers.map((r) => `${r.name}: p50 ${fmt(r.latency.p50, 1)} ms`).join('; ')} | – |`);
  }
  const fanout = pick('fanout') as FanoutResults | undefined;
  if (fanout) {
    // "Full rate": every viewer at ≥ 95 % of the camera's 15 fps. (Whether the viewers kept up with
    // what the server itself got, when that was less, is told apart in the measured column.)
    const full = fanout.steps.filter((s) => s.fpsMin >= 0.95 * 15);
    const best = Math.max(0, ...full.map((s) => s.clients));
    const keptUp = fanout.steps.filter((s) => s.fpsMin >= 0.95 * s.serverFps).map((s) => s.clients);
    rows.push(
      `| ≥ 500 viewers at the full camera rate (every viewer ≥ 95 % of 15 fps) | largest step at full rate: ${best || 'none'} (min fps per step: ${fanout.steps.map((s) => `${s.clients}: ${fmt(s.fpsMin, 1)} of ${fmt(s.serverFps, 1)} in`).join(', ')}); every viewer kept up with the server's own input at ${keptUp.length ? keptUp.join(', ') : 'no step'} | ${yes(best >= 500)} |`,
    );
    const thousand = fanout.steps.find((s) => s.clients === 1000);
    rows.push(`| at 1000 viewers RSS ≤ 300 MB | ${thousand ? `${fmt(thousand.rssPeakMb)} MB peak` : 'no 1000-viewer step run'} | ${thousand ? yes(thousand.rssPeakMb <= 300) : '–'} |`);
  }
  const slow = pick('slow-client') as SlowClientResults | undefined;
  if (slow) {
    const growth = slow.withSlow.rssMaxMb - slow.alone.rssMaxMb;
    rows.push(`| one slow viewer changes the others' fps and latency by ≤ 5 % | fps ${fmt(slow.fpsChangePct, 1)} %, latency p50 ${fmt(slow.latencyChangePct, 1)} % | ${yes(Math.abs(slow.fpsChangePct) <= 5 && Math.abs(slow.latencyChangePct) <= 5)} |`);
    rows.push(`| … and RSS stays flat (max with the slow viewer ≤ max without + 5 MB) | ${fmt(slow.alone.rssMaxMb)} → ${fmt(slow.withSlow.rssMaxMb)} MB (${growth >= 0 ? '+' : ''}${fmt(growth, 1)}) | ${yes(growth <= 5)} |`);
  }
  const memory = pick('memory') as MemoryResults | undefined;
  if (memory) {
    if (memory.withModelMb !== undefined) {
      rows.push(`| RSS with one camera and the model loaded ≤ 150 MB | ${fmt(memory.withModelMb)} MB${memory.detectionNote ? ` (**detection did not run**: ${memory.detectionNote})` : ''} | ${memory.detectionNote ? '–' : yes(memory.withModelMb <= 150)} |`);
    } else {
      rows.push(`| RSS with one camera and the model loaded ≤ 150 MB | model not loaded (run with --detection); one camera without it: ${fmt(memory.oneCameraMb)} MB | ${memory.oneCameraMb > 150 ? '**not met** even without the model' : '–'} |`);
    }
    rows.push(`| no leak under ${memory.clients} viewers (reported) | RSS slope ${fmt(memory.soak.slopeMbPerMin, 2)} MB/min over ${memory.minutes} min (${fmt(memory.soak.secondHalfSlopeMbPerMin, 2)} in the second half) | – |`);
  }
  const encode = pick('encode') as EncodeResults | undefined;
  if (encode) {
    const current = encode.variants[0]!;
    const fastest = [...encode.variants].sort((a, b) => a.ms.p50 - b.ms.p50)[0]!;
    rows.push(`| JPEG encode ≤ 1.3 × the libjpeg-turbo floor (reported) | the server's encoder (${encode.server}): ${fmt(current.ms.p50, 2)} ms = ${fmt(current.ratio, 2)} × floor; fastest: ${fastest.name} ${fmt(fastest.ms.p50, 2)} ms | ${Number.isFinite(current.ratio) ? yes(current.ratio <= 1.3) : '–'} |`);
  }
  const tracker = pick('tracker') as TrackerResults | undefined;
  const thirty = tracker?.steps.find((step) => step.objects === 30);
  if (thirty) {
    rows.push(`| tracker < 1 ms a frame for 30 objects | Tracker.update p50 ${fmt(thirty.track.p50, 3)} ms, p99 ${fmt(thirty.track.p99, 3)} ms; Counter.update p50 ${fmt(thirty.count.p50, 3)} ms; ${thirty.ids} ids for 30 people | ${yes(thirty.track.p50 + thirty.count.p50 < 1)} |`);
  }
  const cameras = pick('cameras') as CamerasResults | undefined;
  if (cameras) {
    const fullRate = 0.95 * 15;
    const minFps = (values: number[]) => (values.length ? Math.min(...values) : NaN);
    const largest = cameras.steps.at(-1);
    const atFull = cameras.steps.filter((s) => minFps(s.watched.viewerFps) >= fullRate).map((s) => s.cameras);
    if (largest) {
      rows.push(
        `| ${largest.cameras} cameras × 720p 15 fps H.264, one viewer each: every viewer ≥ 95 % of 15 fps | min / median viewer fps per step: ${cameras.steps.map((s) => `${s.cameras}: ${fmt(minFps(s.watched.viewerFps), 1)} / ${fmt([...s.watched.viewerFps].sort((a, b) => a - b)[Math.floor(s.watched.viewerFps.length / 2)], 1)}`).join(', ')}; every viewer at full rate up to ${atFull.length ? Math.max(...atFull) : 'no step'} | ${yes(largest.cameras >= 16 && minFps(largest.watched.viewerFps) >= fullRate)} |`,
      );
      const unwatchedCpu = largest.unwatched.serverCpu + largest.unwatched.decodersCpu;
      const watchedCpu = largest.watched.serverCpu + largest.watched.decodersCpu;
      const encodedUnwatched = cameras.steps.reduce((n, s) => n + s.unwatched.framesEncoded.reduce((a, b) => a + b, 0), 0);
      // Per frame taken in: what either costs whatever rate a saturated machine allowed.
      const msPerFrame = (w: CamerasResults['steps'][number]['watched']) => ((w.serverCpu + w.decodersCpu) * 10) / w.captureFps.reduce((a, b) => a + b, 0);
      rows.push(
        `| a camera nobody watches encodes nothing; ${largest.cameras} unwatched cost clearly less CPU than ${largest.cameras} watched (≤ 80 %) | JPEGs encoded while unwatched, all steps: ${encodedUnwatched}; CPU (server + decoders) at ${largest.cameras}: unwatched ${fmt(unwatchedCpu)} %, watched ${fmt(watchedCpu)} % (${fmt((unwatchedCpu / watchedCpu) * 100)} %); per frame taken in ${fmt(msPerFrame(largest.unwatched), 1)} against ${fmt(msPerFrame(largest.watched), 1)} ms | ${yes(encodedUnwatched === 0 && unwatchedCpu <= 0.8 * watchedCpu)} |`,
      );
    }
    const rss = cameras.rssPerCameraMb;
    rows.push(
      `| ≤ 15 MB RSS per camera added (detection off), at ${cameras.steps.map((s) => s.cameras).join(', ')} cameras | server RSS slope: watched ${fmt(rss.watched, 1)} MB, unwatched ${fmt(rss.unwatched, 1)} MB per camera (cameras never answering: ${fmt(rss.notAnswering, 1)}); each decoder child adds ${fmt(rss.decoderRssEach, 1)} MB RSS (${fmt(rss.decoderPssEach, 1)} MB PSS) in a process of its own | ${yes(rss.watched <= 15 && rss.unwatched <= 15)} |`,
    );
    const d = cameras.detection;
    if (d) {
      const n = d.shared.detectionFps.length;
      const withMin = minFps(d.shared.viewerFps);
      const withoutMin = minFps(d.withoutDetection.viewerFps);
      rows.push(
        `| detection on ${n} cameras: each camera's rate within ±20 % of the others, their sum ≥ 80 % of one camera alone, no camera's video rate drops | ${d.shared.detectionFps.map((f) => fmt(f, 1)).join(' / ')} detections/s (±${fmt(d.spreadPct)} %), sum ${fmt(d.sumOfAlonePct)} % of ${fmt(d.alone.detectionFps[0], 1)}/s alone; viewer fps min ${fmt(withMin, 1)} against ${fmt(withoutMin, 1)} with detection off | ${yes(d.spreadPct <= 20 && d.sumOfAlonePct >= 80 && withMin >= 0.95 * withoutMin)} |`,
      );
    }
    const f = cameras.failure;
    if (f) {
      rows.push(
        // A rise is the CPU the dead camera no longer uses, on a machine that was short of it: no harm done.
        `| one camera failing lowers no other camera's fps (by > 5 %) | ${f.before.viewerFps.length - 1} others' viewer fps before → after: ${f.before.viewerFps.slice(0, -1).map((fps, i) => `${fmt(fps, 1)} → ${fmt(f.after.viewerFps[i], 1)}`).join(', ')} (largest fall ${fmt(f.othersMaxDropPct, 1)} %, largest change ${fmt(f.othersMaxChangePct, 1)} %) | ${yes(f.othersMaxDropPct <= 5)} |`,
      );
    }
  }
  return rows;
}
