import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Integrations, SHEETS_DEFAULTS, TELEGRAM_DEFAULTS, type CommandSources, type IntegrationsOptions, type Logger, type SheetsSettings, type TelegramSettings } from '../src/index.ts';

export const dir = mkdtempSync(join(tmpdir(), 'cctv-integrations-'));
let n = 0;
export const outboxFile = () => join(dir, `outbox-${n++}.sqlite`);

/** Lines the integrations logged, for checking what they say (and what they never say). */
export function captureLog(): Logger & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    error: (m) => void lines.push(`error ${m}`),
    text: () => lines.join('\n'),
  };
}

/** Off, and quick to give up and to repeat an alert: what most tests start from. */
export const SHEETS_OFF: SheetsSettings = { ...SHEETS_DEFAULTS, enabled: false, cooldownS: 0, requestTimeoutS: 5 };

export const TELEGRAM_OFF: TelegramSettings = { ...TELEGRAM_DEFAULTS, enabled: false, cooldownS: 0, pollTimeoutS: 1, requestTimeoutS: 5 };

export function integrations(options: {
  sheets?: Partial<SheetsSettings>;
  telegram?: Partial<TelegramSettings>;
  outboxPath?: string;
  maxEntries?: number;
  log?: Logger;
  status?: () => string;
  snapshot?: CommandSources['snapshot'];
  snapshots?: IntegrationsOptions['snapshots'];
}): Integrations {
  return new Integrations({
    sheets: { ...SHEETS_OFF, ...options.sheets },
    telegram: { ...TELEGRAM_OFF, ...options.telegram },
    outbox: { path: options.outboxPath ?? outboxFile(), maxEntries: options.maxEntries ?? 100 },
    retry: { initialMs: 50, maxMs: 300 },
    snapshots: options.snapshots,
    commands: { status: options.status ?? (() => 'Camera: Streaming at 15 fps'), stats: () => 'Detections: 0', snapshot: options.snapshot ?? (async () => ({ text: 'No frame yet.' })) },
    log: options.log ?? captureLog(),
  });
}

/** A real JPEG (sharp-encoded), as the pipeline would hand over. */
export async function jpeg(width = 64, height = 48, color = '#c03020'): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width, height, channels: 3, background: color } }).jpeg({ quality: 80 }).toBuffer());
}

export async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}
