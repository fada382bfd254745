import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { BuildComponent } from '../src/binary/build-info.ts';

/**
 * What goes into each executable besides our code: Bun's runtime for the target, and the native
 * libraries of sharp and onnxruntime-node for it. Those of the machine that builds come from
 * node_modules; the others are fetched once from the npm registry with `npm pack` and checked
 * against a pinned integrity (bun.lock's for sharp's platform packages, the table below for Bun).
 */

export const REPO = resolve(import.meta.dirname, '../../..');
/** Fetched packages and compressed libraries, kept between builds. */
export const CACHE = join(REPO, 'node_modules/.cache/cctv-server-binary');

export type TargetName = 'linux-x64' | 'linux-arm64';

export interface Target {
  name: TargetName;
  arch: 'x64' | 'arm64';
  bunTarget: Bun.Build.CompileTarget;
  /** The npm package that holds Bun's executable for this target. */
  bunPackage: string;
}

export const TARGETS: Record<TargetName, Target> = {
  // Baseline (x86-64-v2, no AVX2): also runs on the Celeron/Atom boxes NVRs are built on; sharp's
  // prebuilt libvips needs v2 as well, and ONNX Runtime picks AVX2 kernels itself when the CPU has them.
  'linux-x64': { name: 'linux-x64', arch: 'x64', bunTarget: 'bun-linux-x64-baseline', bunPackage: '@oven/bun-linux-x64-baseline' },
  // Jetson, Raspberry Pi 5 (64-bit OS), Graviton.
  'linux-arm64': { name: 'linux-arm64', arch: 'arm64', bunTarget: 'bun-linux-arm64', bunPackage: '@oven/bun-linux-aarch64' },
};

/** The registry's integrity of Bun's runtime packages, per version of the Bun that builds (`npm view @oven/bun-linux-aarch64@X dist.integrity`). */
const BUN_RUNTIME_INTEGRITY: Record<string, Record<string, string>> = {
  '1.4.5': {
    '@oven/bun-linux-x64-baseline': 'sha512-s8yMwYcFnnrA178gji0gZbkE2WVDej/Ti1x770oPfihxyRxSMNhGhiAQNXV53aDeraZxksdvKV/RAdQBCd0qPA==',
    '@oven/bun-linux-aarch64': 'sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==',
  },
};

/** A native library as the build finds it: the addon and the shared libraries it links to. */
export interface NativeLibrarySource {
  name: string;
  version: string;
  /** Files on disk, and where each goes in the library's cache folder at run time. */
  files: Array<{ from: string; path: string }>;
  /** The N-API addon, one of `files[].path`. */
  addon: string;
  component: BuildComponent;
}

/** Bun's executable for `target`, the one the compiled program runs on. */
export async function bunRuntime(target: Target): Promise<string> {
  const integrity = BUN_RUNTIME_INTEGRITY[Bun.version]?.[target.bunPackage];
  if (!integrity) {
    throw new Error(
      `no pinned integrity for ${target.bunPackage}@${Bun.version}: add \`npm view ${target.bunPackage}@${Bun.version} dist.integrity\` to BUN_RUNTIME_INTEGRITY in ${import.meta.path}`,
    );
  }
  const dir = await npmPackage(target.bunPackage, Bun.version, integrity);
  return join(dir, 'bin/bun');
}

/** sharp's addon and libvips, then onnxruntime-node's addon and libonnxruntime, for `target`. */
export async function nativeLibraries(target: Target): Promise<NativeLibrarySource[]> {
  return [await sharpLibrary(target), onnxRuntimeLibrary(target)];
}

async function sharpLibrary(target: Target): Promise<NativeLibrarySource> {
  const serverRequire = createRequire(join(REPO, 'apps/server/package.json'));
  const sharpJson = resolve(serverRequire.resolve('sharp'), '../../package.json');
  const sharp = JSON.parse(readFileSync(sharpJson, 'utf8'));
  const platform = `linux-${target.arch}`;
  const prebuiltName = `@img/sharp-${platform}`;
  const libvipsName = `@img/sharp-libvips-${platform}`;
  const prebuilt = await platformPackage(sharpJson, prebuiltName, sharp.optionalDependencies[prebuiltName]);
  const libvips = await platformPackage(join(prebuilt, 'package.json'), libvipsName, JSON.parse(readFileSync(join(prebuilt, 'package.json'), 'utf8')).optionalDependencies[libvipsName]);
  const addons = readdirSync(join(prebuilt, 'lib')).filter((name) => name.endsWith('.node'));
  if (addons.length !== 1) throw new Error(`${prebuiltName}: expected one .node file in lib/, found ${addons.join(', ') || 'none'}`);
  const libvipsJson = JSON.parse(readFileSync(join(libvips, 'package.json'), 'utf8'));
  const libvipsBinary: string = libvipsJson.exports['./binary'];
  const vips = JSON.parse(readFileSync(join(libvips, 'versions.json'), 'utf8')).vips;
  // The npm layout, kept: the addon's RPATH finds libvips at $ORIGIN/../../sharp-libvips-<platform>/lib.
  const addon = `${prebuiltName}/lib/${addons[0]}`;
  return {
    name: 'sharp',
    version: sharp.version,
    addon,
    files: [
      { from: join(prebuilt, 'lib', addons[0]!), path: addon },
      { from: join(libvips, libvipsBinary), path: join(libvipsName, libvipsBinary) },
    ],
    component: { name: 'sharp', version: sharp.version, detail: `libvips ${vips}` },
  };
}

