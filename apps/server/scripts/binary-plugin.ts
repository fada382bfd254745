import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BunPlugin } from 'bun';
import type { BuildInfo } from '../src/binary/build-info.ts';
import type { EmbeddedFile, EmbeddedLibrary } from '../src/binary/native-cache.ts';
import { DASHBOARD_FILES } from '../src/routes/dashboard-files.ts';
import { CACHE, type NativeLibrarySource } from './binary-packages.ts';

const ZSTD_CACHE = join(CACHE, 'zstd');
const NATIVE_CACHE = join(import.meta.dirname, '../src/binary/native-cache.ts');

/** A native library as it goes into the executable: compressed files on disk to embed, and its cache folder's name. */
export interface LibraryToEmbed extends EmbeddedLibrary {
  /** `embedded` is the compressed copy on disk, to be imported `with { type: 'file' }`. */
  files: EmbeddedFile[];
  /** Bytes it adds to the executable. */
  embeddedBytes: number;
}

/**
 * The modules `bun build --compile` swaps for twins that work from inside one executable. Each one
 * reads from a place that does not exist there (node_modules, public/), so each is replaced as a
 * whole by generated code that embeds what it needs (`import … with { type: 'file' }`):
 *
 * - sharp's `dist/sharp.mjs` and onnxruntime-node's binding `require(…/${platform}/${arch}/…node)`:
 *   computed requires the bundler cannot follow, of addons that link to shared libraries it would
 *   not embed. The twin embeds the addon and its libraries and loads them through native-cache.ts.
 * - routes/dashboard-files.ts: the dashboard's files, embedded.
 * - binary/build-info.ts: the versions `--version` prints, frozen at build time.
 * - react-devtools-core: ink imports it only with DEV=true; it is not installed, so it is stubbed.
 */
export function binaryPlugin(options: { libraries: LibraryToEmbed[]; buildInfo: BuildInfo }): BunPlugin {
  const library = (name: string) => {
    const found = options.libraries.find((l) => l.name === name);
    if (!found) throw new Error(`no native library ${name} to embed`);
    return found;
  };
  return {
    name: 'cctv-server-binary',
    setup(build) {
      build.onLoad({ filter: /[\\/]sharp[\\/]dist[\\/]sharp\.mjs$/ }, () => ({
        loader: 'js',
        contents: [
          loadingModule(library('sharp')),
          // sharp's own check, kept: its prebuilt Linux x64 binaries need the x86-64-v2 microarchitecture.
          `if (process.arch === 'x64' && !addon._isUsingX64V2()) throw new Error('sharp: this CPU lacks the x86-64-v2 instructions (SSE4.2, POPCNT) its prebuilt libvips needs');`,
          'export default addon;',
        ].join('\n'),
      }));

      build.onLoad({ filter: /[\\/]onnxruntime-node[\\/]dist[\\/]binding\.js$/ }, ({ path }) => {
        const source = readFileSync(path, 'utf8');
        const load = /require\(`\.\.\/bin\/napi-v6\/\$\{process\.platform\}\/\$\{process\.arch\}\/onnxruntime_binding\.node`\)/;
        if (!load.test(source)) throw new Error(`${path}: the binding's require() changed; update apps/server/scripts/binary-plugin.ts`);
        return { loader: 'js', contents: source.replace(load, 'require("cctv-embedded:onnxruntime-node").default') };
      });
      build.onResolve({ filter: /^cctv-embedded:/ }, ({ path }) => ({ path: path.slice('cctv-embedded:'.length), namespace: 'cctv-embedded' }));
      build.onLoad({ filter: /.*/, namespace: 'cctv-embedded' }, ({ path }) => ({
        loader: 'js',
        contents: `${loadingModule(library(path))}\nexport default addon;`,
      }));

      build.onLoad({ filter: /[\\/]apps[\\/]server[\\/]src[\\/]routes[\\/]dashboard-files\.ts$/ }, () => {
        const entries = Object.entries(DASHBOARD_FILES);
        return {
          loader: 'js',
          contents: [
            ...entries.map(([, path], i) => `import file${i} from ${JSON.stringify(path)} with { type: "file" };`),
            `export const DASHBOARD_FILES = { ${entries.map(([key], i) => `${JSON.stringify(key)}: file${i}`).join(', ')} };`,
          ].join('\n'),
        };
      });

      build.onLoad({ filter: /[\\/]apps[\\/]server[\\/]src[\\/]binary[\\/]build-info\.ts$/ }, () => ({
        loader: 'js',
        contents: `const INFO = ${JSON.stringify(options.buildInfo)};\nexport function buildInfo() { return INFO; }`,
      }));

      build.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'cctv-stub' }));
      build.onLoad({ filter: /.*/, namespace: 'cctv-stub' }, () => ({
        loader: 'js',
        contents: 'export default { initialize() {}, connectToDevTools() {} };',
      }));
    },
  };
}

/** Digests each file, compresses it (once per content), and names the library's cache folder. */
export function embedLibrary(source: NativeLibrarySource, platform: string): LibraryToEmbed {
  const files = source.files.map(({ from, path }): EmbeddedFile => {
    const bytes = readFileSync(from);
    const sha256 = new Bun.CryptoHasher('sha256').update(bytes).digest('hex');
    return { path, embedded: compressed(bytes, sha256), zstd: true, size: bytes.length, sha256 };
  });
  // The folder's name changes whenever any file does, so a new build never reuses an old folder.
  const digest = new Bun.CryptoHasher('sha256');
  for (const file of files) digest.update(`${file.path}\0${file.sha256}\0`);
  return {
    name: source.name,
    id: `${source.name}-${source.version}-${platform}-${digest.digest('hex').slice(0, 12)}`,
    addon: source.addon,
    files,
    embeddedBytes: files.reduce((sum, file) => sum + statSync(file.embedded).size, 0),
  };
}

/** A module that embeds the library's files and, when evaluated, unpacks them (once) and loads the addon as `addon`. */
function loadingModule(library: LibraryToEmbed): string {
  const { files, embeddedBytes: _, ...rest } = library;
  return [
    `import { loadEmbeddedAddon } from ${JSON.stringify(NATIVE_CACHE)};`,
    ...files.map(({ embedded }, i) => `import file${i} from ${JSON.stringify(embedded)} with { type: "file" };`),
    `const files = [${files.map((file, i) => `{ ...${JSON.stringify({ ...file, embedded: undefined })}, embedded: file${i} }`).join(', ')}];`,
    `const addon = loadEmbeddedAddon({ ...${JSON.stringify(rest)}, files });`,
  ].join('\n');
}

/**
 * A zstd copy of a shared library, made once per content and kept in the build cache: ONNX Runtime
 * shrinks from 46 to 15 MB, libvips from 19 to 8 (level 9: a second to compress, ~0.1 s to unpack).
 */
function compressed(bytes: Uint8Array, sha256: string): string {
  const path = join(ZSTD_CACHE, `${sha256}.zst`);
  if (!existsSync(path)) {
    mkdirSync(ZSTD_CACHE, { recursive: true });
    const temporary = `${path}.${process.pid}`;
    writeFileSync(temporary, Bun.zstdCompressSync(bytes, { level: 9 }));
    renameSync(temporary, path);
  }
  return path;
}
