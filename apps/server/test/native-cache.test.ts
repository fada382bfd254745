import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheRoots, damagedFiles, loadEmbeddedAddon, sha256, unpackEmbeddedLibrary, type EmbeddedLibrary } from '../src/binary/native-cache.ts';

/**
 * What the compiled executable does with the native libraries it carries (docs/BINARY.md), with
 * files on disk standing in for the embedded ones: unpacked once into a private cache folder,
 * reused, repaired when damaged, and safe when two processes start at once.
 */

const sandboxes: string[] = [];
afterAll(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-native-cache-'));
  sandboxes.push(dir);
  const home = join(dir, 'home');
  mkdirSync(home);
  // TMPDIR too: the last place tried is in it, and a test must not leave folders in the real one.
  return { dir, home, env: { HOME: home, TMPDIR: join(dir, 'tmp') } as Record<string, string | undefined> };
}

/** A library of random files, as the build would describe it. */
function fakeLibrary(dir: string, options: { name?: string; version?: string; sizes?: number[]; zstd?: boolean } = {}): EmbeddedLibrary {
  const name = options.name ?? 'fake';
  const files = (options.sizes ?? [1000, 5000]).map((size, i) => {
    const bytes = crypto.getRandomValues(new Uint8Array(size));
    const embedded = join(dir, `${name}-${options.version ?? '1'}-${i}.bin`);
    writeFileSync(embedded, options.zstd ? Bun.zstdCompressSync(bytes) : bytes);
    return { path: i === 0 ? 'addon.node' : `lib/part-${i}.so`, embedded, zstd: options.zstd ?? false, size: size, sha256: sha256(bytes) };
  });
  return { name, id: `${name}-${options.version ?? '1'}-linux-x64-${files[0]!.sha256.slice(0, 12)}`, addon: 'addon.node', files };
}

