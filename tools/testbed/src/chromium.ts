import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (apt-get install chromium); CHROMIUM_PATH for another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium with an empty profile of its own, driven by playwright-core. Background
 * networking, updates and sync are off: this machine's closed network refuses their connections
 * by the dozen. `close()` ends it and removes the profile.
 */
export async function launchChromium(options: { viewport?: { width: number; height: number }; args?: string[] } = {}): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'cctv-chromium-'));
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: options.viewport ?? { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...(options.args ?? [])],
    });
    return {
      browser,
      async close() {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

/** The dashboard player's picture (its canvas, or its <video> under MSE) scaled to 160×90, a flat RGBA array: what the user sees. */
export function playerPixels(page: Page, player = '#video'): Promise<number[]> {
  return page.evaluate((selector) => {
    const source = document.querySelector<HTMLCanvasElement | HTMLVideoElement>(`${selector} .picture:not([hidden])`)!;
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 90;
    const context = canvas.getContext('2d')!;
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    return Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data);
  }, player);
}

/** How many of the player's pixels moved (by more than 16 of 255) from the picture now to the first later one that differs; 0 if none did within `timeoutMs`. */
export async function playerMotion(page: Page, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const first = await playerPixels(page);
  while (Date.now() < deadline) {
    await Bun.sleep(200);
    const changed = (await playerPixels(page)).filter((value, i) => Math.abs(value - first[i]!) > 16).length;
    if (changed > 0) return changed;
  }
  return 0;
}
