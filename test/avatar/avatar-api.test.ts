import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaClient } from '../../sdk/client.js';
import { readPackage } from '../../src/avatar/model-package.js';
import { probeMedia } from '../../src/media/probe.js';
import { runAvatarCommand } from '../../src/cli/avatar.command.js';
import { samplesDir } from '../../src/util/paths.js';
import { startProductServer, tempDir, type TestServer } from '../helpers/harness.js';
import { fastH264, ffmpeg, rejection } from '../helpers/media.js';
import type { ProductPayloads, ProductServices } from '../../src/server/product.js';

let server: TestServer<ProductPayloads, ProductServices>;
let client: AnimaClient;
let base: string;
let credentials: string[];
const dir = tempDir();
const area = '/api/2dvh/v1/material/avatar';

before(async () => {
  server = await startProductServer();
  base = await server.listen();
  const created = await server.platform.auth.createApp({ name: 'avatar' });
  credentials = ['--url', base, '--app-id', created.appId, '--app-key', created.appKey];
  client = new AnimaClient(base, created.appId, created.appKey);
  await client.authenticate();
});
after(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a GRID clip becomes a model through the API: task stages, zip, face_feature_id, listed', async () => {
  const upload = await client.upload(path.join(samplesDir, 'video', 'grid_pwij3p.mpg'));
  const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, {
    name: 'pwij',
    fileId: upload.fileId,
  });
  const stages = new Set<string>();
  const done = await client.waitForTask(area, taskId, (task) => void stages.add(task.stage), 50);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  const result = done.result as { face_feature_id: string; url: string; fileId: string };
  assert.match(result.face_feature_id, /^[0-9a-f]{32}_s1$/);
  // The model is what its face_feature_id stands for: kept past the results' retention.
  const appId = credentials[credentials.indexOf('--app-id') + 1] ?? '';
  assert.equal((await server.platform.files.get(result.fileId, appId)).expiresAt, null);
  const zip = path.join(dir, 'model.zip');
  fs.writeFileSync(zip, Buffer.from(await (await fetch(result.url)).arrayBuffer()));
  const model = await readPackage(zip);
  assert.equal(model.manifest.face_feature_id, result.face_feature_id);
  assert.ok(stages.has('face tracking'), [...stages].join(', '));
  const listed = await client.call<{ models: { face_feature_id: string }[] }>(
    'GET',
    `${area}/models`,
  );
  assert.deepEqual(
    listed.models.map((m) => m.face_feature_id),
    [result.face_feature_id],
  );
});

test('a clip without sound fails the task with the FAQ message; bad requests answer at once', async () => {
  const silent = path.join(dir, 'silent.mp4');
  await ffmpeg([
    '-i',
    path.join(samplesDir, 'video', 'grid_pwij3p.mpg'),
    '-an',
    ...fastH264,
    silent,
  ]);
  const upload = await client.upload(silent);
  const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, {
    name: 'silent',
    fileId: upload.fileId,
  });
  const done = await client.waitForTask(area, taskId);
  assert.equal(done.status, 'failed');
  assert.match(
    done.errorMsg ?? '',
    /^[0-9a-f]{32}_s1 silent\.mp4 has no audio track, video_summary or audio_summary not exit$/,
  );

  const sound = await client.upload(
    path.join(samplesDir, 'audio', 'librivox_en_sense_and_sensibility_0920.wav'),
  );
  await assert.rejects(
    client.call('POST', `${area}/create`, { name: 'x', fileId: sound.fileId }),
    /neither a video nor a photo/,
  );
  await assert.rejects(
    client.call('POST', `${area}/create`, { name: 'x' }),
    /exactly one of videoUrl, imageUrl and fileId/,
  );
});

test('the CLI builds a model with a progress display and lists the models', async () => {
  const printed: string[] = [];
  const progress: string[] = [];
  const clip = path.join(samplesDir, 'video', 'grid_sbwe5n.mpg');
  const code = await runAvatarCommand(
    ['create', clip, '--name', 'sbwe', ...credentials],
    (text) => void printed.push(text),
    (text) => void progress.push(text),
    false,
  );
  assert.equal(code, 0, printed.join('\n'));
  assert.match(
    printed.join('\n'),
    /^avatar sbwe: face_feature_id [0-9a-f]{32}_s1\n {2}model: http/,
  );
  assert.ok(
    progress.some((line) => /\] +\d+% face tracking/.test(line)),
    progress.join(''),
  );
  const listed: string[] = [];
  await runAvatarCommand(['list', ...credentials], (text) => void listed.push(text));
  assert.ok(
    listed.some((line) => line.endsWith('  sbwe')),
    listed.join('\n'),
  );
  await assert.rejects(
    runAvatarCommand(['create', ...credentials], () => undefined),
    /which video or photo/,
  );
});