describe('native libraries carried by the executable', () => {
  it('are unpacked under $XDG_CACHE_HOME/cctv-server/<id>, laid out as the build said, and reused after', () => {
    const { dir, env } = sandbox();
    env.XDG_CACHE_HOME = join(dir, 'xdg');
    const library = fakeLibrary(dir, { zstd: true });
    const first = unpackEmbeddedLibrary(library, env);
    expect(first).toEqual({ dir: join(dir, 'xdg/cctv-server', library.id), unpacked: true });
    expect(damagedFiles(first.dir, library)).toEqual([]);
    expect(statSync(join(dir, 'xdg/cctv-server')).mode & 0o777).toBe(0o700);
    const written = statSync(join(first.dir, 'lib/part-1.so')).mtimeMs;

    const second = unpackEmbeddedLibrary(library, env);
    expect(second).toEqual({ dir: first.dir, unpacked: false });
    expect(statSync(join(first.dir, 'lib/part-1.so')).mtimeMs).toBe(written);
    // Nothing else left behind: no staging folders.
    expect(readdirSync(join(dir, 'xdg/cctv-server'))).toEqual([library.id]);
  });

  it('go to systemd CacheDirectory= first, then XDG, then ~/.cache, then a private temp folder', () => {
    expect(cacheRoots({ CACHE_DIRECTORY: '/var/cache/cctv-server:/var/cache/other', XDG_CACHE_HOME: '/x', HOME: '/h' }).slice(0, 3)).toEqual(['/var/cache/cctv-server', '/x/cctv-server', '/h/.cache/cctv-server']);
    // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
    expect(cacheRoots({ XDG_CACHE_HOME: 'relative', HOME: '/h' })[0]).toBe('/h/.cache/cctv-server');
    expect(cacheRoots({ HOME: '/h', TMPDIR: '/t' }).at(-1)).toBe(`/t/cctv-server-${process.getuid!()}`);
    expect(cacheRoots({ HOME: '/h' }).at(-1)).toBe(join(tmpdir(), `cctv-server-${process.getuid!()}`));
  });

  it('are unpacked again when a file in the cache was truncated or deleted', () => {
    const { dir, env } = sandbox();
    const library = fakeLibrary(dir);
    const { dir: unpacked } = unpackEmbeddedLibrary(library, env);
    truncateSync(join(unpacked, 'lib/part-1.so'), 10);
    expect(unpackEmbeddedLibrary(library, env).unpacked).toBe(true);
    expect(damagedFiles(unpacked, library)).toEqual([]);
  });

  it('refuse a damaged executable instead of loading what it carries', () => {
    const { dir, env } = sandbox();
    const library = fakeLibrary(dir);
    writeFileSync(library.files[1]!.embedded, 'not what the build embedded');
    expect(() => unpackEmbeddedLibrary(library, env)).toThrow(/lib\/part-1\.so inside the executable is damaged/);
  });

  it('use the next place when one cannot be written, and never a folder others can write to', () => {
    const { dir, home, env } = sandbox();
    const library = fakeLibrary(dir);
    // XDG_CACHE_HOME is a file: cannot hold a folder.
    writeFileSync(join(dir, 'not-a-dir'), '');
    env.XDG_CACHE_HOME = join(dir, 'not-a-dir');
    expect(unpackEmbeddedLibrary(library, env).dir).toBe(join(home, '.cache/cctv-server', library.id));
    // A shared, world-writable cache folder: someone could have planted libraries there.
    const shared = join(dir, 'shared');
    mkdirSync(join(shared, 'cctv-server'), { recursive: true });
    chmodSync(join(shared, 'cctv-server'), 0o777);
    expect(unpackEmbeddedLibrary(library, { ...env, XDG_CACHE_HOME: shared }).dir).toBe(join(home, '.cache/cctv-server', library.id));
    expect(readdirSync(join(shared, 'cctv-server'))).toEqual([]);
  });

  it('replace the other versions of the same library, and leave other libraries alone', () => {
    const { dir, home, env } = sandbox();
    const old = fakeLibrary(dir, { version: '1' });
    const other = fakeLibrary(dir, { name: 'another' });
    unpackEmbeddedLibrary(old, env);
    unpackEmbeddedLibrary(other, env);
    const current = fakeLibrary(dir, { version: '2' });
    unpackEmbeddedLibrary(current, env);
    expect(readdirSync(join(home, '.cache/cctv-server')).sort()).toEqual([other.id, current.id].sort());
  });

  it('are unpacked once when two processes start at the same moment', async () => {
    const { dir, home, env } = sandbox();
    // Large enough that both are writing at once.
    const library = fakeLibrary(dir, { sizes: [1000, 30_000_000] });
    writeFileSync(join(dir, 'library.json'), JSON.stringify(library));
    const script = `import { unpackEmbeddedLibrary } from ${JSON.stringify(resolve(import.meta.dirname, '../src/binary/native-cache.ts'))};
      const library = await Bun.file(${JSON.stringify(join(dir, 'library.json'))}).json();
      console.log(JSON.stringify(unpackEmbeddedLibrary(library)));`;
    writeFileSync(join(dir, 'unpack.ts'), script);
    const runs = [0, 1].map(() => Bun.spawn([process.execPath, join(dir, 'unpack.ts')], { env: { ...process.env, ...env, XDG_CACHE_HOME: '' }, stdout: 'pipe', stderr: 'pipe' }));
    const results = await Promise.all(runs.map(async (run) => ({ code: await run.exited, out: await new Response(run.stdout).text(), err: await new Response(run.stderr).text() })));
    for (const result of results) expect(result, result.err).toMatchObject({ code: 0 });
    const dirs = results.map((result) => JSON.parse(result.out).dir);
    expect(dirs[0]).toBe(dirs[1]);
    expect(readdirSync(join(home, '.cache/cctv-server'))).toEqual([library.id]);
    expect(damagedFiles(dirs[0], library)).toEqual([]);
  });

  describe.skipIf(process.platform !== 'linux' || process.arch !== 'x64')("with sharp's real addon and libvips", () => {
    // The files of this machine's sharp, as the build embeds them: the addon finds libvips through its RPATH.
    const require = createRequire(import.meta.url);
    const sharpJson = resolve(require.resolve('sharp'), '../../package.json');
    const prebuilt = dirname(createRequire(sharpJson).resolve('@img/sharp-linux-x64/package'));
    const libvips = dirname(createRequire(join(prebuilt, 'package.json')).resolve('@img/sharp-libvips-linux-x64/package'));
    const addonName = readdirSync(join(prebuilt, 'lib')).find((name) => name.endsWith('.node'))!;
    const libvipsName = readdirSync(join(libvips, 'lib')).find((name) => name.startsWith('libvips-cpp.so'))!;
    const sharpLibrary = (): EmbeddedLibrary => {
      const files = [
        { from: join(prebuilt, 'lib', addonName), path: `@img/sharp-linux-x64/lib/${addonName}` },
        { from: join(libvips, 'lib', libvipsName), path: `@img/sharp-libvips-linux-x64/lib/${libvipsName}` },
      ].map(({ from, path }) => {
        const bytes = readFileSync(from);
        return { path, embedded: from, zstd: false, size: bytes.length, sha256: sha256(bytes) };
      });
      return { name: 'sharp', id: 'sharp-test-linux-x64-000000000000', addon: files[0]!.path, files };
    };

    it('load from the cache folder, finding libvips beside them', () => {
      const { env } = sandbox();
      const addon = loadEmbeddedAddon(sharpLibrary(), env) as { libvipsVersion(): { semver: string } };
      expect(addon.libvipsVersion().semver).toMatch(/^\d+\.\d+\.\d+$/);
    });

    it('are repaired when a cached copy has the right size but the wrong bytes', () => {
      const { home, env } = sandbox();
      const library = sharpLibrary();
      const { dir } = unpackEmbeddedLibrary(library, env);
      // The addon zeroed (a disk error, a careless cleanup): the loader refuses it, so it is unpacked again.
      const addonFile = join(dir, library.addon);
      writeFileSync(addonFile, new Uint8Array(statSync(addonFile).size));
      expect(damagedFiles(dir, library)).toEqual([library.addon]);
      const addon = loadEmbeddedAddon(library, env) as { libvipsVersion(): { semver: string } };
      expect(addon.libvipsVersion().semver).toMatch(/^\d+\./);
      expect(damagedFiles(join(home, '.cache/cctv-server', library.id), library)).toEqual([]);
    });
  });
});
