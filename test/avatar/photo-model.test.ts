import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readPackage } from '../../src/avatar/model-package.js';
import { buildPhotoModel } from '../../src/avatar/photo-model.js';
import { mouthPointIndices } from '../../src/avatar/mouth-shapes.js';
import { visemes, type Viseme } from '../../src/avatar/visemes.js';
import type { Face } from '../../src/engines/face/face.types.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { decodeFrames } from '../../src/media/decode.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { loadAvatar } from '../../src/video/avatar-frames.js';
import { insideShowing } from '../../src/avatar/lips-apart.js';
import { tempDir } from '../helpers/harness.js';

const photo = path.join(samplesDir, 'image', 'astronaut.png');
const dir = tempDir();
let engine: HumanFaceEngine;
let zip: string;

before(async () => {
  engine = await HumanFaceEngine.load();
  const info = await probeMedia(photo);
  assert.ok(info.video);
  const built = await buildPhotoModel({
    file: photo,
    info: { ...info, video: info.video },
    names: { modelId: 'photo_s1', fileName: 'astronaut.png' },
    name: 'astronaut',
    engine,
    workDir: dir,
    progress: () => undefined,
  });
  zip = built.zipPath;
});
after(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Eye opening (upper to lower lid, both eyes) over the eye distance. */
const eyeOpening = (face: Face) => {
  const gap = (a: number, b: number) =>
    Math.hypot(
      (face.landmarks[a]?.[0] ?? 0) - (face.landmarks[b]?.[0] ?? 0),
      (face.landmarks[a]?.[1] ?? 0) - (face.landmarks[b]?.[1] ?? 0),
    );
  return (gap(159, 145) + gap(386, 374)) / 2 / face.mouth.interOcular;
};

test('one photo becomes a model: every mouth warped from it, an 8 s base loop, its landmarks', async () => {
  const model = await readPackage(zip);
  const manifest = model.manifest as unknown as {
    kind: string;
    base: { frames: number; width: number; height: number };
    atlas: { images: { viseme: string; warped_from?: string }[] };
  };
  assert.equal(manifest.kind, 'image');
  assert.equal(manifest.base.frames, 200);
  assert.deepEqual([manifest.base.width, manifest.base.height], [512, 512]);
  assert.deepEqual(
    manifest.atlas.images.map((image) => [image.viseme, image.warped_from]),
    visemes.map((viseme) => [viseme, 'photo']),
  );
  for (const name of ['assets/base.mp4', 'assets/preview.png', 'assets/mouths/open.png']) {
    assert.ok(model.entries.has(name), name);
  }
});

test('the base loop moves the head, blinks, ends where it starts, and its landmarks follow', async () => {
  const model = await readPackage(zip);
  const base = path.join(dir, 'check-base.mp4');
  const entry = (name: string) => {
    const bytes = model.entries.get(name);
    assert.ok(bytes, name);
    return bytes;
  };
  fs.writeFileSync(base, entry('assets/base.mp4'));
  const stored = entry('models/landmarks.f32');
  const landmark = (frame: number, point: number) => [
    stored.readFloatLE((frame * 468 + point) * 12),
    stored.readFloatLE((frame * 468 + point) * 12 + 4),
  ];
  const frames = new Map<number, Buffer>();
  const faces = new Map<number, Face>();
  for await (const frame of decodeFrames(
    base,
    { width: 512, height: 512 },
    {
      fps: 25,
      only: [0, 50, 56, 150, 199],
    },
  )) {
    frames.set(frame.index, frame.rgb);
    engine.reset();
    const [face] = await engine.detect(frame.rgb, 512, 512);
    assert.ok(face, `a face on frame ${frame.index}`);
    faces.set(frame.index, face);
  }
  const difference = (a: number, b: number) => {
    const x = frames.get(a);
    const y = frames.get(b);
    assert.ok(x && y);
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += Math.abs((x[i] ?? 0) - (y[i] ?? 0));
    return sum / x.length;
  };
  assert.ok(difference(0, 150) > 1, `the head moves (${difference(0, 150)})`);
  assert.ok(difference(0, 199) < difference(0, 150) / 3, 'the loop ends close to its start');
  const open = eyeOpening(faces.get(50) as Face);
  const blink = eyeOpening(faces.get(56) as Face);
  assert.ok(blink < open * 0.92, `the face engine sees the eyes close: ${open} → ${blink}`);
  for (const [index, face] of faces) {
    const [x, y] = landmark(index, 1);
    const nose = face.landmarks[1] ?? [0, 0, 0];
    const error = Math.hypot((x ?? 0) - nose[0], (y ?? 0) - nose[1]);
    assert.ok(error < 1.5, `frame ${index}: stored nose ${x},${y}, seen ${nose[0]},${nose[1]}`);
  }
  const travel = Math.hypot(
    (landmark(150, 1)[0] ?? 0) - (landmark(0, 1)[0] ?? 0),
    (landmark(150, 1)[1] ?? 0) - (landmark(0, 1)[1] ?? 0),
  );
  assert.ok(travel > 1, `the stored landmarks move with the head (${travel} px)`);
});

test("the photo's closed mouth is lips meeting: nothing of its smile's teeth between them", async () => {
  const model = await readPackage(zip);
  const avatar = await loadAvatar(model, fs.mkdtempSync(path.join(dir, 'load-')));
  try {
    /** What shows between the lips of an atlas mouth, in its 128-pixel crop, along its points. */
    const showingIn = (viseme: Viseme) => {
      const mouth = avatar.mouths.get(viseme);
      assert.ok(mouth?.points, `${viseme} has its points`);
      const landmarks: [number, number, number][] = [];
      mouthPointIndices.forEach((index, k) => {
        landmarks[index] = [mouth.points?.[k * 2] ?? 0, mouth.points?.[k * 2 + 1] ?? 0, 0];
      });
      return insideShowing(mouth.rgb, avatar.mouthSize, avatar.mouthSize, landmarks);
    };
    const shut = showingIn('closed');
    const open = showingIn('open');
    assert.ok(shut <= 2, `closed: ${shut} px of not-lip between the lips`);
    assert.ok(open >= 6, `open: ${open} px (the measure sees teeth and the inside)`);
  } finally {
    avatar.close();
  }
});
