/**
 * bench/live-webrtc-latency: how long a change in the picture takes to show in a browser over
 * WebRTC. Node writes frames to a real encoder (x264 zero latency, as the live session's), black
 * and white by turns every two seconds (so a delay under 2 s pairs with its own switch), noting the wall time it writes each switch; the encoder's RTP
 * goes through WebrtcOutput to headless chromium, where the page notes the wall time at which
 * each presented frame (requestVideoFrameCallback, expectedDisplayTime) turns. Same machine, same
 * clock. Prints the delays.
 *
 *   node dist/bench/live-webrtc-latency.js [--seconds 20]
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { WebrtcOutput } from '../src/live/webrtc.output.js';
import { isAbortError, startFfmpeg } from '../src/media/process.runner.js';
import { launchBrowser } from '../test/helpers/browser.js';
import {
  buildRtpSourceArgs,
  sessionId,
  startWhepServer,
  token,
} from '../test/helpers/whep-server.js';
import { waitFor } from '../test/helpers/harness.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const seconds = Number(values.seconds);
const [width, height, fps] = [640, 360, 25];
/** Frames between switches: two seconds. */
const period = 2 * fps;

/** In the page: note when each presented frame turns from dark to bright or back. */
const watchFrames = `(() => {
  window.__turns = [];
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = 8; canvas.height = 8;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let bright = null;
  const onFrame = (now, meta) => {
    context.drawImage(video, 0, 0, 8, 8);
    const data = context.getImageData(0, 0, 8, 8).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i];
    const isBright = sum / (data.length / 4) > 128;
    if (bright !== null && isBright !== bright) {
      window.__turns.push(performance.timeOrigin + meta.expectedDisplayTime);
    }
    bright = isBright;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
})()`;

const output = await WebrtcOutput.open({ bindAddress: '127.0.0.1' });
const server = await startWhepServer(output);
const { browser, close } = await launchBrowser();
const stop = new AbortController();
const rawInput = ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`];
const encoder = startFfmpeg(
  buildRtpSourceArgs(output.ports, [...rawInput, '-r', String(fps), '-i', '-']),
  { signal: stop.signal },
);
const ended = encoder.done.catch((error: unknown) => {
  if (!isAbortError(error)) throw error;
});
const frames = [Buffer.alloc(width * height * 3, 0), Buffer.alloc(width * height * 3, 255)];
const switches: number[] = [];
let frameNo = 0;
const t0 = Date.now();
/** Frames on absolute deadlines (t0 + n × 40 ms), the colour turning every second. */
const writeFrames = async (until: number): Promise<void> => {
  while (Date.now() < until) {
    const colour = Math.floor(frameNo / period) % 2;
    if (frameNo % period === 0 && frameNo > 0) switches.push(Date.now());
    if (!encoder.stdin.write(frames[colour])) await once(encoder.stdin, 'drain');
    frameNo += 1;
    const wait = t0 + (frameNo * 1000) / fps - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
};
try {
  const writing = writeFrames(t0 + (seconds + 4) * 1000);
  const page = await browser.newPage();
  await page.goto(`${server.origin}/live/${sessionId}?token=${encodeURIComponent(token)}`);
  await waitFor(
    async () =>
      Number(await page.evaluate('window.animaStats().decodedFrames')) > 0 ? true : undefined,
    15_000,
    'a first frame',
  );
  await page.evaluate(watchFrames);
  await writing;
  const turns: number[] = await page.evaluate('window.__turns');
  const stats = JSON.stringify(await page.evaluate('window.animaStats()'));
  await page.close();
  const delays = turns
    .map((turn) => turn - Math.max(...switches.filter((s) => s < turn)))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
  console.log(
    `WebRTC picture change → shown in chromium: ${delays.length} changes, ` +
      `median ${at(0.5)?.toFixed(0)} ms, max ${delays.at(-1)?.toFixed(0)} ms ` +
      `(all: ${delays.map((d) => d.toFixed(0)).join(' ')})`,
  );
  console.log('page stats at the end:', stats);
} finally {
  await close();
  stop.abort();
  encoder.stdin.destroy(); // frames still queued would hold the pipe, and the process, open
  await ended;
  await server.close();
  await output.close();
}
