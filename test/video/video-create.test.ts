/**
 * A video create is checked once, at the door: the payload holds what was decided there (the voice
 * that speaks, and the warning a stand-in brings), and the task speaks that voice without choosing
 * again. A task queued by an older version, without that record, still runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import type { AnimaClient } from '../../sdk/client.js';
import type { ProductPayloads, ProductServices } from '../../src/server/product.js';
import type { VideoJob } from '../../src/video/video-param.js';
import { startWithAvatar } from '../helpers/avatar.js';
import { tempDir, type TestServer } from '../helpers/harness.js';

let server: TestServer<ProductPayloads, ProductServices>;
let client: AnimaClient;
let appId: string;
let faceFeatureId: string;
const dir = tempDir();
const videoArea = '/api/2dvh/v1/material/video';

before(async () => {
  ({ server, client, appId, faceFeatureId } = await startWithAvatar('video-create'));
});
after(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Spoken = { voice?: string; warnings?: string[] };

/** A job as the task runs it: one short sentence. */
function job(speech: Extract<VideoJob['speech'], { kind: 'tts' }>): VideoJob {
  return {
    format: 'mp4',
    fps: 25,
    avatar: { faceFeatureId, rotation: 0, zPosition: 0, startFrame: 0 },
    speech,
    foregrounds: [],
    burnSubtitles: false,
  };
}

async function resultOf(taskId: string): Promise<Spoken> {
  const done = await client.waitForTask(videoArea, taskId);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  return done.result as Spoken;
}

test('the door records the voice it chose and its warning in the payload; the task says the same', async () => {
  const { taskId, warnings } = await client.call<{ taskId: string; warnings?: string[] }>(
    'POST',
    `${videoArea}/create`,
    {
      videoName: 'chosen',
      param: {
        digital_role: { face_feature_id: faceFeatureId },
        tts_config: { id: 'no-such-voice', language: 'en-US' },
        tts_query: { content: 'Hello.' },
      },
    },
  );
  const warning = warnings?.[0] ?? '';
  assert.match(warning, /no-such-voice is not known here, so en-US-slt/);
  const stored = await server.platform.store.get(taskId);
  const speech = (stored?.params as { job: VideoJob } | undefined)?.job.speech;
  assert.deepEqual(speech, {
    kind: 'tts',
    text: 'Hello.',
    ssml: false,
    voice: 'no-such-voice',
    language: 'en-US',
    chosen: { voice: 'en-US-slt', warning },
  });
  const result = await resultOf(taskId);
  assert.equal(result.voice, 'en-US-slt');
  assert.deepEqual(result.warnings, [warning]);
});

test('the task speaks the voice its payload records, not the one it would choose again', async () => {
  // As if the door had chosen kal for an asked slt (an alias would): the task does not re-decide.
  const task = await server.platform.queue.submit('video.render', appId, {
    videoName: 'recorded',
    job: job({
      kind: 'tts',
      text: 'Hello.',
      ssml: false,
      voice: 'en-US-slt',
      chosen: { voice: 'en-US-kal' },
    }),
  });
  const result = await resultOf(task.id);
  assert.equal(result.voice, 'en-US-kal');
  assert.equal(result.warnings, undefined);
});

test('a task queued before the door recorded its voice still runs, choosing the voice itself', async () => {
  const task = await server.platform.queue.submit('video.render', appId, {
    videoName: 'older',
    job: job({ kind: 'tts', text: 'Hello.', ssml: false, voice: 'no-such-voice' }),
  });
  const result = await resultOf(task.id);
  assert.equal(result.voice, 'en-US-slt');
  assert.match(result.warnings?.[0] ?? '', /no-such-voice is not known here, so en-US-slt/);
});
