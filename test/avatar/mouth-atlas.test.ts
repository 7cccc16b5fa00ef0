import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { trackFaces, type FaceTrack } from '../../src/avatar/face-track.js';
import { cutMouth } from '../../src/avatar/mouth-crop.js';
import { chooseAtlas } from '../../src/avatar/mouth-atlas.js';
import { visemes } from '../../src/avatar/visemes.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { decodeFrames } from '../../src/media/decode.js';
import { encodePng } from '../../src/media/png.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';

const grid = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
const size = { width: 360, height: 288 };
let engine: HumanFaceEngine;
let track: FaceTrack;
const dir = tempDir();

before(async () => {
  engine = await HumanFaceEngine.load();
  track = await trackFaces(decodeFrames(grid, size, { fps: 25 }), engine, {
    modelId: 'm_s1',
    fileName: 'grid.mpg',
  });
});
after(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every class gets a frame; closed is the least open, open the most', () => {
  const atlas = chooseAtlas(track.frames);
  assert.deepEqual(
    atlas.map((choice) => choice.viseme),
    [...visemes],
  );
  const openness = (viseme: string) => {
    const frame = atlas.find((choice) => choice.viseme === viseme)?.frame ?? -1;
    return track.frames[frame]?.mouth.openNorm ?? NaN;
  };
  assert.ok(openness('closed') < openness('mid'), `${openness('closed')} < ${openness('mid')}`);
  assert.ok(openness('mid') < openness('open'), `${openness('mid')} < ${openness('open')}`);
  assert.ok(
    atlas.filter((choice) => !choice.borrowedFrom).length >= 4,
    'a speaking clip shows several shapes',
  );
});

test('mouth images are cut from the chosen frames and encode as PNG', async () => {
  const atlas = chooseAtlas(track.frames);
  const wanted = new Map(atlas.map((choice) => [choice.frame, choice.viseme]));
  const written: string[] = [];
  for await (const frame of decodeFrames(grid, size, { fps: 25 })) {
    const viseme = wanted.get(frame.index);
    const tracked = track.frames[frame.index];
    if (!viseme || !tracked) continue;
    const mouth = cutMouth(frame.rgb, frame.width, frame.height, tracked);
    const file = path.join(dir, `${viseme}.png`);
    fs.writeFileSync(file, encodePng(mouth, 128, 128));
    written.push(file);
  }
  assert.ok(written.length >= 4);
  for (const file of written) {
    const info = await probeMedia(file);
    assert.equal(info.video?.codec, 'png');
    assert.deepEqual([info.video?.width, info.video?.height], [128, 128]);
  }
});
