import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { isAbortError, runFfmpeg, startFfmpeg } from '../../src/media/process.runner.js';
import { WebrtcOutput } from '../../src/live/webrtc.output.js';
import { launchBrowser } from '../helpers/browser.js';
import {
  buildRtpSourceArgs,
  sessionId,
  startWhepServer,
  token,
  waitFor,
} from '../helpers/whep-server.js';

interface Stats {
  mode: string;
  decodedFrames: number;
  droppedFrames: number;
  width: number;
  height: number;
  playing: boolean;
}

const viewerCounts: number[] = [];
let output: WebrtcOutput;
let server: Awaited<ReturnType<typeof startWhepServer>>;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const encoder = new AbortController();
let encoderDone: Promise<unknown>;

before(async () => {
  output = await WebrtcOutput.open({
    bindAddress: '127.0.0.1',
    onViewers: (count) => viewerCounts.push(count),
  });
  encoderDone = startFfmpeg(buildRtpSourceArgs(output.ports), {
    signal: encoder.signal,
  }).done.catch((error: unknown) => {
    if (!isAbortError(error)) throw error;
  });
  server = await startWhepServer(output);
  ({ browser, close: closeBrowser } = await launchBrowser());
});

after(async () => {
  await closeBrowser?.();
  encoder.abort();
  await encoderDone;
  await server?.close();
  await output?.close();
});

const stats = (page: Page): Promise<Stats> => page.evaluate('window.animaStats()');

async function openLivePage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/live/${sessionId}?token=${encodeURIComponent(token)}`);
  await waitFor(
    async () => ((await stats(page)).decodedFrames > 0 ? true : undefined),
    15_000,
    'a first decoded frame',
  );
  return page;
}

/** Decoded frames keep rising over a second and a half, none dropped, at the sender's size. */
async function assertPlaying(page: Page): Promise<void> {
  const first = await stats(page);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const later = await stats(page);
  assert.equal(later.mode, 'webrtc');
  assert.ok(later.decodedFrames > first.decodedFrames + 10, JSON.stringify({ first, later }));
  assert.equal(later.droppedFrames, 0);
  assert.deepEqual([later.width, later.height], [640, 360]);
  assert.equal(later.playing, true);
}

/** Mean brightness and how many coarse colours a PNG holds (black: ~0 and 1). */
async function pictureStats(png: Buffer): Promise<{ mean: number; colours: number }> {
  const file = path.join(os.tmpdir(), `anima-live-shot-${process.pid}.png`);
  fs.writeFileSync(file, png);
  try {
    const { stdout } = await runFfmpeg(['-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    let sum = 0;
    const colours = new Set<number>();
    for (let i = 0; i + 2 < stdout.length; i += 3) {
      const [r, g, b] = [stdout[i]!, stdout[i + 1]!, stdout[i + 2]!];
      sum += (r + g + b) / 3;
      colours.add(((r >> 5) << 6) | ((g >> 5) << 3) | (b >> 5));
    }
    return { mean: sum / (stdout.length / 3), colours: colours.size };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

test('a browser plays the session by WHEP: frames rise, none dropped, a real picture; leaving DELETEs', async () => {
  const page = await openLivePage();
  assert.equal(output.viewerCount, 1);
  await assertPlaying(page);
  const shot = await page.locator('#video').screenshot();
  if (process.env.ANIMA_KEEP_SHOT) fs.writeFileSync(process.env.ANIMA_KEEP_SHOT, shot);
  const picture = await pictureStats(shot);
  assert.ok(picture.mean > 40 && picture.colours > 20, JSON.stringify(picture));
  // Leaving the page (pagehide) sends the WHEP DELETE, which removes the viewer.
  await page.goto('about:blank');
  await waitFor(() => (output.viewerCount === 0 ? true : undefined), 10_000, 'no viewer');
  assert.match(server.log.requests.at(-1) ?? '', /^DELETE 204 /);
  assert.deepEqual(viewerCounts, [1, 0]);
  await page.close();
});
