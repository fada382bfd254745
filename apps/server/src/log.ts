import { redactUrl } from '@cctv/capture';

type Level = 'info' | 'warn' | 'error';

/** Plain timestamped lines on stderr; every line passes through URL redaction first. */
export const log = {
  info: (message: string) => write('info', message),
  warn: (message: string) => write('warn', message),
  error: (message: string) => write('error', message),
};

function write(level: Level, message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${redactUrl(message)}\n`);
}
