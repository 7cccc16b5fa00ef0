import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkVideoSource } from '../../src/avatar/source-check.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';
import { fastH264, ffmpeg, refusal, withAac } from '../helpers/media.js';

const grid = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
const names = { modelId: '0123456789abcdef0123456789abcdef_s1', fileName: 'clip.mp4' };
let dir: string;

before(() => {
  dir = tempDir();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a GRID clip is a usable source', async () => {
  const video = checkVideoSource(await probeMedia(grid), names);
  assert.deepEqual([video.width, video.height], [360, 288]);
});

test('a clip with its audio removed fails with the FAQ message', async () => {
  const silent = path.join(dir, 'silent.mp4');
  await ffmpeg(['-i', grid, '-an', ...fastH264, silent]);
  const info = await probeMedia(silent);
  const refused = refusal(() => checkVideoSource(info, names));
  assert.equal(refused.code, 6007);
  assert.equal(
    refused.message,
    '0123456789abcdef0123456789abcdef_s1 clip.mp4 has no audio track, video_summary or audio_summary not exit',
  );
});

test('audio alone, a clip too short or too small, each say so', async () => {
  const wav = path.join(samplesDir, 'audio', 'librivox_en_sense_and_sensibility_0870.wav');
  const audio = await probeMedia(wav);
  assert.match(refusal(() => checkVideoSource(audio, names)).message, /holds no video stream/);
  const short = path.join(dir, 'short.mp4');
  await ffmpeg(['-i', grid, '-t', '0.4', ...withAac, short]);
  const shortInfo = await probeMedia(short);
  assert.match(refusal(() => checkVideoSource(shortInfo, names)).message, /at least 1 s/);
  const tiny = path.join(dir, 'tiny.mp4');
  await ffmpeg(['-i', grid, '-vf', 'scale=90:72', ...withAac, tiny]);
  const tinyInfo = await probeMedia(tiny);
  const small = refusal(() => checkVideoSource(tinyInfo, names));
  assert.equal(small.code, 8002);
  assert.match(small.message, /90x72; at least 128 pixels/);
});
