/**
 * The RTMP push against a real ingest (nginx-rtmp on loopback): the encoder's MPEG-TS reaches it
 * and reads back as H.264 + AAC; when the ingest goes away the relay retries while the encoder
 * goes on, and it is live again once the ingest is back. Nothing is left running after.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildLiveEncodeArgs } from '../../src/live/live-encode.args.js';
import { RtmpRelay, type RelayState, type RtmpRelayOptions } from '../../src/live/rtmp-relay.js';
import { runFfmpeg, startFfmpeg } from '../../src/media/process.runner.js';
import { feedLive } from '../helpers/live-feed.js';
import { ffmpegChildren, probeCodecs } from '../helpers/live-probe.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';

const picture = { width: 320, height: 240, fps: 25, sampleRate: 16000 } as const;

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  for (let waited = 0; !ok(); waited += 50) {
    if (waited > timeoutMs) assert.fail(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** An encoder fed in real time (until stopped) whose MPEG-TS goes to a relay to `url`. */
function startPush(t: TestContext, url: string, options: Partial<RtmpRelayOptions> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-push-'));
  const states: RelayState[] = [];
  const relay = new RtmpRelay({ ...options, url, onState: (state) => states.push(state) });
  const args = buildLiveEncodeArgs({
    ...picture,
    preset: 'ultrafast',
    videoKbps: 600,
    hls: { dir, segmentSeconds: 1 },
    transport: true,
  });
  const encoder = startFfmpeg(args, { extraInputs: 1 });
  let transportBytes = 0;
  encoder.stdout.on('data', (chunk: Buffer) => {
    transportBytes += chunk.length;
    relay.write(chunk);
  });
  const stopFeed = new AbortController();
  const fed = feedLive(encoder, { ...picture, seconds: 25, signal: stopFeed.signal });
  const close = async (): Promise<void> => {
    stopFeed.abort();
    await fed;
    await encoder.done;
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  t.after(close);
  return { relay, states, transportBytes: () => transportBytes, close };
}

test('the encoder’s MPEG-TS reaches a real RTMP ingest and reads back as H.264 + AAC', async (t) => {
  const nginx = await startNginxRtmp();
  t.after(() => nginx.close());
  const push = startPush(t, nginx.url('first'));
  await until('the relay is live', () => push.relay.state === 'live');
  assert.deepEqual(await probeCodecs(nginx.url('first')), ['aac', 'h264']);
  assert.equal(push.relay.stats().connects, 1);
  await push.close();
  assert.equal(push.relay.state, 'closed');
  assert.deepEqual(push.states, ['live', 'closed']);
  assert.deepEqual(ffmpegChildren(), [], 'neither the encoder nor the push ffmpeg is left');
});

test('an ingest that drops is retried while the encoder goes on, and is live again once back', async (t) => {
  const nginx = await startNginxRtmp();
  t.after(() => nginx.close());
  const push = startPush(t, nginx.url('again'));
  await until('the relay is live', () => push.relay.state === 'live');

  await nginx.stop();
  await until('the relay retries', () => push.relay.state === 'retrying');
  const bytesAtDrop = push.transportBytes();
  const droppedAtDrop = push.relay.stats().droppedBytes;
  await sleep(2500); // at least one refused attempt while the ingest is away
  assert.ok(push.transportBytes() > bytesAtDrop, 'the encoder went on while the ingest was away');
  assert.ok(push.relay.stats().droppedBytes > droppedAtDrop, 'what came meanwhile was dropped');
  assert.ok(push.relay.lastFailure, 'the failure is told in words');

  await nginx.start();
  await until('the relay is live again', () => push.relay.state === 'live', 20_000);
  assert.deepEqual(await probeCodecs(nginx.url('again')), ['aac', 'h264']);
  const { connects, attempts } = push.relay.stats();
  assert.equal(connects, 2);
  assert.ok(attempts >= 3, `${attempts} attempts: the first, a refused one, the one that took`);
  assert.deepEqual(push.states.slice(0, 3), ['live', 'retrying', 'connecting']);
  assert.equal(push.states.at(-1), 'live');
  t.diagnostic(`states ${push.states.join(' → ')}; failure: ${push.relay.lastFailure}`);
  t.diagnostic(`stats ${JSON.stringify(push.relay.stats())}`);
  await push.close();
  assert.deepEqual(ffmpegChildren(), []);
});

test('an ingest that takes the connection but never answers costs the session nothing', async (t) => {
  // A TCP server that accepts and then says nothing: ffmpeg waits in the RTMP handshake and reads
  // no more of its input, so everything past the relay's buffer bound must be dropped.
  const silent: net.Socket[] = [];
  const server = net.createServer((socket) => silent.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of silent) socket.destroy();
    server.close();
  });
  const { port } = server.address() as net.AddressInfo;
  // Three seconds of a busy picture as MPEG-TS, given to the relay over and over at ~3 MB/s.
  const { stdout: ts } = await runFfmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=25', '-f', 'lavfi', '-i', 'sine'],
    ...['-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'mpegts', '-'],
  ]);
  const relay = new RtmpRelay({
    url: `rtmp://127.0.0.1:${port}/live/mute`,
    maxBufferedBytes: 64 * 1024,
    connectTimeoutMs: 4000,
  });
  t.after(() => relay.close());
  let given = 0;
  while (relay.state === 'connecting' && given < 64 * 1024 * 1024) {
    const at = given % ts.length;
    relay.write(ts.subarray(at, at + 65_536));
    given += Math.min(65_536, ts.length - at);
    await sleep(20);
  }
  const { bytes, droppedBytes, connects } = relay.stats();
  t.diagnostic(`given ${given}, handed to ffmpeg ${bytes}, dropped ${droppedBytes}`);
  assert.equal(relay.state, 'retrying', 'the attempt was given up');
  assert.match(relay.lastFailure ?? '', /did not take the stream for 4 s/);
  assert.equal(connects, 0);
  // What ffmpeg read while probing, what the pipe holds, and the bound: the rest was dropped.
  assert.ok(bytes < 3 * 1024 * 1024, `${bytes} bytes handed over`);
  assert.ok(bytes + droppedBytes >= given - 188, 'every byte is either handed over or dropped');
  assert.ok(droppedBytes > given / 2, `${droppedBytes} of ${given} dropped`);
  await relay.close();
  assert.deepEqual(ffmpegChildren(), []);
});
