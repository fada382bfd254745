/**
 * `bun run build:binary [linux-x64] [linux-arm64]`: the server as one executable per target,
 * dist/cctv-server-<target>, with Bun's runtime, the dashboard, and the native libraries of sharp
 * and ONNX Runtime inside. How the native parts work from inside is in docs/BINARY.md.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { buildInfo, type BuildInfo } from '../src/binary/build-info.ts';
import { binaryPlugin, embedLibrary, type LibraryToEmbed } from './binary-plugin.ts';
import { bunRuntime, nativeLibraries, REPO, TARGETS, type TargetName } from './binary-packages.ts';

const SERVER_SRC = join(REPO, 'apps/server/src');
const MAIN = join(SERVER_SRC, 'main.ts');
/**
 * Every file the server starts as a Worker: an executable carries only the entrypoints it was
 * built with. They are laid out flat at the executable's root, where every bundled module also
 * finds itself (import.meta.url), so `new Worker(new URL('./worker.ts', import.meta.url))` from a
 * module beside the Worker's file resolves to it. checkWorkers() refuses a build that breaks this.
 */
const WORKERS = [...['pipeline/worker.ts', 'pipeline/detection-worker.ts'].map((path) => join(SERVER_SRC, path)), join(REPO, 'packages/capture/src/frame-pipe-reader.ts')];

export interface BuiltBinary {
  target: TargetName;
  path: string;
  bytes: number;
  sha256: string;
  /** What the size is made of: Bun's runtime, each native library, and the rest (our code, its dependencies, the dashboard). */
  parts: Array<{ name: string; bytes: number }>;
}

export async function buildBinary(targetName: TargetName, outDir = join(REPO, 'dist')): Promise<BuiltBinary> {
  const target = TARGETS[targetName];
  if (!target) throw new Error(`unknown target "${targetName}"; expected one of ${Object.keys(TARGETS).join(', ')}`);
  const [runtime, sources] = await Promise.all([bunRuntime(target), nativeLibraries(target)]);
  const libraries = sources.map((source) => embedLibrary(source, target.name));
  const outfile = join(outDir, `cctv-server-${target.name}`);
  // Compiled in a folder of its own: the bundler also writes the source maps it embeds (*.map) beside the executable.
  const work = join(outDir, `.build-${target.name}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const info: BuildInfo = {
    version: buildInfo().version,
    executable: { target: target.name, builtAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), commit: commit() },
    components: sources.map((source) => source.component),
  };
  try {
    await compile(target.bunTarget, runtime, join(work, basename(outfile)), libraries, info);
    renameSync(join(work, basename(outfile)), outfile);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const bytes = statSync(outfile).size;
  const sha256 = new Bun.CryptoHasher('sha256').update(readFileSync(outfile)).digest('hex');
  writeFileSync(`${outfile}.sha256`, `${sha256}  ${basename(outfile)}\n`);
  const runtimeBytes = statSync(runtime).size;
  const libraryParts = sources.map((source, i) => ({ name: `${source.component.name} ${source.component.version}${source.component.detail ? ` (${source.component.detail})` : ''}, zstd`, bytes: libraries[i]!.embeddedBytes }));
  const rest = bytes - runtimeBytes - libraryParts.reduce((sum, part) => sum + part.bytes, 0);
  return { target: target.name, path: outfile, bytes, sha256, parts: [{ name: `Bun ${Bun.version} runtime`, bytes: runtimeBytes }, ...libraryParts, { name: 'our code, its dependencies, the dashboard', bytes: rest }] };
}

async function compile(bunTarget: Bun.Build.CompileTarget, runtime: string, outfile: string, libraries: LibraryToEmbed[], info: BuildInfo): Promise<void> {
  const result = await Bun.build({
    entrypoints: [MAIN, ...WORKERS],
    naming: { entry: '[name].[ext]' },
    target: 'bun',
    root: REPO,
    // As `bun build --compile` does: React (in --tui) and the like take their production builds.
    define: { 'process.env.NODE_ENV': '"production"' },
    // Identifiers kept: stack traces and error names stay readable in a user's bug report.
    minify: { whitespace: true, syntax: true, identifiers: false },
    // Stack traces point into our sources (zstd-compressed inside: ~3 MB).
    sourcemap: 'inline',
    // Compiled ahead: the server answers in about half the time (measured: ~250 instead of ~500 ms); ~9 MB.
    bytecode: true,
    format: 'esm',
    metafile: true,
    throw: false,
    plugins: [binaryPlugin({ libraries, buildInfo: info })],
    compile: {
      target: bunTarget,
      outfile,
      executablePath: runtime,
      // Like `bun run apps/server`, a .env beside it is read; a bunfig.toml there could preload code: not read.
      autoloadDotenv: true,
      autoloadBunfig: false,
    },
  });
  if (!result.success) throw new Error(`bun build --compile --target=${bunTarget} failed:\n${result.logs.map(String).join('\n')}`);
  checkWorkers(Object.keys(result.metafile?.inputs ?? {}));
}

/** Every `new Worker(…)` in the bundled sources names an entrypoint, in the form that resolves inside the executable. */
function checkWorkers(inputs: string[]): void {
  const entries = new Set(WORKERS);
  const problems: string[] = [];
  for (const input of inputs) {
    const path = resolve(REPO, input); // metafile paths are relative to root
    if (!path.startsWith(REPO) || path.includes('node_modules') || !/\.tsx?$/.test(path)) continue;
    const source = readFileSync(path, 'utf8');
    for (const match of source.matchAll(/new Worker\(([^)]*\)?)/g)) {
      const url = /^new URL\('(\.\/[^/']+\.ts)', import\.meta\.url\)$/.exec(match[1]!.trim());
      const where = relative(REPO, path);
      if (!url) problems.push(`${where}: ${match[0]} — start Workers as new Worker(new URL('./file.ts', import.meta.url)), the file beside the module`);
      else if (!entries.has(join(dirname(path), url[1]!))) problems.push(`${where}: ${url[1]} is not in WORKERS (apps/server/scripts/build-binary.ts)`);
    }
  }
  const names = [...entries].map((path) => basename(path));
  if (new Set(names).size !== names.length) problems.push(`Worker files need distinct names (they are laid out flat): ${names.join(', ')}`);
  if (problems.length) throw new Error(`Workers the executable could not start:\n${problems.join('\n')}`);
}

function commit(): string {
  const head = Bun.spawnSync(['git', 'rev-parse', '--short=9', 'HEAD'], { cwd: REPO });
  if (head.exitCode !== 0) return 'unknown';
  const dirty = Bun.spawnSync(['git', 'status', '--porcelain', '--untracked-files=no'], { cwd: REPO }).stdout.length > 0;
  return `${head.stdout.toString().trim()}${dirty ? '-dirty' : ''}`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

if (import.meta.main) {
  const targets = (Bun.argv.slice(2).length ? Bun.argv.slice(2) : Object.keys(TARGETS)) as TargetName[];
  for (const target of targets) {
    const started = performance.now();
    const built = await buildBinary(target);
    console.log(`${relative(process.cwd(), built.path)}  ${megabytes(built.bytes)}  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    for (const part of built.parts) console.log(`  ${megabytes(part.bytes).padStart(9)}  ${part.name}`);
  }
}
