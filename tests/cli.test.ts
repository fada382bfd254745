import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, SERVER_MAIN, startServer } from '@cctv/testbed';
import { describe, expect, it } from 'vitest';


async function run(args: string[]): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn([process.execPath, SERVER_MAIN, ...args], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, output: out + err };
}

describe('the command line', () => {
  it('refuses a bad config before starting, naming the key, the value and what was expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cctv-cli-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ camera_url: 'rtsp://admin:hunter2@cam/x', target_fps: 'fast', server: { port: 99999 } }));
    const { code, output } = await run(['--config', file]);
    expect(code).toBe(2);
    expect(output).toContain('target_fps: got "fast", expected a number from 1 to 60');
    expect(output).toContain('server.port: got 99999, expected a whole number from 1 to 65535');
    expect(output).not.toContain('hunter2');
  });

  it('refuses unknown flags and bad ports with usage', async () => {
    expect(await run(['--prot', '80'])).toMatchObject({ code: 2, output: expect.stringContaining('unknown argument "--prot"') });
    expect(await run(['--port', 'eighty'])).toMatchObject({ code: 2, output: expect.stringContaining('--port: got "eighty"') });
    expect((await run(['--help'])).output).toContain('--config FILE');
  });

  it('prints the banner with the API, stream and WS addresses, and what cannot run', async () => {
    const server = await startServer(
      { camera_url: 'demo:640x360', detection_enabled: true, telegram_enabled: true, telegram_config: { bot_token: '123:SECRET', chat_id: 1 } },
      { args: ['--tui'] },
    );
    try {
      const out = server.output();
      expect(out).toContain(`API:     http://127.0.0.1:${server.port}/api`);
      expect(out).toContain(`Stream:  http://127.0.0.1:${server.port}/api/stream/video`);
      expect(out).toContain(`WS:      ws://127.0.0.1:${server.port}/socket.io/`);
      // The default model_path is not there: said at once, and the video runs without detection.
      expect(out).toMatch(/Detect: +FAILED: model file not found: .*models\/best\.onnx/);
      expect(out).toMatch(/Telegram: chat 1: alerts for every class/);
      // stdout is a pipe here, so --tui says it falls back to plain log lines.
      expect(out).toMatch(/--tui: not a terminal/);
      expect(out).not.toContain('SECRET');
      const { detection } = await server.waitForStatus((s) => s.detection.state === 'failed');
      expect(detection.reason).toMatch(/model file not found/);
    } finally {
      const { code, ms } = await server.stop('SIGINT');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(2000);
    }
  });

  it('says so and exits when the port is taken', async () => {
    const port = await freeLoopbackPort();
    const holder = Bun.serve({ port, hostname: '127.0.0.1', reusePort: false, fetch: () => new Response('x') });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'cctv-cli-'));
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ server: { host: '127.0.0.1' } }));
      const { code, output } = await run(['--config', join(dir, 'c.json'), '--port', String(port)]);
      expect(code).toBe(1);
      expect(output).toContain(`cannot start http on 127.0.0.1:${port}`);
    } finally {
      holder.stop(true);
    }
  });
});
