import { redactSecrets } from './redact.ts';

type Level = 'info' | 'warn' | 'error';

/** One log line, already redacted. */
export interface LogLine {
  at: number;
  level: Level;
  message: string;
}

/** Plain timestamped lines on stderr; every line passes through URL redaction first. */
export const log = {
  info: (message: string) => write('info', message),
  warn: (message: string) => write('warn', message),
  error: (message: string) => write('error', message),
};

/** Where lines go instead of stderr while set: the TUI's log panel, which would be torn by raw writes. */
let sink: ((line: LogLine) => void) | undefined;

export function setLogSink(next: ((line: LogLine) => void) | undefined): void {
  sink = next;
}

function write(level: Level, message: string): void {
  // The last line of defence: the running config's secrets and anything shaped like one.
  const line: LogLine = { at: Date.now(), level, message: redactSecrets(message) };
  if (sink) sink(line);
  else process.stderr.write(`${new Date(line.at).toISOString()} ${level.padEnd(5)} ${line.message}\n`);
}
