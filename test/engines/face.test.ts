import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { decodeFrames } from '../../src/media/decode.js';
import { runProcess } from '../../src/media/process.runner.js';
import { samplesDir } from '../../src/util/paths.js';

const photo = path.join(samplesDir, 'image', 'astronaut.png');
const grid = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
let engine: HumanFaceEngine;

before(async () => {
  engine = await HumanFaceEngine.load();
});
after(() => engine.close());

/** An image file as packed RGB, optionally put side by side with itself. */
async function rgbOf(file: string, twice = false): Promise<Buffer> {
  const filter = twice ? ['-filter_complex', '[0][0]hstack'] : [];
  const { stdout } = await runProcess('ffmpeg', [
    '-v',
    'error',
    '-i',
    file,
    ...filter,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  return stdout;
}

test('one face in the photo, with 468 landmarks and a closed mouth', async () => {
  engine.reset();
  const faces = await engine.detect(await rgbOf(photo), 512, 512);
  assert.equal(faces.length, 1);
  const face = faces[0];
  assert.ok(face);
  assert.equal(face.landmarks.length, 468);
  assert.ok(face.box.width > 60 && face.box.width < 200, `box ${JSON.stringify(face.box)}`);
  assert.ok(face.box.x > 100 && face.box.x < 300);
  assert.ok(
    face.mouth.widthNorm > 0.5 && face.mouth.widthNorm < 1,
    `width ${face.mouth.widthNorm}`,
  );
  assert.ok(face.mouth.openNorm < 0.2, `open ${face.mouth.openNorm}`);
});

test('two faces side by side are two faces; a black frame has none', async () => {
  engine.reset();
  const faces = await engine.detect(await rgbOf(photo, true), 1024, 512);
  assert.equal(faces.length, 2);
  const xs = faces.map((face) => face.box.x).sort((a, b) => a - b);
  assert.ok((xs[1] ?? 0) - (xs[0] ?? 0) > 400, `${xs.join(', ')}`);
  assert.deepEqual(await engine.detect(Buffer.alloc(360 * 288 * 3), 360, 288), []);
  assert.deepEqual(
    await engine.detect(Buffer.alloc(360 * 288 * 3), 360, 288),
    [],
    'tracks are dropped',
  );
});

test('a speaking face is tracked on every frame and its mouth opens and closes', async () => {
  engine.reset();
  const openings: number[] = [];
  for await (const frame of decodeFrames(grid, { width: 360, height: 288 }, { fps: 25 })) {
    const faces = await engine.detect(frame.rgb, frame.width, frame.height);
    assert.equal(faces.length, 1, `frame ${frame.index}`);
    openings.push(faces[0]?.mouth.openNorm ?? 0);
  }
  assert.equal(openings.length, 75);
  assert.ok(Math.min(...openings) < 0.02, 'closed at some point');
  assert.ok(Math.max(...openings) > 0.05, 'open at some point');
  await assert.rejects(engine.detect(Buffer.alloc(10), 360, 288), /expected 360x288 RGB/);
});
