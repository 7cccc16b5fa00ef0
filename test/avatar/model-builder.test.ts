import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildVideoModel } from '../../src/avatar/model-builder.js';
import { readPackage } from '../../src/avatar/model-package.js';
import { checkVideoSource } from '../../src/avatar/source-check.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';

const grid = path.join(samplesDir, 'video', 'grid_lbax4n.mpg');
let engine: HumanFaceEngine;
const dir = tempDir();

before(async () => {
  engine = await HumanFaceEngine.load();
});
after(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a GRID clip becomes a model zip: base video, mouths, landmarks, manifest', async () => {
  const info = await probeMedia(grid);
  const names = { modelId: 'abcdefabcdefabcdefabcdefabcdefab_s1', fileName: 'grid_lbax4n.mpg' };
  const video = checkVideoSource(info, names);
  const stages: string[] = [];
  const built = await buildVideoModel({
    file: grid,
    info: { ...info, video },
    names,
    name: 'grid speaker',
    engine,
    workDir: dir,
    progress: (stage) => {
      if (stages.at(-1) !== stage) stages.push(stage);
    },
  });
  assert.deepEqual(stages, ['decode', 'face tracking', 'mouth atlas', 'packaging']);
  const model = await readPackage(built.zipPath);
  const manifest = model.manifest as {
    face_feature_id: string;
    base: { frames: number; video: string };
    landmarks: { file: string; frames: number };
    atlas: { images: { file: string }[] };
  };
  assert.equal(manifest.face_feature_id, names.modelId);
  assert.ok(manifest.base.frames >= 25 && manifest.base.frames <= 75);
  assert.equal(
    model.entries.get(manifest.landmarks.file)?.length,
    manifest.landmarks.frames * 468 * 3 * 4,
  );
  assert.equal(manifest.atlas.images.length, 9);
  for (const image of manifest.atlas.images) {
    assert.equal(
      model.entries.get(image.file)?.subarray(1, 4).toString('ascii'),
      'PNG',
      image.file,
    );
  }
  const baseFile = path.join(dir, 'check-base.mp4');
  fs.writeFileSync(baseFile, model.entries.get(manifest.base.video) ?? Buffer.alloc(0));
  const base = await probeMedia(baseFile);
  assert.equal(base.video?.codec, 'h264');
  assert.equal(base.video?.frames, manifest.base.frames);
  assert.equal(base.audio, undefined);
});
