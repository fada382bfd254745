export interface CliOptions {
  config?: string;
  port?: number;
  tui: boolean;
  help: boolean;
}

export const USAGE = `Usage: bun run apps/server [--config FILE] [--port N] [--tui]

  --config FILE  JSON config (default: ./config.json when present, else built-in demo settings)
  --port N       HTTP port, overrides server.port (default 5001)
  --tui          terminal dashboard (not available yet: logs are printed instead)
  --help         this text

Every config key can also be set from the environment: server.port -> CCTV_SERVER_PORT.`;

export class CliError extends Error {}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { tui: false, help: false };
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
      default:
        throw new CliError(`unknown argument "${arg}"`);
    }
  }
  return options;
}
