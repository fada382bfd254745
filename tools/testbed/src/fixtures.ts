import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The shared fixtures folder: $SHARED_FIXTURES, else ../shared/fixtures beside the repository. */
export function fixturesDir(): string {
  return process.env.SHARED_FIXTURES || resolve(import.meta.dirname, '../../../../shared/fixtures');
}

/**
 * The path of a fixture (e.g. `video/people-720p.mp4`), or undefined when it is missing, so a
 * test can skip loudly. Under CI=true a missing fixture throws: there the tests are required.
 */
export function fixturePath(relative: string): string | undefined {
  const path = join(fixturesDir(), relative);
  if (existsSync(path)) return path;
  if (process.env.CI === 'true') throw new Error(`fixture ${relative} is missing from ${fixturesDir()} (required under CI=true; set SHARED_FIXTURES)`);
  return undefined;
}
