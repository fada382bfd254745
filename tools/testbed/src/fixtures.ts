import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared fixtures folder: $SHARED_FIXTURES, else ../shared/fixtures beside the repository.
 * Found from this file, not process.cwd(): tests run with cwd = their own package.
 */
export function fixturesDir(): string {
  return process.env.SHARED_FIXTURES || resolve(import.meta.dirname, '../../../../shared/fixtures');
}

/**
 * The path of a fixture (e.g. `video/people-720p.mp4`), or undefined, with a warning, when it is
 * missing, so that a test can `it.skipIf(!path)`. Under CI=true a missing fixture throws: there
 * the tests are required, and a skip would pass silently.
 */
export function fixturePath(relative: string): string | undefined {
  return requireFixtures(relative)?.[0];
}

/**
 * The paths of several fixtures, in order, or undefined when any is missing (each missing one is
 * named in a warning; under CI=true they are named in the error thrown instead).
 *
 *     const fixtures = requireFixtures('models/yolox_nano.onnx', 'images/bus.jpg');
 *     it.skipIf(!fixtures)('finds the bus', () => { const [model, bus] = fixtures!; … });
 */
export function requireFixtures<const T extends readonly string[]>(...relative: T): { [K in keyof T]: string } | undefined {
  const dir = fixturesDir();
  const paths = relative.map((name) => join(dir, name));
  const missing = relative.filter((_, i) => !existsSync(paths[i]!));
  if (!missing.length) return paths as { [K in keyof T]: string };
  const list = missing.join(', ');
  if (process.env.CI === 'true') throw new Error(`fixtures missing from ${dir}: ${list} (required under CI=true; set SHARED_FIXTURES)`);
  console.warn(`SKIPPING what needs ${list}: missing from ${dir} (set SHARED_FIXTURES to the fixtures folder)`);
  return undefined;
}
