// The README's example runs and prints what its comments say; its settings tables are the schemas'.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CounterSettingsSchema, TrackerSettingsSchema } from '../src/index.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The rows `| \`name\` | default | … |` of the table under the line that starts with `heading`. */
function table(heading: string): Array<[string, string]> {
  const start = readme.indexOf(`\n${heading}`);
  expect(start, heading).toBeGreaterThan(0);
  const rows = readme.slice(start).split('\n\n')[1]!.split('\n').slice(2);
  return rows.map((row) => {
    const [, name, value] = row.split('|').map((cell) => cell.trim());
    return [name!.replaceAll('`', ''), value!];
  });
}

const defaults = (schema: { properties: Record<string, { default?: unknown }> }) => Object.entries(schema.properties).map(([name, p]) => [name, String(p.default)]);

describe('README', () => {
  it('lists every setting with the default the schema has', () => {
    expect(table('Tracker (`TrackerSettingsSchema`)')).toEqual(defaults(TrackerSettingsSchema));
    expect(table('Counter (`CounterSettingsSchema`)')).toEqual(defaults(CounterSettingsSchema));
  });

  it('its example runs and prints what its comments say', async () => {
    const example = readme.match(/```ts\n(import \{ Counter, Tracker \}[\s\S]*?)```/)![1]!;
    const code = example.replace("'@cctv/tracker'", JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts')));
    const run = Bun.spawn([process.execPath, '-e', code], { stdout: 'pipe', stderr: 'pipe' });
    const [stdout, stderr] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()]);
    expect(await run.exited, stderr).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'new 1',
      'enter counter',
      'crossing in',
      'person #1 0.86',
      '{"lines":{"entrance":{"in":{"person":1},"out":{}}},"zones":{"counter":{"entered":{"person":1}}}}',
      '{"counter":{}}',
    ]);
  });
});
