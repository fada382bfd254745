import { startGoogleApis, startTelegramApi } from '@cctv/testbed';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dir, outboxFile, SHEETS_OFF, TELEGRAM_OFF } from './helpers.ts';

const CHILD = join(import.meta.dirname, 'fixtures/integrations-process.ts');

/** The integrations in a process of their own, fed lines on stdin; `kill()` is SIGKILL: no goodbye. */
function spawnIntegrations(options: unknown) {
  const proc = Bun.spawn([process.execPath, CHILD, JSON.stringify(options)], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  let output = '';
  void (async () => {
    for await (const chunk of proc.stdout) output += new TextDecoder().decode(chunk);
  })();
  let logs = '';
  void (async () => {
    for await (const chunk of proc.stderr) logs += new TextDecoder().decode(chunk);
  })();
  let sent = 0;
  return {
    async say(...lines: string[]) {
      for (const line of lines) proc.stdin.write(`${line}\n`);
      proc.stdin.flush();
      sent += lines.length;
      const deadline = Date.now() + 5000;
      while (!output.includes(`done ${sent}\n`)) {
        if (Date.now() > deadline) throw new Error(`child did not answer: ${output}\n${logs}`);
        await Bun.sleep(10);
      }
    },
    logs: () => logs,
    async kill() {
      proc.kill('SIGKILL');
      await proc.exited;
    },
  };
}

describe('a restart of ours, without a goodbye', () => {
  it('delivers every row and alert queued before a SIGKILL exactly once, in order, once the services are back', async () => {
    const telegram = startTelegramApi({ chats: [1001] });
    const google = startGoogleApis();
    google.appended.set('Events!A:H', []);
    google.ranges.set('Counts!A2:B2', [[3, 4]]);
    const options = {
      sheets: { ...SHEETS_OFF, enabled: true, credentialsFile: google.writeKeyFile(dir), spreadsheetId: google.spreadsheetId, apiRoot: google.apiRoot, pollIntervalS: 0.5 },
      telegram: { ...TELEGRAM_OFF, enabled: true, botToken: telegram.token, chatId: 1001, apiRoot: telegram.apiRoot, commands: false },
      outbox: { path: outboxFile(), maxEntries: 100 },
      retry: { initialMs: 50, maxMs: 300 },
    };
    await telegram.down();
    await google.down();
    try {
      const first = spawnIntegrations(options);
      await first.say('detect a', 'detect b', 'camera Streaming cam', 'camera Failed cam', 'detect c');
      await Bun.sleep(300);
      await first.kill();

      const second = spawnIntegrations(options);
      await second.say('detect d');
      telegram.up();
      google.up();
      await telegram.waitFor(() => telegram.delivered.length >= 5, 10_000, 'five Telegram messages');
      await google.waitFor(() => google.appended.get('Events!A:H')!.length >= 4, 10_000, 'four rows');
      await Bun.sleep(500);
      await second.kill();

      expect(telegram.delivered.map((c) => /(?:camera|Camera) (\w+)/.exec(String(c.params.caption ?? c.params.text))![1])).toEqual(['a', 'b', 'cam', 'c', 'd']);
      expect(google.appended.get('Events!A:H')!.map((row) => row[1])).toEqual(['a', 'b', 'c', 'd']);
      expect(second.logs()).toMatch(/holds 7 message\(s\) from before/);
    } finally {
      await telegram.stop();
      await google.stop();
    }
  });
});
