import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './rtsp-camera.ts';

export interface MosquittoOptions {
  /** Loopback port of the plain listener; a free one is picked when omitted. */
  port?: number;
  /** Only these users may connect (a password file made by mosquitto_passwd); anonymous otherwise. */
  users?: Record<string, string>;
  /** A TLS listener too, with a certificate for localhost and 127.0.0.1 signed by a CA made here (`caFile`). */
  tls?: boolean;
  /** Keep retained messages and persistent sessions across `restart()` (saved on SIGTERM); off by default, as a broker that lost its memory. */
  persistence?: boolean;
}

export interface Mosquitto {
  /** `mqtt://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** With `tls`: `mqtts://localhost:<tlsPort>`, whose certificate only `caFile` vouches for. */
  tlsUrl: string | undefined;
  tlsPort: number | undefined;
  /** With `tls`: the PEM of the CA that signed the broker's certificate. */
  caFile: string | undefined;
  /** The broker's log so far (connections, disconnections, errors). */
  log(): string;
  /** SIGTERM (SIGKILL after 3 s), and waits for it to exit; the temp folder is removed. */
  stop(): Promise<void>;
  /** A broker that goes away: stops it (its clients see the connection drop; new ones are refused) but keeps its config and data. */
  down(): Promise<void>;
  /** Starts it again on the same ports, after `down()`. */
  up(): Promise<void>;
  /** `down()` then `up()`. */
  restart(): Promise<void>;
}

/** How long mosquitto may take to print that it is running. */
const READY_TIMEOUT_MS = 10_000;

/** A real MQTT broker (Debian's mosquitto) on 127.0.0.1, with its own config in a temp folder, never the system service. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-mosquitto-'));
  const port = options.port ?? (await freeLoopbackPort());
  const tlsPort = options.tls ? await freeLoopbackPort() : undefined;
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.users ? 'false' : 'true'}`,
    // stderr: unbuffered, so each line shows as it happens (stdout into a pipe is held back in blocks).
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    // Started as root, mosquitto switches to the `mosquitto` user, which cannot read this 0700 folder.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
  ];
  if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`);
  if (options.users) {
    const file = join(dir, 'passwords');
    writeFileSync(file, '');
    for (const [user, password] of Object.entries(options.users)) await run(['mosquitto_passwd', '-b', file, user, password]);
    lines.push(`password_file ${file}`);
  }
  let caFile: string | undefined;
  if (tlsPort !== undefined) {
    const tls = await makeCertificates(dir);
    caFile = tls.caFile;
    lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`);
  }
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, `${lines.join('\n')}\n`);

  let output = '';
  let proc = await launch(config, (text) => (output += text));
  const up = async () => {
    if (proc.exitCode === null && proc.signalCode === null) return;
    proc = await launch(config, (text) => (output += text));
  };
  const down = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    // mosquitto sometimes sleeps through a SIGTERM sent just after it started (seen with a TLS
    // listener: still running 3 s later), so it is repeated until it exits.
    proc.kill('SIGTERM');
    const repeat = setInterval(() => proc.kill('SIGTERM'), 200);
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await proc.exited;
    clearInterval(repeat);
    clearTimeout(killer);
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    tlsUrl: tlsPort === undefined ? undefined : `mqtts://localhost:${tlsPort}`,
    tlsPort,
    caFile,
    log: () => output,
    async stop() {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
    down,
    up,
    async restart() {
      await down();
      await up();
    },
  };
}

async function launch(config: string, onOutput: (text: string) => void): Promise<Bun.Subprocess<'ignore', 'pipe', 'pipe'>> {
  const proc = Bun.spawn(['mosquitto', '-c', config], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let seen = '';
  let ready: () => void = () => {};
  const running = new Promise<void>((resolve) => (ready = resolve));
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      seen += text;
      onOutput(text);
      if (/mosquitto version \S+ running/.test(seen)) ready();
    }
  };
  void read(proc.stdout).catch(() => {});
  void read(proc.stderr).catch(() => {});
  const outcome = await Promise.race([
    running.then(() => 'running' as const),
    proc.exited.then(() => 'exited' as const),
    Bun.sleep(READY_TIMEOUT_MS).then(() => 'timeout' as const),
  ]);
  if (outcome !== 'running') {
    proc.kill('SIGKILL');
    await proc.exited;
    throw new Error(`mosquitto -c ${config} ${outcome === 'exited' ? `exited (code ${proc.exitCode})` : `did not say it was running within ${READY_TIMEOUT_MS / 1000} s`}:\n${seen}`);
  }
  return proc;
}

/** A CA, and a server certificate it signed for localhost and 127.0.0.1 (P-256 keys: quick to make). */
async function makeCertificates(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(['openssl', 'req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=cctv test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run(['openssl', 'req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await run(['openssl', 'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext')]);
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

async function run(command: string[]): Promise<void> {
  const proc = Bun.spawn(command, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`${command[0]} exited ${code}: ${stderr}`);
}
