import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { isAbortError, runFfmpeg, startFfmpeg } from '../../src/media/process.runner.js';
import { WebrtcOutput } from '../../src/live/webrtc.output.js';
import { WhepOfferError } from '../../src/live/whep.sdp.js';
import { launchBrowser } from '../helpers/browser.js';
import { waitFor } from '../helpers/harness.js';
import { buildRtpSourceArgs, sessionId, startWhepServer, token } from '../helpers/whep-server.js';

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

/** Kept by each page, so a test can close the connection behind the page's back. */
const trackPeers = `{
  const Native = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__peers.push(this); }
  };
}`;

async function openLivePage(): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(trackPeers);
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
  const seen = JSON.stringify({ first, later });
  assert.equal(later.mode, 'webrtc', seen);
  assert.ok(later.decodedFrames > first.decodedFrames + 10, seen);
  assert.equal(later.droppedFrames, 0, seen);
  assert.deepEqual([later.width, later.height], [640, 360], seen);
  assert.equal(later.playing, true, seen);
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
  // The browser may close DTLS before its DELETE arrives; the DELETE is answered 204 either way.
  const deleted = await waitFor(
    () => server.log.requests.find((r) => r.startsWith('DELETE')),
    10_000,
    'the DELETE',
  );
  assert.match(deleted, /^DELETE 204 /);
  assert.equal(await output.removeViewer(deleted.slice('DELETE 204 '.length)), true, 'again');
  assert.equal(await output.removeViewer('no-such-viewer'), false);
  assert.deepEqual(viewerCounts, [1, 0]);
  await page.close();
});

/** A real chromium offer, its codecs cut down to `keep` (a mime type prefix per kind). */
async function chromiumOffer(keep: { video: string; audio: string }): Promise<string> {
  const page = await browser.newPage();
  try {
    // Browser code as text: the test project has no DOM types.
    return await page.evaluate(`(async (keep) => {
      const pc = new RTCPeerConnection();
      for (const kind of ['video', 'audio']) {
        const transceiver = pc.addTransceiver(kind, { direction: 'recvonly' });
        const codecs = RTCRtpReceiver.getCapabilities(kind).codecs;
        transceiver.setCodecPreferences(codecs.filter((c) => c.mimeType.startsWith(keep[kind])));
      }
      const offer = await pc.createOffer();
      pc.close();
      return offer.sdp;
    })(${JSON.stringify(keep)})`);
  } finally {
    await page.close();
  }
}

test('an offer without H.264 is refused with the typed error, over WHEP too, and adds no viewer', async () => {
  const vp8Only = await chromiumOffer({ video: 'video/VP8', audio: 'audio/opus' });
  assert.match(vp8Only, /VP8\/90000/);
  assert.doesNotMatch(vp8Only, /H264/);
  await assert.rejects(output.addViewer(vp8Only), (error: unknown) => {
    assert.ok(error instanceof WhepOfferError);
    assert.equal(error.problem, 'noH264');
    assert.match(error.message, /does not accept H\.264/);
    return true;
  });
  const answer = await fetch(`${server.origin}/live/${sessionId}/whep`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: vp8Only,
  });
  assert.equal(answer.status, 400);
  assert.match(await answer.text(), /H\.264/);
  const noOpus = await chromiumOffer({ video: 'video/H264', audio: 'audio/G722' });
  await assert.rejects(output.addViewer(noOpus), { name: 'WhepOfferError', problem: 'noOpus' });
  assert.equal(output.viewerCount, 0);
});

test('two viewers at once both play; a browser that closes its connection without DELETE is removed', async () => {
  const [one, two] = await Promise.all([openLivePage(), openLivePage()]);
  assert.equal(output.viewerCount, 2);
  await Promise.all([assertPlaying(one), assertPlaying(two)]);
  const deletes = server.log.requests.filter((r) => r.startsWith('DELETE')).length;
  // The page's own RTCPeerConnection, closed from inside: no pagehide, so no DELETE is sent.
  await one.evaluate('window.__peers.forEach((pc) => pc.close())');
  await waitFor(() => (output.viewerCount === 1 ? true : undefined), 15_000, 'one viewer left');
  assert.equal(server.log.requests.filter((r) => r.startsWith('DELETE')).length, deletes);
  await assertPlaying(two);
  await Promise.all([one.close(), two.close()]);
});

test('the push box posts text, interrupt and stop, shows answers and refusals; an ended session stops playing', async () => {
  const page = await openLivePage();
  await page.fill('#text', 'Hello there.');
  await page.check('#interrupt');
  await page.click('#say');
  await waitFor(
    async () => ((await page.textContent('#pushAnswer')) === 'Sent: true' ? true : undefined),
    5000,
    'a push answer',
  );
  await page.click('#stop');
  await waitFor(() => (server.log.pushes.length === 2 ? true : undefined), 5000, 'the stop');
  await page.fill('#text', 'refuse me');
  await page.uncheck('#interrupt');
  await page.click('#say');
  await waitFor(
    async () =>
      (await page.textContent('#pushAnswer'))?.includes('3333 bad text') ? true : undefined,
    5000,
    'a refusal',
  );
  assert.deepEqual(server.log.pushes, [
    { sessionId, interrupt: true, text: 'Hello there.' },
    { sessionId, interrupt: true },
    { sessionId, interrupt: false, text: 'refuse me' },
  ]);
  server.log.state = 'ended';
  await waitFor(
    async () => ((await page.isVisible('#ended')) ? true : undefined),
    5000,
    'the ended notice',
  );
  const stopped = await stats(page);
  assert.equal(stopped.playing, false);
  await waitFor(() => (output.viewerCount === 0 ? true : undefined), 5000, 'the viewer gone');
  server.log.state = 'running';
  await page.close();
});

/** The UDP sockets this process holds, as `ss` lists them. */
function ownUdpSockets(): string[] {
  return execFileSync('ss', ['-uanp'])
    .toString()
    .split('\n')
    .filter((line) => line.includes(`pid=${process.pid},`));
}

test('close() ends every viewer and leaves no UDP socket: the encoder ports bind again', async () => {
  const page = await openLivePage();
  assert.ok(ownUdpSockets().length >= 3, ownUdpSockets().join('\n')); // two ports and ICE's
  const { video, audio } = output.ports;
  await output.close();
  assert.equal(output.viewerCount, 0);
  assert.deepEqual(ownUdpSockets(), []);
  for (const port of [video, audio]) {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  await page.close();
});
