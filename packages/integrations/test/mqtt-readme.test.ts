// The README's MQTT example runs against a real broker and does what its comments say; its config
// table is the schema's.
import { startMosquitto } from '@cctv/testbed';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MqttConfigSchema } from '../src/index.ts';
import { retainedMessages } from './mqtt-helpers.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('\n## MQTT'));

/** Every key of the schema (nested objects as `parent.child`) with its default, as the table writes it. */
function defaults(schema: { properties: Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }> }, parent = ''): Array<[string, string]> {
  return Object.entries(schema.properties).flatMap(([name, property]): Array<[string, string]> =>
    property.properties ? defaults(property as Parameters<typeof defaults>[0], `${parent}${name}.`) : [[`${parent}${name}`, String(property.default)]],
  );
}

describe('README: MQTT', () => {
  it('lists every config key with the default the schema has', () => {
    const start = section.indexOf('| key | default | what it is |');
    const rows = section.slice(start).split('\n\n')[0]!.split('\n').slice(2);
    const table = rows.map((row) => {
      const [, key, value] = row.split('|').map((cell) => cell.trim());
      return [key!.replaceAll('`', ''), value!] as [string, string];
    });
    expect(table).toEqual(defaults(MqttConfigSchema));
  });

  it('its example runs against a real broker and leaves what its comments say there', async () => {
    const broker = await startMosquitto();
    try {
      const example = section.match(/```ts\n([\s\S]*?)```/)![1]!;
      const code = example.replace("'@cctv/integrations'", JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))).replace('mqtt://localhost:1883', broker.url);
      const run = Bun.spawn([process.execPath, '-e', code], { stdout: 'pipe', stderr: 'pipe' });
      const [stdout, stderr] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()]);
      expect(await run.exited, stderr).toBe(0);
      expect(stdout.trim().split('\n').at(-1)).toBe('connected');
      const retained = await retainedMessages(broker.url, ['cctv/#']);
      expect(Object.fromEntries([...retained].map(([topic, payload]) => [topic, payload.toString()]))).toMatchObject({
        'cctv/site-a/available': 'offline',
        'cctv/site-a/gate/person': '1',
        'cctv/site-a/gate/car': '0',
        'cctv/site-a/gate/door/in': '3',
        'cctv/site-a/gate/detect/state': 'ON',
      });
    } finally {
      await broker.stop();
    }
  });
});
