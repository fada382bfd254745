// Builds the cctv_trt shims into native/build/ (gitignored) with the system compiler:
//   libcctv_trt.so      tensorrt_shim.cpp, linked to the installed TensorRT and CUDA runtime
//   libcctv_trt_ort.so  onnxruntime_shim.c, linked to the libonnxruntime.so.1 onnxruntime-node ships
//
//   bun run build:native              both; says what is missing and exits 1 when TensorRT is not found
//   bun run build:native --ort        the ONNX Runtime one only (what the tests and the benchmark use)
//   bun run build:native --check      compiles tensorrt_shim.cpp (g++ -c) against the TensorRT headers in
//                                     $SHARED_THIRD_PARTY (default ../shared/third_party): API check only
//
// TensorRT is looked for in $TENSORRT_ROOT, the Debian/Ubuntu and JetPack places (/usr/include/<arch>-linux-gnu,
// /usr/lib/<arch>-linux-gnu) and /usr/local/tensorrt; CUDA in $CUDA_HOME, $CUDA_PATH, /usr/local/cuda,
// /usr/local/cuda/targets/*/ and /usr/local/cuda-*. Without CUDA's headers, cuda_runtime_min.h stands in
// for cuda_runtime_api.h (the library itself, libcudart, is still needed to link).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

export const NATIVE_DIR = import.meta.dirname;
export const BUILD_DIR = join(NATIVE_DIR, 'build');
/** The TensorRT shim, where the TensorRT backend looks for it unless told otherwise (CCTV_TRT_SHIM). */
export const TENSORRT_SHIM = join(BUILD_DIR, 'libcctv_trt.so');
/** The same C ABI over ONNX Runtime on the CPU. */
export const ONNXRUNTIME_SHIM = join(BUILD_DIR, 'libcctv_trt_ort.so');

const TENSORRT_SOURCE = join(NATIVE_DIR, 'tensorrt_shim.cpp');
const ONNXRUNTIME_SOURCE = join(NATIVE_DIR, 'onnxruntime_shim.c');
const HEADERS = ['cctv_trt.h', 'cuda_runtime_min.h', 'ort_api_min.h'].map((name) => join(NATIVE_DIR, name));

export class NativeBuildError extends Error {
  override name = 'NativeBuildError';
}

interface Command {
  command: string[];
  ok: boolean;
  /** stdout and stderr together. */
  output: string;
}

function run(command: string[]): Command {
  const result = Bun.spawnSync(command, { stdout: 'pipe', stderr: 'pipe' });
  return { command, ok: result.exitCode === 0, output: `${result.stdout.toString()}${result.stderr.toString()}`.trim() };
}

function compilerMissing(compiler: string): string | undefined {
  return Bun.which(compiler) ? undefined : `${compiler} is not installed (apt-get install ${compiler === 'gcc' ? 'gcc' : 'g++'})`;
}

/** Runs a compiler into a temporary file, then renames it into place: parallel builds never see half a library. */
function compileTo(output: string, command: (out: string) => string[]): Command {
  mkdirSync(dirname(output), { recursive: true });
  const temporary = `${output}.${process.pid}.${Date.now()}.tmp`;
  const result = run(command(temporary));
  if (result.ok) renameSync(temporary, output);
  else rmSync(temporary, { force: true });
  return result;
}

function isStale(output: string, sources: readonly string[]): boolean {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((source) => existsSync(source) && statSync(source).mtimeMs > built);
}

const gnuArch = () => (arch() === 'arm64' ? 'aarch64' : 'x86_64');

