/**
 * The live session's one encoder, run for real: frames and sound written at real-time pace come
 * out as fMP4 HLS, RTP for WebRTC and MPEG-TS on stdout, and nothing is left running after.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildLiveEncodeArgs, hlsNames } from '../../src/live/live-encode.args.js';
import { startFfmpeg } from '../../src/media/process.runner.js';
import { feedLive } from '../helpers/live-feed.js';
import {
  ffmpegChildren,
  parseRtp,
  probeCodecs,
  udpCollector,
  type RtpPacket,
} from '../helpers/live-probe.js';

const picture = { width: 320, height: 240, fps: 25, sampleRate: 16000 } as const;

/** The EXTINF durations of a playlist, in order. */
function segmentSeconds(playlist: string): number[] {
  return [...playlist.matchAll(/^#EXTINF:([0-9.]+),/gm)].map((match) => Number(match[1]));
}

/** Each access unit (RTP timestamp) that holds an IDR slice, with its NAL types in arrival order. */
function idrUnits(packets: readonly RtpPacket[]): number[][] {
  const units = new Map<number, number[]>();
  for (const packet of packets) {
    units.set(packet.timestamp, [...(units.get(packet.timestamp) ?? []), ...packet.nalTypes]);
  }
  return [...units.values()].filter((types) => types.includes(5));
}

test('frames and sound in real time come out as HLS, RTP and MPEG-TS, and nothing is left after', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-live-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [video, audio] = await Promise.all([udpCollector(), udpCollector()]);
  t.after(() => Promise.all([video.close(), audio.close()]));
  const args = buildLiveEncodeArgs({
    ...picture,
    preset: 'ultrafast',
    videoKbps: 800,
    hls: { dir, segmentSeconds: 1 },
    rtp: { videoPort: video.port, audioPort: audio.port },
    transport: true,
  });
  const encoder = startFfmpeg(args, { extraInputs: 1 });
  const transport: Buffer[] = [];
  encoder.stdout.on('data', (chunk: Buffer) => transport.push(chunk));

  const fed = await feedLive(encoder, { ...picture, seconds: 4 });
  await encoder.done;
  assert.equal(fed.frames, 100);
  assert.deepEqual(ffmpegChildren(), [], 'the encoder is gone once its done settles');

  const playlist = fs.readFileSync(path.join(dir, hlsNames.playlist), 'utf8');
  assert.match(playlist, /#EXT-X-MAP:URI="init\.mp4"/);
  const durations = segmentSeconds(playlist);
  assert.ok(durations.length >= 3, playlist);
  for (const seconds of durations.slice(0, -1)) assert.ok(Math.abs(seconds - 1) < 0.1, playlist);
  assert.deepEqual(await probeCodecs(path.join(dir, hlsNames.playlist)), ['aac', 'h264']);

  const ts = path.join(dir, 'out.ts');
  fs.writeFileSync(ts, Buffer.concat(transport));
  assert.deepEqual(await probeCodecs(ts), ['aac', 'h264']);

  const videoRtp = video.packets.map(parseRtp);
  assert.ok(videoRtp.length > 100 && videoRtp.every((p) => p.payloadType === 96));
  const idrs = idrUnits(videoRtp);
  assert.ok(idrs.length >= 4, `one IDR a second, got ${idrs.length}`);
  for (const types of idrs) {
    const sps = types.indexOf(7);
    assert.ok(
      sps >= 0 && sps < types.indexOf(8) && types.indexOf(8) < types.indexOf(5),
      types.join(','),
    );
  }
  const audioRtp = audio.packets.map(parseRtp);
  // Opus at 20 ms a packet: about 50 a second for the 4 s fed.
  assert.ok(audioRtp.length >= 150, `${audioRtp.length} Opus packets`);
  assert.ok(audioRtp.every((p) => p.payloadType === 97));
});

test('the playlist lists six segments and the six before them stay on disk a while', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-live-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const small = { width: 160, height: 120, fps: 25, sampleRate: 16000 };
  const args = buildLiveEncodeArgs({
    ...small,
    preset: 'ultrafast',
    hls: { dir, segmentSeconds: 1 },
    transport: false,
  });
  const encoder = startFfmpeg(args, { extraInputs: 1 });
  await feedLive(encoder, { ...small, seconds: 15 });
  await encoder.done;
  const playlist = fs.readFileSync(path.join(dir, hlsNames.playlist), 'utf8');
  const listed = playlist.split('\n').filter((line) => line.startsWith('seg-'));
  const number = (name: string): number => Number(/seg-(\d+)/.exec(name)?.[1]);
  const onDisk = fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('seg-'))
    .map(number)
    .sort((a, b) => a - b);
  assert.equal(listed.length, 6, playlist);
  const first = number(listed[0] ?? '');
  const last = number(listed.at(-1) ?? '');
  assert.ok(first >= 6, `the window moved on (first listed ${first})`);
  const kept = Array.from({ length: last - first + 7 }, (_, k) => first - 6 + k);
  assert.deepEqual(onDisk, kept, 'the listed segments and the six before them, no older');
});
