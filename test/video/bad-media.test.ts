import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { AnimaApiError, AnimaClient, type TaskAnswer } from '../../sdk/client.js';
import type { ProductPayloads } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import { startOrigin, startProductServer, tempDir, type TestServer } from '../helpers/harness.js';
import { ffmpeg, withAac } from '../helpers/media.js';

/**
 * Inputs that must cost little and answer in the client's terms: a recording of ten hours, one
 * whose header understates its length, an MP4 cut short, a model whose manifest lacks fields.
 */
let server: TestServer<ProductPayloads>;
let client: AnimaClient;
let origin: http.Server;
let originUrl = '';
const dir = tempDir();
const videoArea = '/api/2dvh/v1/material/video';
const avatarArea = '/api/2dvh/v1/material/avatar';
/** Never opened: a recording refused first never reaches the model (it would be 6002). */
const unopenedModel = { face_feature_id: 'never-opened_s1' };

before(async () => {
  server = await startProductServer({ ANIMA_FETCH_ALLOW_PRIVATE: 'true' });
  const created = await server.platform.auth.createApp({ name: 'bad media' });
  client = new AnimaClient(await server.listen(), created.appId, created.appKey);
  // A media host on loopback serving the files made here, as a client's CDN would.
  ({ server: origin, url: originUrl } = await startOrigin((request, response) => {
    const file = path.join(dir, path.basename(request.url ?? ''));
    if (!fs.existsSync(file)) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    fs.createReadStream(file).pipe(response);
  }));
});
after(async () => {
  await server.close();
  origin.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function refusedAtDoor(call: Promise<unknown>): Promise<AnimaApiError> {
  const error = await call.then(
    () => assert.fail('the request was accepted'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof AnimaApiError, String(error));
  return error;
}

async function failedTask(area: string, body: Record<string, unknown>): Promise<TaskAnswer> {
  const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, body);
  const done = await client.waitForTask(area, taskId);
  assert.equal(done.status, 'failed', JSON.stringify(done));
  return done;
}

/** No server path, no stack: what the client reads names only its own file. */
function assertClean(text: string | null | undefined): void {
  assert.ok(text, 'an answer');
  assert.ok(!text.includes(server.config.dataDir), text);
  assert.doesNotMatch(text, /\/tmp\/|\/files\/|\bat .*\.js:\d+/);
}

/** Ten hours of silence, 7 MB of FLAC: the recording of the report. */
async function tenHoursOfSilence(): Promise<string> {
  const file = path.join(dir, 'ten-hours.flac');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'anullsrc=r=8000:cl=mono',
    '-t',
    '36000',
    '-c:a',
    'flac',
    file,
  ]);
  return file;
}

test('ten hours of silence as a recording already uploaded: refused at the door with 3020', async () => {
  const upload = await client.upload(await tenHoursOfSilence());
  const refused = await refusedAtDoor(
    client.call('POST', `${videoArea}/create`, {
      videoName: 'long',
      param: { digital_role: unopenedModel, audios: [{ url: upload.url }] },
    }),
  );
  assert.equal(refused.httpStatus, 400);
  assert.equal(refused.code, 3020);
  assert.equal(
    refused.message,
    'the recording ten-hours.flac lasts 36000 s; at most 1800 s is accepted',
  );
  assert.match(refused.fix ?? '', /ANIMA_RECORDING_MAX_SECONDS/);
  // Refused before a task existed: nothing was queued to decode it.
  const list = await client.call<{ total: number }>('GET', `${videoArea}/list?page=1&size=10`);
  assert.equal(list.total, 0);
});

test('the same recording at a remote URL fails its task at the speech stage, from the probe', async () => {
  await tenHoursOfSilence();
  const done = await failedTask(videoArea, {
    videoName: 'long remote',
    param: { digital_role: unopenedModel, audios: [{ url: `${originUrl}/ten-hours.flac` }] },
  });
  assert.equal(done.errorCode, 3020);
  assert.equal(done.stage, 'speech');
  // "lasts 36000 s" is the probe's figure: the refusal came before any decoding.
  assert.equal(
    done.errorMsg,
    'the recording ten-hours.flac lasts 36000 s; at most 1800 s is accepted',
  );
});

