import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's chromium, headless, driven by playwright-core (no browser download). Autoplay without
 * a gesture, so the live page plays as a viewer's muted tab would. Callers close it in a
 * `finally` or `after`.
 */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  return { browser, close: () => browser.close() };
}
