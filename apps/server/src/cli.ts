import type { BuildInfo } from './binary/build-info.ts';
import { cacheRoots } from './binary/native-cache.ts';

export interface CliOptions {
  config?: string;
  port?: number;
  tui: boolean;
  help: boolean;
  version: boolean;
}

// The compiled executable (docs/BINARY.md) is started by its own name.
const PROGRAM = Bun.isStandaloneExecutable ? 'cctv-server' : 'bun run apps/server';

export const USAGE = `Usage: ${PROGRAM} [--config FILE] [--port N] [--tui]

  --config FILE  JSON config (default: ./config.json when present, else built-in demo settings)
  --port N       HTTP port, overrides server.port (default 5001)
  --tui          terminal dashboard on this terminal (q quits, d toggles detection)
  --help         this text
  --version      the version, and the versions of what is inside (Bun, ONNX Runtime, sharp/libvips)

Every config key can also be set from the environment: server.port -> CCTV_SERVER_PORT.`;

export class CliError extends Error {}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { tui: false, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new CliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--config':
        options.config = value();
        break;
      case '--port': {
        const text = value();
        const port = Number(text);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--port: got "${text}", expected a whole number from 1 to 65535`);
        options.port = port;
        break;
      }
      case '--tui':
        options.tui = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--version':
      case '-V':
        options.version = true;
        break;
      default:
        throw new CliError(`unknown argument "${arg}"`);
    }
  }
  return options;
}

/** `--version`: this program's version, then Bun's and each native part's, one per line. */
export function versionText(info: BuildInfo): string {
  const built = info.executable ? ` (${info.executable.target} executable, built ${info.executable.builtAt} from ${info.executable.commit})` : ' (from source)';
  const lines = [`cctv-server ${info.version}${built}`, `  Bun ${Bun.version} (${Bun.revision.slice(0, 9)})`];
  for (const { name, version, detail } of info.components) lines.push(`  ${name} ${version}${detail ? ` (${detail})` : ''}`);
  if (info.executable) lines.push(`  native libraries unpack on first use into ${cacheRoots()[0]}`);
  return lines.join('\n');
}
