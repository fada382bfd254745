import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * Native libraries inside the compiled executable (see docs/BINARY.md).
 *
 * The dynamic loader only opens real files, and an N-API addon finds the shared libraries it
 * links to (libonnxruntime.so.1, libvips-cpp.so) through its RPATH, relative to its own file. So
 * each library's files are unpacked once into a private cache folder named after their digest,
 * laid out as in their npm packages, and the addon is loaded from there. Unpacking writes a
 * staging folder and renames it into place, so a folder that exists is complete, and two
 * processes starting at once never see each other's half-written files.
 */

/** One file of a native library, carried inside the executable. */
export interface EmbeddedFile {
  /** Where it goes, relative to the library's folder: the npm package layout, so `$ORIGIN/…` RPATHs resolve. */
  path: string;
  /** Its path inside the executable (`import … with { type: 'file' }`), or on disk in tests. */
  embedded: string;
  /** The embedded copy is zstd-compressed (shared libraries shrink to a third). */
  zstd: boolean;
  /** Size and digest of the file itself, unpacked. */
  size: number;
  sha256: string;
}

export interface EmbeddedLibrary {
  /** The package it comes from, e.g. `sharp`; other versions of it are removed from the cache. */
  name: string;
  /** Its folder in the cache: name, version, platform and a digest of every file, e.g. `sharp-0.35.5-linux-x64-3fa9c1d2e4b5`. */
  id: string;
  /** The N-API addon to load: one of `files`. */
  addon: string;
  files: readonly EmbeddedFile[];
}

/**
 * Where native libraries may be unpacked, best first: systemd's `CacheDirectory=`, the XDG cache,
 * `~/.cache`, then a folder of our own in the temp directory.
 */
export function cacheRoots(env: Record<string, string | undefined> = process.env): string[] {
  const roots: string[] = [];
  // systemd sets CACHE_DIRECTORY for CacheDirectory= (several are separated by colons).
  const systemd = env.CACHE_DIRECTORY?.split(':')[0];
  if (systemd && isAbsolute(systemd)) roots.push(systemd);
  // The XDG spec says a relative XDG_CACHE_HOME is to be ignored.
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) roots.push(join(env.XDG_CACHE_HOME, 'cctv-server'));
  const home = env.HOME || userHome();
  if (home && isAbsolute(home)) roots.push(join(home, '.cache', 'cctv-server'));
  const temp = env.TMPDIR && isAbsolute(env.TMPDIR) ? env.TMPDIR : tmpdir();
  roots.push(join(temp, `cctv-server-${process.getuid?.() ?? 'user'}`));
  return [...new Set(roots)];
}

/** Unpacks `library` if it is not unpacked yet and loads its addon; the addon's exports. */
export function loadEmbeddedAddon(library: EmbeddedLibrary, env: Record<string, string | undefined> = process.env): unknown {
  const { dir, unpacked } = unpackEmbeddedLibrary(library, env);
  try {
    return dlopen(join(dir, library.addon));
  } catch (error) {
    // A copy found in the cache may have been damaged since (sizes are all that is checked on
    // reuse): if its contents are not what we carry, unpack it again and retry once.
    if (unpacked || damagedFiles(dir, library).length === 0) throw loadError(library, dir, error);
    const again = unpackInto(dirname(dir), library, { replace: true });
    try {
      return dlopen(join(again, library.addon));
    } catch (retry) {
      throw loadError(library, again, retry);
    }
  }
}

/** The folder `library` is unpacked in (unpacking it first when needed), trying each cache root in turn. */
export function unpackEmbeddedLibrary(library: EmbeddedLibrary, env: Record<string, string | undefined> = process.env): { dir: string; unpacked: boolean } {
  const problems: string[] = [];
  for (const root of cacheRoots(env)) {
    try {
      const dir = join(root, library.id);
      if (isComplete(dir, library)) return { dir, unpacked: false };
      return { dir: unpackInto(root, library, { replace: false }), unpacked: true };
    } catch (error) {
      // The same bytes would be written anywhere else.
      if (error instanceof DamagedExecutableError) throw error;
      problems.push(`${root}: ${(error as Error).message}`);
    }
  }
  throw new Error(
    `cannot unpack the native library ${library.id} (the system loader needs it as a file on disk): ${problems.join('; ')}. ` +
      'Set XDG_CACHE_HOME (or systemd CacheDirectory=) to a folder this user can write',
  );
}

class DamagedExecutableError extends Error {}

/** Files of an unpacked library whose contents differ from what the executable carries. */
export function damagedFiles(dir: string, library: EmbeddedLibrary): string[] {
  return library.files.filter((file) => {
    try {
      return sha256(readFileSync(join(dir, file.path))) !== file.sha256;
    } catch {
      return true;
    }
  }).map((file) => file.path);
}

function dlopen(path: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, path);
  return module.exports;
}

function loadError(library: EmbeddedLibrary, dir: string, error: unknown): Error {
  return new Error(`cannot load the native library ${library.id} from ${dir}: ${(error as Error).message}`, { cause: error });
}

/** Every file there with the expected size: folders appear by rename only, so this is cheap and enough. */
function isComplete(dir: string, library: EmbeddedLibrary): boolean {
  return library.files.every((file) => {
    try {
      return statSync(join(dir, file.path)).size === file.size;
    } catch {
      return false;
    }
  });
}

function unpackInto(root: string, library: EmbeddedLibrary, { replace }: { replace: boolean }): string {
  ensurePrivateDir(root);
  const dir = join(root, library.id);
  const staging = join(root, `.${library.id}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`);
  try {
    for (const file of library.files) {
      const embedded = readFileSync(file.embedded);
      const bytes = file.zstd ? Bun.zstdDecompressSync(embedded) : embedded;
      const digest = sha256(bytes);
      if (digest !== file.sha256) throw new DamagedExecutableError(`${file.path} inside the executable is damaged (sha256 ${digest}, expected ${file.sha256}): download it again`);
      const target = join(staging, file.path);
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      writeDurably(target, bytes);
    }
    if (replace || existsAt(dir)) {
      // Another process may have unpacked it meanwhile: keep its copy when it is whole.
      if (!replace && isComplete(dir, library)) return dir;
      const aside = `${staging}.old`;
      try {
        renameSync(dir, aside);
        rmSync(aside, { recursive: true, force: true });
      } catch {}
    }
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Lost a race to another process unpacking the same version: its copy is as good as ours.
      if (isComplete(dir, library)) return dir;
      throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  removeOtherVersions(root, library);
  return dir;
}

/** Written and flushed before the rename: a power cut must not leave a folder of the right sizes but zeros. */
function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w', 0o644);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` for this user only, and refuses one someone else could have planted libraries in. */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error('not a directory');
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw new Error(`owned by uid ${stat.uid}, not this user (uid ${uid})`);
  if (stat.mode & 0o022) throw new Error(`writable by others (mode ${(stat.mode & 0o777).toString(8)})`);
}

/** Older (or newer) versions of the same library, and staging folders left by a crash an hour ago or more. */
function removeOtherVersions(root: string, library: EmbeddedLibrary): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(root)) {
    const other = entry.startsWith(`${library.name}-`) && entry !== library.id;
    const stale = entry.startsWith(`.${library.name}-`) && safeMtime(join(root, entry)) < hourAgo;
    if (other || stale) rmSync(join(root, entry), { recursive: true, force: true });
  }
}

function existsAt(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function safeMtime(path: string): number {
  try {
    return lstatSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function userHome(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

export function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(bytes).digest('hex');
}