function onnxRuntimeLibrary(target: Target): NativeLibrarySource {
  const detectorRequire = createRequire(join(REPO, 'packages/detector/package.json'));
  const ortJson = detectorRequire.resolve('onnxruntime-node/package.json');
  const ort = JSON.parse(readFileSync(ortJson, 'utf8'));
  // The package carries every platform's binaries; the binding finds libonnxruntime.so.1 through RUNPATH $ORIGIN/.
  const bin = resolve(ortJson, `../bin/napi-v6/linux/${target.arch}`);
  const files = ['onnxruntime_binding.node', 'libonnxruntime.so.1'].map((name) => ({ from: join(bin, name), path: name }));
  for (const { from } of files) if (!existsSync(from)) throw new Error(`onnxruntime-node ${ort.version} has no ${from}`);
  return { name: 'onnxruntime-node', version: ort.version, addon: 'onnxruntime_binding.node', files, component: { name: 'onnxruntime-node', version: ort.version } };
}

/** A platform package of sharp: installed beside it when it is this machine's, else fetched at bun.lock's integrity. */
async function platformPackage(fromJson: string, name: string, version: string | undefined): Promise<string> {
  if (!version) throw new Error(`${fromJson} does not name a version of ${name}`);
  try {
    const installed = createRequire(fromJson).resolve(`${name}/package`);
    if (JSON.parse(readFileSync(installed, 'utf8')).version === version) return resolve(installed, '..');
  } catch {}
  const locked = lockfile().packages[name];
  if (locked?.[0] !== `${name}@${version}`) throw new Error(`bun.lock has no ${name}@${version} (found ${locked?.[0] ?? 'none'})`);
  return npmPackage(name, version, locked[3]);
}

let lock: { packages: Record<string, [string, string, unknown, string]> } | undefined;
function lockfile() {
  // bun.lock is JSON with trailing commas.
  lock ??= Bun.JSONC.parse(readFileSync(join(REPO, 'bun.lock'), 'utf8')) as typeof lock;
  return lock!;
}

/** `npm pack NAME@VERSION`, checked against `integrity` and unpacked into the build cache (once). */
async function npmPackage(name: string, version: string, integrity: string): Promise<string> {
  const dir = join(CACHE, 'packages', `${name.replace('/', '+')}@${version}`);
  if (existsSync(join(dir, 'package.json'))) return dir;
  mkdirSync(join(CACHE, 'packages'), { recursive: true });
  const work = mkdtempSync(join(CACHE, 'packages', '.fetch-'));
  try {
    console.error(`fetching ${name}@${version} from the npm registry`);
    const pack = Bun.spawnSync(['npm', 'pack', `${name}@${version}`, '--pack-destination', work, '--json'], { stderr: 'pipe' });
    if (pack.exitCode !== 0) throw new Error(`npm pack ${name}@${version} failed: ${pack.stderr.toString().trim()}`);
    const [{ filename }] = JSON.parse(pack.stdout.toString()) as [{ filename: string }];
    // npm names scoped tarballs "scope-name-version.tgz".
    const tarball = join(work, filename.replace(/^@/, '').replace('/', '-'));
    const [algorithm, expected] = integrity.split(/-(.*)/s) as [string, string];
    const actual = new Bun.CryptoHasher(algorithm as 'sha512').update(readFileSync(tarball)).digest('base64');
    if (actual !== expected) throw new Error(`${name}@${version}: integrity ${algorithm}-${actual} does not match the pinned ${integrity}`);
    const untar = Bun.spawnSync(['tar', '-xzf', tarball, '-C', work], { stderr: 'pipe' });
    if (untar.exitCode !== 0) throw new Error(`unpacking ${tarball}: ${untar.stderr.toString().trim()}`);
    renameSync(join(work, 'package'), dir);
    console.error(`  ${dir} (${(statSync(tarball).size / 1e6).toFixed(1)} MB download)`);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
