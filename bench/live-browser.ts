/**
 * Part 3 of bench/live: push → visible in chromium. The session's picture is dark while the mouth
 * is at rest and white while it speaks; text is pushed while idle at T (Date.now()), and the live
 * page, playing over WebRTC and then over HLS (hls.js), notes when requestVideoFrameCallback
 * presents the first white frame (performance.timeOrigin + presentationTime): V − T. Same machine,
 * same wall clock. (bench/live-webrtc-latency's page probe, folded in here and run on a real
 * session rather than a stand-in encoder.)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { LiveSession } from '../src/live/live-session.js';
import { WebrtcOutput } from '../src/live/webrtc.output.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { sessionId, startWhepServer, token } from '../test/helpers/whep-server.js';
import { waitFor } from '../test/helpers/harness.js';
import {
  benchSession,
  ms,
  percentile,
  silentScene,
  speakingSource,
  ttsUtterance,
  type Rig,
} from './live-rig.js';

/**
 * In the page: the wall time of each presented frame that turns from dark to bright, and since
 * when the picture shown has been dark (so a push waits until the last speech has left the page).
 */
const watchFrames = `(() => {
  window.__turns = [];
  window.__darkSince = 0;
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = 8; canvas.height = 8;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let bright = true;
  const onFrame = (now, meta) => {
    context.drawImage(video, 0, 0, 8, 8);
    const data = context.getImageData(0, 0, 8, 8).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i];
    // The avatar fills about half the picture (black beside it): white there averages ~135, dark ~8.
    const isBright = sum / (data.length / 4) > 64;
    const at = performance.timeOrigin + meta.presentationTime;
    if (isBright && !bright) window.__turns.push(at);
    if (!isBright && bright) window.__darkSince = at;
    if (isBright) window.__darkSince = 0;
    bright = isBright;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
})()`;

const idle = (session: LiveSession) =>
  session.speaker.idle && !session.timeline.busyFrom(session.counters().sent);

/** `pushes` pushes while idle, each timed to the page's first bright frame after it. */
async function timePushes(session: LiveSession, page: Page, pushes: number): Promise<number[]> {
  await page.evaluate(watchFrames);
  const delays: number[] = [];
  // One push first, not counted: the TTS engine's first start is not what a push costs.
  for (let k = -1; k < pushes; k++) {
    await waitFor(() => (idle(session) ? true : undefined), 30_000, 'the avatar to be idle');
    await waitFor(
      async () => {
        const since = Number(await page.evaluate('window.__darkSince'));
        return since > 0 && Date.now() - since > 1000 ? true : undefined;
      },
      30_000,
      'the page to show the resting picture',
    );
    const pushedAt = Date.now();
    session.push(ttsUtterance(`Hello, this is push number ${k + 1}.`), false);
    const shown = await waitFor(
      async () => {
        const turns: number[] = await page.evaluate('window.__turns');
        return turns.find((turn) => turn > pushedAt);
      },
      20_000,
      'the first speaking frame in the page',
    );
    if (k >= 0) delays.push(shown - pushedAt);
  }
  return delays;
}

async function openPage(page: Page, origin: string, mode: 'webrtc' | 'hls'): Promise<void> {
  const query = `token=${encodeURIComponent(token)}${mode === 'hls' ? '&mode=hls' : ''}`;
  await page.goto(`${origin}/live/${sessionId}?${query}`);
  await waitFor(
    async () =>
      Number(await page.evaluate('window.animaStats().decodedFrames')) > 0 ? true : undefined,
    30_000,
    `a first ${mode} frame`,
  );
}

export async function browserLatency(rig: Rig, pushes: number, keep?: string): Promise<void> {
  process.stdout.write(`push → first speaking frame shown in chromium, ${pushes} pushes a mode\n`);
  const output = await WebrtcOutput.open({ bindAddress: '127.0.0.1' });
  const hlsDir = fs.mkdtempSync(path.join(rig.dir, 'hls-'));
  const session = benchSession(rig, {
    width: 1280,
    height: 720,
    source: speakingSource,
    scene: silentScene,
    recycle: false,
    rtp: { videoPort: output.ports.video, audioPort: output.ports.audio },
    hlsDir,
  });
  const server = await startWhepServer(output, hlsDir);
  const { browser, close } = await launchBrowser();
  try {
    await session.start();
    for (const mode of ['webrtc', 'hls'] as const) {
      const page = await browser.newPage();
      await openPage(page, server.origin, mode);
      const delays = await timePushes(session, page, pushes);
      const stats = JSON.stringify(await page.evaluate('window.animaStats()'));
      if (keep) await page.screenshot({ path: path.join(keep, `page-${mode}.png`) });
      await page.close();
      process.stdout.write(
        `  ${mode}: p50 ${ms(percentile(delays, 0.5))}, p95 ${ms(percentile(delays, 0.95))}, ` +
          `max ${ms(Math.max(...delays))}${mode === 'webrtc' ? ' (goal < 500 ms)' : ''}; ` +
          `all ${delays.map((d) => Math.round(d)).join(' ')}; page ${stats}\n`,
      );
    }
  } finally {
    await close();
    await session.close();
    await server.close();
    await output.close();
  }
}
