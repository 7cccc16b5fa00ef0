import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeFrames } from '../../src/media/decode.js';
import { isAbortError } from '../../src/media/process.runner.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';
import { fastH264, ffmpeg, withAac } from '../helpers/media.js';

const grid = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
let dir: string;
const made = (name: string) => path.join(dir, name);

before(async () => {
  dir = tempDir();
  await ffmpeg(['-i', grid, '-t', '1', ...withAac, made('plain.mp4')]);
  // A phone filmed upright: the picture is stored sideways with a rotation for the player.
  await ffmpeg([
    '-i',
    made('plain.mp4'),
    '-c',
    'copy',
    '-metadata:s:v:0',
    'rotate=90',
    made('rotated.mov'),
  ]);
  // Variable frame rate: every third frame dropped, the timestamps kept (gaps of 40 and 80 ms).
  await ffmpeg([
    '-i',
    grid,
    '-vf',
    "select='mod(n\\,3)'",
    '-vsync',
    'vfr',
    '-an',
    ...fastH264,
    made('vfr.mp4'),
  ]);
  await ffmpeg([
    '-i',
    grid,
    '-t',
    '1',
    '-an',
    '-c:v',
    'libvpx-vp9',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    made('silent.webm'),
  ]);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('probe reads container, codecs, size, rate, duration and whether there is audio', async () => {
  const info = await probeMedia(grid);
  assert.equal(info.container, 'mpeg');
  assert.deepEqual(
    { ...info.video, frames: undefined },
    {
      codec: 'mpeg1video',
      width: 360,
      height: 288,
      rotation: 0,
      fps: 25,
      variableFrameRate: false,
      frames: undefined,
    },
  );
  assert.equal(info.audio?.codec, 'mp2');
  assert.ok(Math.abs(info.durationSeconds - 3) < 0.05);
  const webm = await probeMedia(made('silent.webm'));
  assert.equal(webm.video?.codec, 'vp9');
  assert.equal(webm.audio, undefined);
  const rotated = await probeMedia(made('rotated.mov'));
  assert.equal(Math.abs(rotated.video?.rotation ?? 0) % 180, 90);
  assert.deepEqual([rotated.video?.width, rotated.video?.height], [288, 360]);
  const vfr = await probeMedia(made('vfr.mp4'));
  assert.ok(vfr.video && vfr.video.fps > 15 && vfr.video.fps < 18, `fps ${vfr.video?.fps}`);
  assert.equal(vfr.video.variableFrameRate, true);
  await assert.rejects(probeMedia(path.join(dir, 'missing.mp4')), /No such file/);
});

test('frames come upright, at a constant rate, one at a time', async () => {
  const info = await probeMedia(grid);
  const size = { width: info.video?.width ?? 0, height: info.video?.height ?? 0 };
  let count = 0;
  for await (const frame of decodeFrames(grid, size, { fps: 25 })) {
    assert.equal(frame.index, count++);
    assert.equal(frame.rgb.length, 360 * 288 * 3);
  }
  assert.equal(count, 75);

  const rotated = await probeMedia(made('rotated.mov'));
  const upright = { width: rotated.video?.width ?? 0, height: rotated.video?.height ?? 0 };
  for await (const frame of decodeFrames(made('rotated.mov'), upright, { fps: 25 })) {
    assert.deepEqual([frame.width, frame.height, frame.rgb.length], [288, 360, 288 * 360 * 3]);
  }

  // Variable frame rate in (about 17 fps), 25 fps out over the same three seconds.
  let vfrFrames = 0;
  for await (const frame of decodeFrames(made('vfr.mp4'), size, { fps: 25, width: 180 })) {
    assert.deepEqual([frame.width, frame.height], [180, 144]);
    vfrFrames++;
  }
  assert.ok(vfrFrames >= 73 && vfrFrames <= 76, `${vfrFrames} frames`);
});

test('a consumer that stops early stops the decoder', async () => {
  const frames = decodeFrames(grid, { width: 360, height: 288 }, { fps: 25 });
  for await (const frame of frames) {
    if (frame.index === 2) break;
  }
  const controller = new AbortController();
  const cancelled = decodeFrames(
    grid,
    { width: 360, height: 288 },
    { fps: 25, signal: controller.signal },
  );
  await cancelled.next();
  controller.abort();
  await assert.rejects(async () => {
    for await (const frame of cancelled) void frame;
  }, isAbortError);
});

test('only the frames asked for come out, each the same as in a full decode', async () => {
  const size = { width: 360, height: 288 };
  const wanted = [70, 3, 41, 3];
  const full = new Map<number, Buffer>();
  for await (const frame of decodeFrames(grid, size, { fps: 25 })) {
    if (wanted.includes(frame.index)) full.set(frame.index, Buffer.from(frame.rgb));
  }
  const picked: number[] = [];
  for await (const frame of decodeFrames(grid, size, { fps: 25, only: wanted })) {
    picked.push(frame.index);
    assert.ok(full.get(frame.index)?.equals(frame.rgb), `frame ${frame.index} differs`);
  }
  assert.deepEqual(picked, [3, 41, 70]);
});

test('decoding stops at maxSeconds, whatever length the file holds', async () => {
  const frames: number[] = [];
  for await (const frame of decodeFrames(
    grid,
    { width: 360, height: 288 },
    {
      fps: 25,
      width: 64,
      maxSeconds: 1,
    },
  )) {
    frames.push(frame.index);
  }
  assert.equal(frames.length, 25);
});
