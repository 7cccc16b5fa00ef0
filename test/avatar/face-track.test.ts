import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { trackFaces } from '../../src/avatar/face-track.js';
import { FacePool } from '../../src/engines/face/face-pool.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { decodeFrames } from '../../src/media/decode.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';
import { fastH264, ffmpeg, rejection, withAac } from '../helpers/media.js';

const grid = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
const names = { modelId: '0123456789abcdef0123456789abcdef_s1', fileName: 'clip.mp4' };
let engine: HumanFaceEngine;
let dir: string;

before(async () => {
  engine = await HumanFaceEngine.load();
  dir = tempDir();
});
after(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function track(file: string) {
  const info = await probeMedia(file);
  const size = { width: info.video?.width ?? 0, height: info.video?.height ?? 0 };
  return trackFaces(decodeFrames(file, size, { fps: 25 }), engine, names);
}

test('every frame of a GRID clip has its one face, landmarks kept, frames not', async () => {
  const result = await track(grid);
  assert.equal(result.frames.length, 75);
  assert.deepEqual([result.width, result.height], [360, 288]);
  assert.equal(result.landmarks.read(74).length, 468 * 3);
});

/** The clip with 5 black frames spliced in at frame 30: made once, by whichever test asks first. */
let splicedClip: Promise<string> | undefined;
function spliced(): Promise<string> {
  splicedClip ??= (async () => {
    const file = path.join(dir, 'spliced.mp4');
    // Frames 0-29 of the clip, 5 black frames, then the rest.
    await ffmpeg([
      '-i',
      grid,
      '-filter_complex',
      '[0:v]split[a][b];[a]trim=end_frame=30,setpts=PTS-STARTPTS[head];[b]trim=start_frame=30,setpts=PTS-STARTPTS[tail];color=black:s=360x288:r=25:d=0.2[black];[head][black][tail]concat=n=3:v=1:a=0[v]',
      '-map',
      '[v]',
      '-map',
      '0:a',
      ...withAac,
      file,
    ]);
    return file;
  })();
  return splicedClip;
}

test('black frames spliced in fail at the first of them, with the FAQ message', async () => {
  const error = await rejection(track(await spliced()));
  assert.equal(error.code, 6006);
  assert.equal(
    error.message,
    '0123456789abcdef0123456789abcdef_s1 is failed Error: Frame Index :30 find 0 faces!',
  );
});

test('two people, a face too small, or a face cut by the edge each get their own error', async () => {
  const two = path.join(dir, 'two.mp4');
  await ffmpeg([
    '-i',
    grid,
    '-t',
    '0.4',
    '-filter_complex',
    '[0:v][0:v]hstack[v]',
    '-map',
    '[v]',
    ...fastH264,
    two,
  ]);
  assert.equal((await rejection(track(two))).code, 8003);
  const small = path.join(dir, 'small.mp4');
  await ffmpeg([
    '-i',
    grid,
    '-t',
    '0.4',
    '-vf',
    'scale=120:96,pad=360:288:120:96',
    ...fastH264,
    small,
  ]);
  const tooSmall = await rejection(track(small));
  assert.equal(tooSmall.code, 8004, tooSmall.message);
  const cut = path.join(dir, 'cut.mp4');
  await ffmpeg(['-i', grid, '-t', '0.4', '-vf', 'crop=190:288:0:0', ...fastH264, cut]);
  const edge = await rejection(track(cut));
  assert.equal(edge.code, 8005, edge.message);
  assert.equal(edge.message, 'the face leaves the picture in frame 0');
});

test('two face workers track the same clip, in order, and fail at the same frame', async () => {
  const pool = new FacePool(2);
  try {
    const info = await probeMedia(grid);
    const size = { width: info.video?.width ?? 0, height: info.video?.height ?? 0 };
    const result = await trackFaces(decodeFrames(grid, size, { fps: 25 }), pool, names);
    assert.deepEqual(
      result.frames.map((frame) => frame.index),
      Array.from({ length: 75 }, (_, i) => i),
    );
    const error = await rejection(
      trackFaces(decodeFrames(await spliced(), size, { fps: 25 }), pool, names),
    );
    assert.match(error.message, /Frame Index :30 find 0 faces!$/);
  } finally {
    await pool.close();
  }
});
