import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { insideShowing } from '../../src/avatar/lips-apart.js';
import { buildVideoModel } from '../../src/avatar/model-builder.js';
import { readPackage } from '../../src/avatar/model-package.js';
import { mouthPointIndices } from '../../src/avatar/mouth-shapes.js';
import { checkVideoSource } from '../../src/avatar/source-check.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { loadAvatar } from '../../src/video/avatar-frames.js';
import { openSpeech, type SpeechServices } from '../../src/voice/speech.js';
import { tempDir } from '../helpers/harness.js';
import { ffmpeg, withAac } from '../helpers/media.js';

const grid = path.join(samplesDir, 'video', 'grid_lbax4n.mpg');
let engine: HumanFaceEngine;
let speech: SpeechServices;
const dir = tempDir();

before(async () => {
  engine = await HumanFaceEngine.load();
  speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 2, festivalProcesses: 1 });
});
after(async () => {
  await engine.close();
  await speech.close();
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
    asr: speech.asr,
    workDir: dir,
    progress: (stage) => {
      if (stages.at(-1) !== stage) stages.push(stage);
    },
  });
  assert.deepEqual(stages, ['decode', 'face tracking', 'mouth atlas', 'packaging']);
  const model = await readPackage(built.zipPath);
  const manifest = model.manifest as unknown as {
    face_feature_id: string;
    base: { frames: number; video: string };
    landmarks: { file: string; frames: number };
    atlas: { speech: { heard: string | null }; images: { file: string; heard?: boolean }[] };
  };
  assert.equal(manifest.face_feature_id, names.modelId);
  assert.ok(manifest.base.frames >= 25 && manifest.base.frames <= 75);
  assert.equal(
    model.entries.get(manifest.landmarks.file)?.length,
    manifest.landmarks.frames * 468 * 3 * 4,
  );
  assert.equal(manifest.atlas.images.length, 9);
  assert.match(manifest.atlas.speech.heard ?? '', /\w+ \w+/, 'the speech was recognised');
  assert.ok(
    manifest.atlas.images.some((image) => image.heard),
    'some mouths are where sound and lips agree',
  );
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

test('a clip of odd width and height builds, its base cut to even sides for H.264', async () => {
  const odd = path.join(dir, 'odd.mp4');
  // 4:4:4, so H.264 can hold odd sides (4:2:0 cannot).
  await ffmpeg(['-i', grid, '-vf', 'format=yuv444p,crop=359:287:0:0:exact=1', ...withAac, odd]);
  const info = await probeMedia(odd);
  const names = { modelId: 'oddoddoddoddoddoddoddoddoddoddod_s1', fileName: 'odd.mp4' };
  const video = checkVideoSource(info, names);
  assert.deepEqual([video.width, video.height], [359, 287]);
  const work = path.join(dir, 'odd');
  fs.mkdirSync(work);
  const built = await buildVideoModel({
    file: odd,
    info: { ...info, video },
    names,
    name: 'odd',
    engine,
    workDir: work,
    progress: () => undefined,
  });
  const model = await readPackage(built.zipPath);
  const base = path.join(work, 'check-base.mp4');
  fs.writeFileSync(base, model.entries.get('assets/base.mp4') ?? Buffer.alloc(0));
  const probed = await probeMedia(base);
  assert.deepEqual([probed.video?.width, probed.video?.height], [358, 286]);
  assert.deepEqual(
    [
      (model.manifest.base as { width: number }).width,
      (model.manifest.base as { height: number }).height,
    ],
    [358, 286],
  );
});

test('the closed mouth is a frame whose lips meet, not the most closed by shape with a hair of gap', async () => {
  // sbwe5n's most closed frame by the mesh shows a dark line between the lips; its rest is shut.
  const file = path.join(samplesDir, 'video', 'grid_sbwe5n.mpg');
  const info = await probeMedia(file);
  const names = { modelId: 'abcdefabcdefabcdefabcdefabcdefab_s3', fileName: 'grid_sbwe5n.mpg' };
  const workDir = path.join(dir, 'sbwe5n');
  fs.mkdirSync(workDir);
  const built = await buildVideoModel({
    file,
    info: { ...info, video: checkVideoSource(info, names) },
    names,
    name: 'sbwe5n',
    engine,
    asr: speech.asr,
    workDir,
    progress: () => undefined,
  });
  const avatar = await loadAvatar(await readPackage(built.zipPath), workDir);
  try {
    const shownBetween = (viseme: 'closed' | 'open') => {
      const mouth = avatar.mouths.get(viseme);
      assert.ok(mouth?.points, `${viseme} has its points`);
      const landmarks: [number, number][] = [];
      mouthPointIndices.forEach((index, k) => {
        landmarks[index] = [mouth.points?.[k * 2] ?? NaN, mouth.points?.[k * 2 + 1] ?? NaN];
      });
      return insideShowing(mouth.rgb, 128, 128, landmarks);
    };
    const closed = shownBetween('closed');
    const open = shownBetween('open');
    assert.ok(closed <= 1, `at most a pixel of not-lip between the closed lips: ${closed}`);
    assert.ok(open >= 4, `the open mouth shows its inside: ${open}`);
  } finally {
    avatar.close();
  }
});