test('a photo becomes a model through imageUrl and through the CLI', async () => {
  const photo = path.join(samplesDir, 'image', 'astronaut.png');
  await client.authenticate(); // the CLI test before signed in with the same app
  const upload = await client.upload(photo);
  const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, {
    name: 'astronaut',
    imageUrl: upload.url,
  });
  const done = await client.waitForTask(area, taskId);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  const result = done.result as { face_feature_id: string; url: string };
  const zip = path.join(dir, 'photo-model.zip');
  fs.writeFileSync(zip, Buffer.from(await (await fetch(result.url)).arrayBuffer()));
  const model = await readPackage(zip);
  assert.equal(model.manifest.kind, 'image');
  assert.equal(model.manifest.face_feature_id, result.face_feature_id);

  const printed: string[] = [];
  const code = await runAvatarCommand(
    ['create', photo, '--name', 'astro-cli', ...credentials],
    (text) => void printed.push(text),
    () => undefined,
    false,
  );
  assert.equal(code, 0, printed.join('\n'));
  assert.match(printed.join('\n'), /^avatar astro-cli: face_feature_id [0-9a-f]{32}_s1/);
  const listed = await client.call<{ models: { name: string; kind: string }[] }>(
    'GET',
    `${area}/models`,
  );
  assert.equal(listed.models.find((m) => m.name === 'astro-cli')?.kind, 'image');
});

test('a photo without a face, or too small, fails with its own message', async () => {
  const blank = path.join(dir, 'wall.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=0x8899aa:s=320x240', '-frames:v', '1', blank]);
  const tiny = path.join(dir, 'tiny.jpg');
  await ffmpeg([
    '-i',
    path.join(samplesDir, 'image', 'astronaut.png'),
    '-vf',
    'scale=100:100',
    tiny,
  ]);
  await client.authenticate();
  const outcome = async (file: string) => {
    const upload = await client.upload(file);
    const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, {
      name: path.parse(file).name,
      fileId: upload.fileId,
    });
    return client.waitForTask(area, taskId);
  };
  const faceless = await outcome(blank);
  assert.equal(faceless.status, 'failed');
  assert.match(faceless.errorMsg ?? '', /Frame Index :0 find 0 faces!$/);
  const small = await outcome(tiny);
  assert.equal(small.status, 'failed');
  assert.match(small.errorMsg ?? '', /tiny\.jpg cannot be used: its picture is 100x100/);
});

test('preview writes the mouth atlas sheet and the base loop of a model', async () => {
  // The CLI runs above signed in as the same app: at most two tokens live, so sign in again.
  await client.authenticate();
  const upload = await client.upload(path.join(samplesDir, 'video', 'grid_lrwp9a.mpg'));
  const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, {
    name: 'lrwp',
    fileId: upload.fileId,
  });
  const done = await client.waitForTask(area, taskId);
  const zip = path.join(dir, 'lrwp.zip');
  const result = done.result as { url: string };
  fs.writeFileSync(zip, Buffer.from(await (await fetch(result.url)).arrayBuffer()));
  const out = path.join(dir, 'preview');
  const printed: string[] = [];
  assert.equal(
    await runAvatarCommand(['preview', zip, '--out', out], (t) => void printed.push(t)),
    0,
  );
  const sheet = await probeMedia(path.join(out, 'mouth-atlas.png'));
  assert.deepEqual([sheet.video?.width, sheet.video?.height], [128 * 3 + 4 * 2, 128 * 3 + 4 * 2]);
  const model = await readPackage(zip);
  const baseFrames = (model.manifest.base as { frames: number }).frames;
  const loop = await probeMedia(path.join(out, 'base-loop.mp4'));
  assert.equal(loop.video?.frames, baseFrames * 2);
});

test('a model is opened by face_feature_id, fileId or url, and a mismatch is the FAQ 6002', async () => {
  await client.authenticate();
  const appId =
    (await server.platform.auth.listApps()).find((app) => app.name === 'avatar')?.appId ?? '';
  const store = server.platform.services.models;
  const registered = (await server.platform.services.avatars.list(appId))[0];
  assert.ok(registered, 'a model was built above');
  const byId = await store.open({ faceFeatureId: registered.faceFeatureId }, appId, 't1');
  assert.equal(byId.manifest.face_feature_id, registered.faceFeatureId);
  const byFile = await store.open(
    { fileId: registered.fileId, faceFeatureId: registered.faceFeatureId },
    appId,
    't2',
  );
  assert.equal(byFile.manifest.face_feature_id, registered.faceFeatureId);
  const taskId = '0123456789abcdef0123456789abcdef';
  const wrong = await rejection(
    store.open(
      { fileId: registered.fileId, faceFeatureId: 'ffffffffffffffffffffffffffffffff_s1' },
      appId,
      taskId,
    ),
  );
  assert.equal(wrong.code, 6002);
  assert.equal(wrong.message, `FfmpegTask: no pcm sound. taskId:${taskId}`);
  const clip = await client.upload(path.join(samplesDir, 'video', 'grid_lrwp9a.mpg'));
  const notModel = await rejection(store.open({ fileId: clip.fileId }, appId, taskId));
  assert.equal(notModel.code, 6001);
  assert.equal(
    notModel.message,
    'digital role model must must be in zip format and contain assets and models resources',
  );
});
