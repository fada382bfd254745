import { Database } from 'bun:sqlite';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Files the server keeps hold camera pictures, queued messages and secrets: readable by its own
 * user only, whatever the umask. Folders it creates are 0700, files 0600.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) readable by this user only; a folder that exists is left as it is. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Writes a new file readable by this user only. */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: PRIVATE_FILE_MODE });
  chmodSync(path, PRIVATE_FILE_MODE);
}

/**
 * Opens (or creates) an SQLite database readable by this user only, its folder made if missing.
 * SQLite creates -wal and -shm with the database file's own mode, so an empty 0600 file first is
 * enough for a new database; an existing one (from an older version) is tightened. WAL + NORMAL:
 * a commit survives a crash of this process (not necessarily a power cut).
 */
export function openPrivateDatabase(path: string): Database {
  if (path !== ':memory:') {
    ensurePrivateDir(dirname(path));
    if (!existsSync(path)) writeFileSync(path, '', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, PRIVATE_FILE_MODE);
  }
  const db = new Database(path, { create: true, strict: true });
  try {
    db.run('PRAGMA journal_mode = WAL');
    db.run('PRAGMA synchronous = NORMAL');
    db.run('PRAGMA busy_timeout = 2000');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
