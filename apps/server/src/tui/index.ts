import { log, setLogSink, type LogLine } from '../log.ts';
import type { ServerState } from '../state.ts';

export interface TuiOptions {
  state: ServerState;
  /** `q` or Ctrl-C: the same shutdown as SIGINT. */
  onQuit: () => void;
}

export interface Tui {
  stop(): Promise<void>;
}

/** The last log lines, for the TUI's log panel; listeners hear of each new one. */
export class LogLines {
  readonly #lines: LogLine[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(private readonly keep = 200) {}

  push(line: LogLine): void {
    this.#lines.push(line);
    if (this.#lines.length > this.keep) this.#lines.shift();
    for (const listener of this.#listeners) listener();
  }

  last(n: number): LogLine[] {
    return n > 0 ? this.#lines.slice(-n) : [];
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * The terminal dashboard (`--tui`) on this process's own terminal. Log lines go to its log panel
 * instead of stderr while it runs. Without a terminal (stdout piped or redirected) it says so in
 * one line and the server logs plain lines as usual.
 */
export function startTui(options: TuiOptions): Tui {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    console.log('--tui: not a terminal (stdout or stdin is not a TTY); printing plain log lines instead');
    return { stop: async () => {} };
  }
  const lines = new LogLines();
  setLogSink((line) => lines.push(line));
  // ink and React cost ~160 ms and ~40 MB to load: only a server started with --tui pays that.
  const running = import('./dashboard.tsx')
    .then(({ renderDashboard }) => renderDashboard({ ...options, lines }))
    .catch((error: Error) => {
      setLogSink(undefined);
      log.error(`--tui: cannot start the terminal dashboard: ${error.message}; printing plain log lines instead`);
      return undefined;
    });
  return {
    async stop() {
      const dashboard = await running;
      await dashboard?.stop();
      setLogSink(undefined);
      // The last lines, so what happened just before quitting stays visible in the terminal.
      for (const line of lines.last(5)) process.stderr.write(`${new Date(line.at).toISOString()} ${line.level.padEnd(5)} ${line.message}\n`);
    },
  };
}
