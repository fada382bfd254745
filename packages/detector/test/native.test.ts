// The native shims: the TensorRT one compiles (g++ -c, not linked, not run: no GPU or TensorRT
// here) against the real TensorRT 10.3 and 11.1 headers from the shared third-party folder, and
// cuda_runtime_min.h declares CUDA as CUDA's own header does; the ONNX Runtime one builds without
// a warning. Under CI=true missing headers fail the run; elsewhere they skip it, saying so.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOnnxRuntimeShim, CHECKED_TENSORRT_VERSIONS, compileTensorRtObject, findTensorRt, NATIVE_DIR, sharedThirdParty } from '../../../native/build.ts';

const dir = mkdtempSync(join(tmpdir(), 'detector-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const thirdParty = sharedThirdParty();
const headers = Object.fromEntries(CHECKED_TENSORRT_VERSIONS.map((version) => [version, join(thirdParty, `tensorrt-${version}`, 'include')]));
const missing = CHECKED_TENSORRT_VERSIONS.filter((version) => !existsSync(join(headers[version]!, 'NvInferRuntime.h')));
if (missing.length) {
  const message = `TensorRT ${missing.join(', ')} headers missing from ${thirdParty} (set SHARED_THIRD_PARTY)`;
  if (process.env.CI === 'true') throw new Error(`${message}: required under CI=true`);
  console.warn(`SKIPPING the TensorRT compile check: ${message}`);
}
// CUDA's own header, where one is installed (this machine image has CUDA 13's runtime headers in /usr/local/cuda).
const { cudaInclude, cudaLibrary } = findTensorRt();

function nm(args: string[]): string[] {
  const result = Bun.spawnSync(['nm', ...args], { stdout: 'pipe' });
  return result.stdout.toString().split('\n').map((line) => line.trim().split(/\s+/).at(-1)!).filter(Boolean);
}

/** What the TensorRT shim needs from TensorRT and CUDA, and nothing else of theirs. */
const TENSORRT_SYMBOLS = ['createInferRuntime_INTERNAL', 'getInferLibMajorVersion', 'getInferLibMinorVersion', 'getInferLibPatchVersion'];
const CUDA_SYMBOLS = ['cudaFree', 'cudaGetErrorString', 'cudaMalloc', 'cudaMemcpyAsync', 'cudaStreamCreate', 'cudaStreamDestroy', 'cudaStreamSynchronize'];

describe.skipIf(missing.length > 0)('tensorrt_shim.cpp compiles against the real TensorRT headers', () => {
  const builds = CHECKED_TENSORRT_VERSIONS.flatMap((version) => [
    { version, cuda: 'cuda_runtime_min.h', include: undefined as string | undefined },
    ...(cudaInclude ? [{ version, cuda: `${cudaInclude}/cuda_runtime_api.h`, include: cudaInclude }] : []),
  ]);

  it.each(builds)('TensorRT $version with $cuda: no error, no warning of ours, only the expected TensorRT and CUDA symbols', ({ version, include }) => {
    const object = join(dir, `tensorrt_shim-${version}-${include ? 'cuda' : 'min'}.o`);
    const result = compileTensorRtObject(headers[version]!, object, include);
    expect(result.output, `$ ${result.command.join(' ')}`).toBe('');
    expect(result.ok).toBe(true);
    const undefinedSymbols = nm(['-u', object]);
    expect(undefinedSymbols.filter((s) => /^(cuda|createInferRuntime|getInferLib)/.test(s)).sort()).toEqual([...TENSORRT_SYMBOLS, ...CUDA_SYMBOLS].sort());
    // The C ABI is exported under its plain C names.
    expect(nm(['--extern-only', '--defined-only', object]).filter((s) => s.startsWith('cctv_trt_')).sort()).toEqual([
      'cctv_trt_abi_version',
      'cctv_trt_create',
      'cctv_trt_destroy',
      'cctv_trt_last_error',
      'cctv_trt_output',
      'cctv_trt_run',
      'cctv_trt_runtime_info',
      'cctv_trt_set_input_shape',
      'cctv_trt_tensor_count',
      'cctv_trt_tensor_info',
    ]);
  });

  it.skipIf(!cudaLibrary)('every CUDA function it calls is exported by the installed libcudart', () => {
    const exported = new Set(nm(['-D', '--defined-only', join(cudaLibrary!.dir, cudaLibrary!.file)]).map((s) => s.replace(/@.*$/, '')));
    expect(CUDA_SYMBOLS.filter((s) => !exported.has(s))).toEqual([]);
  });
});

describe('cuda_runtime_min.h', () => {
  const check = join(NATIVE_DIR, 'cuda_runtime_min_check.cpp');
  const compile = (includeDir: string) => Bun.spawnSync(['g++', '-std=c++17', '-fsyntax-only', '-isystem', includeDir, check], { stderr: 'pipe' });

  it.skipIf(!cudaInclude)("declares what it declares exactly as CUDA's own cuda_runtime_api.h does", () => {
    const result = compile(cudaInclude!);
    expect(result.stderr.toString()).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('passes the same check itself', () => {
    const include = join(dir, 'cuda-min');
    mkdirSync(include, { recursive: true });
    writeFileSync(join(include, 'cuda_runtime_api.h'), `#include "${join(NATIVE_DIR, 'cuda_runtime_min.h')}"\n`);
    const result = compile(include);
    expect(result.stderr.toString()).toBe('');
    expect(result.exitCode).toBe(0);
  });
});

describe('onnxruntime_shim.c', () => {
  it('builds with -Wall -Wextra -Werror, against the libonnxruntime.so.1 onnxruntime-node ships', () => {
    expect(existsSync(buildOnnxRuntimeShim({ force: true }))).toBe(true);
  });
});
