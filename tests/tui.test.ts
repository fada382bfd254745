import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childProcesses, freeLoopbackPort, listProcesses, processesMatching, readMjpegParts, type RtspCamera, SERVER_MAIN, startRtspCamera, startServer, waitFor } from '@cctv/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A tmux server of our own (-L), so nothing here touches anyone else's tmux sessions.
const SOCKET = `cctv-tui-test-${process.pid}`;

function tmux(...args: string[]): string {
  const result = Bun.spawnSync(['tmux', '-L', SOCKET, ...args], { stdout: 'pipe', stderr: 'pipe' });
  if (result.exitCode !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr.toString()}`);
  return result.stdout.toString();
}


let camera: RtspCamera;
let dir: string;

beforeAll(async () => {
  // A real RTSP camera, so a clean quit is also checked for a leftover decoder child.
  camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
  dir = mkdtempSync(join(tmpdir(), 'cctv-tui-'));
});

afterAll(async () => {
  await camera?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the server with --tui in a 120×40 tmux pane, as a user would in their terminal. */
async function startInTmux(session: string) {
  const port = await freeLoopbackPort();
  const config = join(dir, `${session}.json`);
  const exitFile = join(dir, `${session}.exit`);
  writeFileSync(config, JSON.stringify({ camera_url: camera.url, server: { host: '127.0.0.1' } }));
  const command = `'${process.execPath}' '${SERVER_MAIN}' --tui --config '${config}' --port ${port}; echo $? > '${exitFile}'`;
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', command);
  return {
    port,
    screen: () => (existsSync(exitFile) ? '' : tmux('capture-pane', '-p', '-t', session)),
    keys: (...keys: string[]) => tmux('send-keys', '-t', session, ...keys),
    exitCode: () => (existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim()) || undefined,
  };
}

describe('the terminal dashboard (--tui)', () => {
  it('shows the live fields, answers d, and quits cleanly on q and on Ctrl-C, leaving no process behind', async () => {
    try {
      for (const quitKey of ['q', 'C-c']) {
        const session = `quit-${quitKey}`;
        const tui = await startInTmux(session);

        // Live: the camera streams, a frame rate, and a viewer that connects is counted.
        await waitFor('Streaming on screen', () => /Camera\s+Streaming/.test(tui.screen()));
        const viewer = readMjpegParts(`http://127.0.0.1:${tui.port}/api/stream/video`, { durationMs: 3000, keepBodies: 0 });
        const screen = await waitFor('one viewer on screen', () => {
          const text = tui.screen();
          return /Clients\s+1 viewer\b/.test(text) && text;
        });
        expect(screen).toMatch(/Video\s+\d+\.\d fps/);
        expect(Number(/Video\s+(\d+\.\d) fps/.exec(screen)![1])).toBeGreaterThan(0);
        expect(screen).toMatch(/frames \d+ · dropped \d+/);
        expect(screen).toContain(`http://127.0.0.1:${tui.port}/`);
        // Log lines go to the log panel, not over the screen.
        expect(screen).toMatch(/LOG[\s\S]*info\s+camera Streaming/);
        expect((await viewer).errors).toEqual([]);

        // d switches detection on (the server is started with it off) and back off; the Detection line follows.
        expect(screen).toMatch(/Detection\s+off\b/);
        tui.keys('d');
        await waitFor('detection turned on', () => /detection: turned on/.test(tui.screen()));
        await waitFor('the Detection line to leave off', () => /Detection\s+(loading|running|failed)\b/.test(tui.screen()));
        tui.keys('d');
        await waitFor('detection turned off', () => /detection: turned off/.test(tui.screen()));

        // What must be gone after quitting is there now: the server (bun itself, not the pane's shell or tmux) and its decoder.
        const serverPattern = new RegExp(`^\\S+ \\S*main\\.ts --tui .*--port ${tui.port}\\b`);
        const servers = await processesMatching(serverPattern);
        expect(servers).toHaveLength(1);
        // The decoder reads the camera's H.264 from the server on a pipe: found as the server's child, not by URL.
        const decoders = (await childProcesses(servers[0]!.pid)).filter((c) => /(^|\/)(ffmpeg|gst-launch-1\.0) /.test(c.command));
        expect(decoders).toHaveLength(1);

        tui.keys(quitKey);
        expect(await waitFor(`exit code after ${quitKey}`, tui.exitCode, 10_000), `exit code after ${quitKey}`).toBe('0');
        await waitFor('no server or decoder left', async () => {
          const alive = listProcesses().filter((p) => [...servers, ...decoders].some((gone) => gone.pid === p.pid && gone.command === p.command));
          return alive.length === 0;
        }, 5000);
      }
    } finally {
      Bun.spawnSync(['tmux', '-L', SOCKET, 'kill-server']);
    }
  });

  it('prints plain log lines, and says so in one line, when stdout is not a terminal', async () => {
    const server = await startServer({ camera_url: camera.url }, { args: ['--tui'] });
    try {
      await server.waitForStatus((s) => s.status === 'Streaming');
      await waitFor('the Streaming log line', () => /info\s+camera Streaming/.test(server.output()), 5000);
      const output = server.output();
      expect(output.match(/--tui: not a terminal/g)).toHaveLength(1);
      expect(output).toContain('Web:     http://127.0.0.1:');
      // No screen drawing: no escape sequences, no alternate screen.
      expect(output).not.toContain('\x1b[');
    } finally {
      expect((await server.stop('SIGINT')).code).toBe(0);
    }
  });
});
