import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { FacePool } from '../../src/engines/face/face-pool.js';
import { WarmFaces } from '../../src/engines/face/warm-faces.js';
import { runProcess } from '../../src/media/process.runner.js';
import { samplesDir } from '../../src/util/paths.js';

/** The bundled photo as packed RGB at 256x256: a face to find. */
async function photoRgb(): Promise<Buffer> {
  const { stdout } = await runProcess('ffmpeg', [
    ...['-v', 'error', '-i', path.join(samplesDir, 'image', 'astronaut.png')],
    ...['-vf', 'scale=256:256', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  ]);
  return stdout;
}

test('a build gets the pool the last one used, its models loaded; the same one finds faces again', async () => {
  const faces = new WarmFaces(1);
  const rgb = await photoRgb();
  try {
    const first = await faces.use(async (engine) => {
      assert.equal((await engine.detect(rgb, 256, 256)).length, 1);
      return engine;
    });
    const second = await faces.use(async (engine) => {
      engine.reset();
      assert.equal((await engine.detect(rgb, 256, 256)).length, 1);
      return engine;
    });
    assert.equal(second, first, 'the second build was lent the warm pool');
    assert.equal(faces.started, 1);
  } finally {
    await faces.close();
  }
});

test('builds at the same time each get a pool; a failed build does not hand its pool on', async () => {
  const faces = new WarmFaces(1);
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const lent: FacePool[] = [];
  const first = faces.use(async (engine) => {
    lent.push(engine);
    await held;
  });
  await faces.use((engine) => Promise.resolve(lent.push(engine)));
  release();
  await first;
  assert.notEqual(lent[0], lent[1], 'two builds at once shared a pool');
  assert.equal(faces.started, 2, 'both pools are kept for the next builds');

  let failed: FacePool | undefined;
  await assert.rejects(
    faces.use((engine) => {
      failed = engine;
      return Promise.reject(new Error('the build failed'));
    }),
    /the build failed/,
  );
  assert.equal(faces.started, 1, "the failed build's pool was closed");
  const next = await faces.use((engine) => Promise.resolve(engine));
  assert.notEqual(next, failed, 'the failed pool was lent again');
  await faces.close();
  assert.equal(faces.started, 0);
  await assert.rejects(
    faces.use(() => Promise.resolve()),
    /the face engines are closed/,
  );
});