/** Existing directories among these patterns; a `*` matches one path segment. */
function expand(patterns: readonly (string | undefined)[]): string[] {
  const found: string[] = [];
  for (const pattern of patterns) {
    if (!pattern) continue;
    const segments = pattern.split('/');
    let paths = [segments[0] === '' ? '/' : segments[0]!];
    for (const segment of segments.slice(1)) {
      if (!segment) continue;
      const next: string[] = [];
      for (const path of paths) {
        if (!segment.includes('*')) {
          next.push(join(path, segment));
          continue;
        }
        const matcher = new RegExp(`^${segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
        try {
          for (const entry of readdirSync(path).sort()) if (matcher.test(entry)) next.push(join(path, entry));
        } catch {
          // not a directory: nothing under it
        }
      }
      paths = next;
    }
    for (const path of paths) if (existsSync(path) && !found.includes(path)) found.push(path);
  }
  return found;
}

/** The first directory holding this file. */
function findFile(names: readonly string[], directories: readonly string[]): { dir: string; file: string } | undefined {
  for (const dir of directories) {
    for (const name of names) if (existsSync(join(dir, name))) return { dir, file: name };
  }
  return undefined;
}

/** The first directory holding a library libNAME.so or libNAME.so.N (the unversioned link is a -dev package's). */
function findLibrary(name: string, directories: readonly string[]): { dir: string; file: string } | undefined {
  for (const dir of directories) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    if (entries.includes(`lib${name}.so`)) return { dir, file: `lib${name}.so` };
    const versioned = entries.filter((entry) => new RegExp(`^lib${name}\\.so\\.\\d+$`).test(entry)).sort();
    if (versioned.length) return { dir, file: versioned.at(-1)! };
  }
  return undefined;
}

export interface TensorRtInstall {
  /** Folder with NvInferRuntime.h. */
  include?: string;
  /** Folder and file name of libnvinfer. */
  library?: { dir: string; file: string };
  /** Folder with CUDA's cuda_runtime_api.h; undefined: cuda_runtime_min.h stands in. */
  cudaInclude?: string;
  cudaLibrary?: { dir: string; file: string };
  /** Where each was looked for, to say so when one is missing. */
  searched: { tensorRtInclude: string[]; tensorRtLibrary: string[]; cudaInclude: string[]; cudaLibrary: string[] };
}

/** Looks for TensorRT's headers and library and CUDA's runtime in the usual places (see the top of this file). */
export function findTensorRt(env: Record<string, string | undefined> = process.env): TensorRtInstall {
  const a = gnuArch();
  const trtRoot = env.TENSORRT_ROOT;
  const cudaRoots = [env.CUDA_HOME, env.CUDA_PATH, '/usr/local/cuda', '/usr/local/cuda-*'];
  const searched = {
    tensorRtInclude: expand([trtRoot && `${trtRoot}/include`, `/usr/include/${a}-linux-gnu`, '/usr/include', '/usr/local/tensorrt/include', '/usr/local/TensorRT*/include', '/opt/tensorrt/include']),
    tensorRtLibrary: expand([trtRoot && `${trtRoot}/lib`, trtRoot && `${trtRoot}/lib64`, `/usr/lib/${a}-linux-gnu`, '/usr/lib64', '/usr/local/tensorrt/lib', '/usr/local/TensorRT*/lib', '/opt/tensorrt/lib']),
    cudaInclude: expand([...cudaRoots.map((root) => root && `${root}/include`), ...cudaRoots.map((root) => root && `${root}/targets/*/include`), '/usr/include']),
    cudaLibrary: expand([...cudaRoots.flatMap((root) => (root ? [`${root}/lib64`, `${root}/lib`, `${root}/targets/*/lib`] : [])), `/usr/lib/${a}-linux-gnu`, '/usr/lib64']),
  };
  return {
    include: findFile(['NvInferRuntime.h'], searched.tensorRtInclude)?.dir,
    library: findLibrary('nvinfer', searched.tensorRtLibrary),
    cudaInclude: findFile(['cuda_runtime_api.h'], searched.cudaInclude)?.dir,
    cudaLibrary: findLibrary('cudart', searched.cudaLibrary),
    searched,
  };
}

/** What stops the TensorRT shim from being built here, one line each; empty when nothing does. */
export function tensorRtMissing(install: TensorRtInstall): string[] {
  const where = (dirs: string[]) => (dirs.length ? dirs.join(', ') : 'none of the usual folders exist');
  const missing: string[] = [];
  if (!install.include) missing.push(`TensorRT headers (NvInferRuntime.h) not found in: ${where(install.searched.tensorRtInclude)}; install TensorRT's dev package (libnvinfer-dev) or set TENSORRT_ROOT`);
  if (!install.library) missing.push(`TensorRT library (libnvinfer.so) not found in: ${where(install.searched.tensorRtLibrary)}; install TensorRT (libnvinfer10) or set TENSORRT_ROOT`);
  if (!install.cudaLibrary) missing.push(`CUDA runtime library (libcudart.so) not found in: ${where(install.searched.cudaLibrary)}; install the CUDA runtime or set CUDA_HOME`);
  const compiler = compilerMissing('g++');
  if (compiler) missing.push(compiler);
  return missing;
}

/** An include folder whose cuda_runtime_api.h is cuda_runtime_min.h, for building without CUDA's headers. */
function minimalCudaInclude(): string {
  const dir = join(BUILD_DIR, 'cuda-min-include');
  mkdirSync(dir, { recursive: true });
  const header = join(dir, 'cuda_runtime_api.h');
  const text = `// Generated by native/build.ts: CUDA's own header is not installed here.\n#include "${join(NATIVE_DIR, 'cuda_runtime_min.h')}"\n`;
  if (!existsSync(header) || Bun.file(header).size !== text.length) writeFileSync(header, text);
  return dir;
}

function tensorRtCompileFlags(tensorRtInclude: string, cudaInclude: string | undefined): string[] {
  // -isystem: the TensorRT headers' own warnings (deprecations, unused parameters) are theirs, not ours.
  return ['-std=c++17', '-O2', '-fPIC', '-Wall', '-Wextra', `-I${NATIVE_DIR}`, '-isystem', tensorRtInclude, '-isystem', cudaInclude ?? minimalCudaInclude()];
}

/**
 * Compiles tensorrt_shim.cpp to an object file (g++ -c) against one TensorRT include folder, with
 * cuda_runtime_min.h unless a CUDA include folder is given: checks the API use, links nothing.
 */
export function compileTensorRtObject(tensorRtInclude: string, output: string, cudaInclude?: string): Command {
  const missing = compilerMissing('g++');
  if (missing) return { command: ['g++'], ok: false, output: missing };
  return compileTo(output, (out) => ['g++', ...tensorRtCompileFlags(tensorRtInclude, cudaInclude), '-c', TENSORRT_SOURCE, '-o', out]);
}

/** Builds libcctv_trt.so against the installed TensorRT and CUDA; throws NativeBuildError saying what is missing. */
export function buildTensorRtShim(install: TensorRtInstall = findTensorRt()): string {
  const missing = tensorRtMissing(install);
  if (missing.length) throw new NativeBuildError(`cannot build the TensorRT shim:\n  - ${missing.join('\n  - ')}`);
  const { include, library, cudaInclude, cudaLibrary } = install as Required<TensorRtInstall>;
  const result = compileTo(TENSORRT_SHIM, (out) => [
    'g++',
    ...tensorRtCompileFlags(include, cudaInclude),
    '-shared',
    TENSORRT_SOURCE,
    '-o',
    out,
    `-L${library.dir}`,
    `-l:${library.file}`,
    `-L${cudaLibrary.dir}`,
    `-l:${cudaLibrary.file}`,
    `-Wl,-rpath,${library.dir}`,
    `-Wl,-rpath,${cudaLibrary.dir}`,
  ]);
  if (!result.ok) throw new NativeBuildError(`building the TensorRT shim failed:\n$ ${result.command.join(' ')}\n${result.output}`);
  return TENSORRT_SHIM;
}

/** The libonnxruntime.so.1 inside the installed onnxruntime-node package, for this platform. */
export function findOnnxRuntimeLibrary(): string {
  let packageJson: string;
  try {
    packageJson = Bun.resolveSync('onnxruntime-node/package.json', join(NATIVE_DIR, '..', 'packages', 'detector'));
  } catch (error) {
    throw new NativeBuildError(`onnxruntime-node is not installed (run bun install): ${(error as Error).message}`);
  }
  const platform = `${process.platform}/${arch()}`;
  const [library] = expand([`${dirname(packageJson)}/bin/napi-v*/${platform}/libonnxruntime.so.1`]);
  if (!library) throw new NativeBuildError(`onnxruntime-node ships no libonnxruntime.so.1 for ${platform} (looked in ${dirname(packageJson)}/bin/napi-v*/${platform}/)`);
  return resolve(library);
}

/** Builds libcctv_trt_ort.so unless it is newer than its sources; returns its path. */
export function buildOnnxRuntimeShim(options: { force?: boolean } = {}): string {
  if (!options.force && !isStale(ONNXRUNTIME_SHIM, [ONNXRUNTIME_SOURCE, ...HEADERS])) return ONNXRUNTIME_SHIM;
  const missing = compilerMissing('gcc');
  if (missing) throw new NativeBuildError(`cannot build the ONNX Runtime shim: ${missing}`);
  const library = findOnnxRuntimeLibrary();
  const result = compileTo(ONNXRUNTIME_SHIM, (out) => [
    'gcc',
    '-std=c11',
    '-O2',
    '-fPIC',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-shared',
    ONNXRUNTIME_SOURCE,
    '-o',
    out,
    `-L${dirname(library)}`,
    `-l:${basename(library)}`,
    `-Wl,-rpath,${dirname(library)}`,
  ]);
  if (!result.ok) throw new NativeBuildError(`building the ONNX Runtime shim failed:\n$ ${result.command.join(' ')}\n${result.output}`);
  return ONNXRUNTIME_SHIM;
}

/** The shared third-party folder with the TensorRT headers (read-only; never copied into the project). */
export function sharedThirdParty(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.SHARED_THIRD_PARTY ?? join(NATIVE_DIR, '..', '..', 'shared', 'third_party'));
}

/** The TensorRT versions whose headers the compile check uses. */
export const CHECKED_TENSORRT_VERSIONS = ['10.3', '11.1'] as const;

function main(args: string[]): number {
  if (args.includes('--check')) {
    let failed = 0;
    for (const version of CHECKED_TENSORRT_VERSIONS) {
      const include = join(sharedThirdParty(), `tensorrt-${version}`, 'include');
      if (!existsSync(join(include, 'NvInferRuntime.h'))) {
        console.error(`TensorRT ${version}: headers not found in ${include} (set SHARED_THIRD_PARTY)`);
        failed++;
        continue;
      }
      const output = join(BUILD_DIR, 'check', `tensorrt_shim-trt${version}.o`);
      const result = compileTensorRtObject(include, output);
      console.log(`TensorRT ${version}: ${result.ok ? `compiled ${output}` : 'FAILED'}${result.output ? `\n${result.output}` : ''}`);
      if (!result.ok) failed++;
    }
    return failed ? 1 : 0;
  }
  try {
    console.log(`ONNX Runtime shim: ${buildOnnxRuntimeShim({ force: true })}`);
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  if (args.includes('--ort')) return 0;
  const install = findTensorRt();
  try {
    const path = buildTensorRtShim(install);
    console.log(`TensorRT shim: ${path} (headers ${install.include}, ${install.library!.file}, CUDA ${install.cudaInclude ?? 'declarations from native/cuda_runtime_min.h'}, ${install.cudaLibrary!.file})`);
    return 0;
  } catch (error) {
    console.error((error as Error).message);
    console.error('The server still runs: .engine models fall back to a same-named .onnx beside them, or detection reports why it is off.');
    return 1;
  }
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