test('a recording whose header understates its length is cut off at the cap while decoding', async () => {
  // ADTS AAC has no length field: ffprobe guesses from the first frames' bit rate. Three loud
  // seconds at 128 kbit/s, then 2000 s of silence at 8 kbit/s, probe as about half a minute.
  const loud = path.join(dir, 'loud.aac');
  const quiet = path.join(dir, 'quiet.aac');
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'anoisesrc=d=3:r=16000', '-ac', '1'],
    ...['-c:a', 'aac', '-b:a', '128k', '-f', 'adts', loud],
  ]);
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '2000'],
    ...['-c:a', 'aac', '-b:a', '8k', '-f', 'adts', quiet],
  ]);
  fs.writeFileSync(
    path.join(dir, 'understated.aac'),
    Buffer.concat([fs.readFileSync(loud), fs.readFileSync(quiet)]),
  );
  const done = await failedTask(videoArea, {
    videoName: 'understated',
    param: { digital_role: unopenedModel, audios: [{ url: `${originUrl}/understated.aac` }] },
  });
  assert.equal(done.errorCode, 3020, JSON.stringify(done));
  assert.equal(
    done.errorMsg,
    'the recording understated.aac lasts more than 1800 s; at most 1800 s is accepted',
  );
});

/** An MP4 with its index (moov) at the end, cut in half: the index is gone. */
async function truncatedMp4(): Promise<string> {
  const whole = path.join(dir, 'whole.mp4');
  await ffmpeg(['-i', path.join(samplesDir, 'video', 'grid_lrwp9a.mpg'), ...withAac, whole]);
  const bytes = fs.readFileSync(whole);
  const half = path.join(dir, 'half.mp4');
  fs.writeFileSync(half, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return half;
}

test('an MP4 cut short as a recording is the client’s fault: 8101 at the door or in the task', async () => {
  const upload = await client.upload(await truncatedMp4());
  const refused = await refusedAtDoor(
    client.call('POST', `${videoArea}/create`, {
      videoName: 'cut',
      param: { digital_role: unopenedModel, audios: [{ url: upload.url }] },
    }),
  );
  assert.equal(refused.httpStatus, 400);
  assert.equal(refused.code, 8101);
  assert.match(refused.message, /^the recording half\.mp4 cannot be used: .*moov atom not found/);
  assertClean(refused.message);

  const remote = await failedTask(videoArea, {
    videoName: 'cut remote',
    param: { digital_role: unopenedModel, audios: [{ url: `${originUrl}/half.mp4` }] },
  });
  assert.equal(remote.errorCode, 8101);
  assertClean(remote.errorMsg);
});

test('an MP4 cut short as an avatar clip fails its build with 8002, not 5000', async () => {
  const upload = await client.upload(await truncatedMp4());
  const avatar = await failedTask(avatarArea, { name: 'cut', fileId: upload.fileId });
  assert.equal(avatar.errorCode, 8002);
  assert.match(avatar.errorMsg ?? '', /^the avatar source half\.mp4 cannot be used: .*moov atom/);
  assertClean(avatar.errorMsg);
});

test('an avatar clip longer than ANIMA_AVATAR_MAX_SECONDS is refused before a frame is tracked', async () => {
  // Eleven minutes and forty seconds, one small frame a second: cheap to make, long to track.
  const long = path.join(dir, 'long-clip.mp4');
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'color=c=gray:s=128x128:r=1', '-f', 'lavfi', '-i', 'anullsrc=r=8000'],
    ...['-t', '700', ...withAac, long],
  ]);
  const upload = await client.upload(long);
  const avatar = await failedTask(avatarArea, { name: 'long', fileId: upload.fileId });
  assert.equal(avatar.errorCode, 8002);
  assert.equal(avatar.stage, 'probe');
  assert.match(
    avatar.errorMsg ?? '',
    /^the avatar source long-clip\.mp4 cannot be used: it lasts 700 s; at most 600 s is used/,
  );
});

test('a model zip whose manifest lacks fields fails the render with 8001 naming them', async () => {
  const zip = new yazl.ZipFile();
  // The report's model: assets/ and models/ are there, the manifest holds only its id.
  const manifest = { version: 1, face_feature_id: 'hand-made_s1' };
  zip.addBuffer(Buffer.from(JSON.stringify(manifest)), 'models/manifest.json');
  zip.addBuffer(Buffer.from('not really a video'), 'assets/base.mp4');
  zip.end();
  const file = path.join(dir, 'hand-made.zip');
  await pipeline(zip.outputStream, fs.createWriteStream(file));
  const upload = await client.upload(file);
  const done = await failedTask(videoArea, {
    videoName: 'hand-made',
    param: {
      digital_role: { url: upload.url },
      tts_config: { language: 'en-US' },
      tts_query: { content: 'Hello there.' },
    },
  });
  assert.equal(done.errorCode, 8001);
  assert.equal(
    done.errorMsg,
    'avatar model zip refused: its manifest is invalid: must have required properties base, mouth_regions, atlas',
  );
});
