import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeLoopbackPort } from './rtsp-camera.ts';

/** The server's entry point, run as users run it. */
export const SERVER_MAIN = resolve(import.meta.dirname, '../../../apps/server/src/main.ts');

export interface RunningServer {
  url: string;
  port: number;
  pid: number;
  /** The config file it was started with: rewrite it, then reload (SIGHUP or POST /api/config/reload). */
  configFile: string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  get<T = any>(path: string): Promise<T>;
  /** Polls /api/status until `predicate` holds (a test helper: the server itself never polls). */
  waitForStatus(predicate: (status: any) => boolean, timeoutMs?: number): Promise<any>;
  /** SIGTERM, then wait for exit; returns the exit code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Starts the real server (`bun apps/server/src/main.ts --config … --port …`) as its own process. */
export async function startServer(
  config: Record<string, unknown>,
  // token: sent as `Authorization: Bearer` by get() and waitForStatus(), for a server with server.auth.tokens.
  options: { env?: Record<string, string>; args?: string[]; token?: string } = {},
): Promise<RunningServer> {
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(join(tmpdir(), 'cctv-e2e-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...config, server: { host: '127.0.0.1', ...(config.server as object) } }));
  const proc = Bun.spawn([process.execPath, SERVER_MAIN, '--config', file, '--port', String(port), ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let output = '';
  const decoder = new TextDecoder();
  void (async () => { for await (const c of proc.stdout) output += decoder.decode(c); })();
  void (async () => { for await (const c of proc.stderr) output += decoder.decode(c); })();
  const url = `http://127.0.0.1:${port}`;
  const server: RunningServer = {
    url,
    port,
    pid: proc.pid,
    configFile: file,
    output: () => output,
    async get(path) {
      const response = await fetch(url + path, options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {});
      if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
      return response.json();
    },
    async waitForStatus(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any;
      while (Date.now() < deadline) {
        last = await server.get('/api/status').catch(() => undefined);
        if (last && predicate(last)) return last;
        await Bun.sleep(100);
      }
      throw new Error(`status never matched within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${output.slice(-2000)}`);
    },
    async stop(signal = 'SIGTERM') {
      const started = performance.now();
      proc.kill(signal);
      const code = await proc.exited;
      return { code, ms: performance.now() - started };
    },
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${output}`);
    if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) return server;
    await Bun.sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`server did not answer /api/health within 15 s:\n${output}`);
}

/** Resident memory of a process in MB, from /proc. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}
