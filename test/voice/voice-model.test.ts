import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaClient, AnimaApiError } from '../../sdk/client.js';
import { VoiceSocket } from '../../sdk/voice-socket.js';
import { runVoiceCommand } from '../../src/cli/voice.command.js';
import type { ProductPayloads } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import { checkSamples } from '../../src/voice/sample-check.js';
import { floatsOf, measureSpeaker } from '../../src/voice/speaker-measure.js';
import { startProductServer, tempDir, type TestServer } from '../helpers/harness.js';
import { ffmpeg } from '../helpers/media.js';

let server: TestServer<ProductPayloads>;
let client: AnimaClient;
let appId: string;
let appKey: string;
let base: string;
const dir = tempDir();
const area = '/api/voice/v1/model';
const librivox = ['0870', '0920'].map((n) =>
  path.join(samplesDir, 'audio', `librivox_en_sense_and_sensibility_${n}.wav`),
);

before(async () => {
  server = await startProductServer();
  base = await server.listen();
  ({ appId, appKey } = await server.platform.auth.createApp({ name: 'voices' }));
  client = new AnimaClient(base, appId, appKey);
  await client.authenticate();
});
after(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface VoiceResult {
  voiceId: string;
  fileId: string;
  baseVoice: string;
  measured: { pitchHz: number; syllablesPerSecond: number };
  shape: { pitchFactor: number; rateFactor: number };
  url: string;
}

async function train(files: readonly string[], body: Record<string, unknown> = {}) {
  const fileIds: string[] = [];
  for (const file of files) fileIds.push((await client.upload(file)).fileId);
  const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, {
    name: 'voice',
    language: 'en-US',
    fileIds,
    humanLabel: false,
    ...body,
  });
  return client.waitForTask(area, taskId);
}

let voiceId = '';
let speakerHz = 0;

test('a personal voice from the LibriVox reader: trained, kept, and speaking at his pitch', async () => {
  const done = await train(librivox, { name: 'reader' });
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  const result = done.result as unknown as VoiceResult;
  assert.match(result.voiceId, /^pv_[0-9a-f]{32}$/);
  voiceId = result.voiceId;
  speakerHz = result.measured.pitchHz;
  assert.ok(speakerHz > 90 && speakerHz < 125, `the reader's pitch: ${speakerHz} Hz`);
  assert.equal(result.baseVoice, 'en-US-kal', 'a man is made from the male base voice');
  // The model is what its voice id stands for: kept past the results' retention.
  assert.equal((await server.platform.files.get(result.fileId, appId)).expiresAt, null);
  // The model keeps its profile (versioned) and the samples.
  const zip = Buffer.from(await (await fetch(result.url)).arrayBuffer());
  const text = zip.toString('latin1');
  for (const entry of [
    'models/voice-profile.json',
    'assets/samples/01.wav',
    'assets/samples/02.wav',
  ]) {
    assert.ok(text.includes(entry), entry);
  }
  // Spoken by TTS for this app: the pitch is the speaker's.
  const tts = server.platform.speech.tts;
  const speech = await tts.synthesize(
    tts.plan({
      text: 'We opened two new offices this spring, and we hired forty people.',
      voice: voiceId,
      appId,
    }),
  );
  const heard = measureSpeaker(floatsOf(speech.pcm)).pitch.medianHz;
  assert.ok(
    Math.abs(heard / speakerHz - 1) < 0.1,
    `spoken at ${heard} Hz, the reader ${speakerHz}`,
  );
  // Another app can neither see nor use it.
  const other = await server.platform.auth.createApp({ name: 'other' });
  assert.throws(() => tts.plan({ text: 'Hello.', voice: voiceId, appId: other.appId }), /voice/i);
  const mine = tts.listVoices(appId).map((voice) => voice.id);
  assert.ok(mine.includes(voiceId));
  assert.ok(!tts.listVoices(other.appId).some((voice) => voice.id === voiceId));
});

test('the personal voice speaks on the streaming socket by qid, and in a video by tts_config.id', async () => {
  assert.ok(voiceId, 'trained in the test before');
  const token = (await client.authenticate()).accessToken;
  const socket = await VoiceSocket.open(base, token);
  assert.deepEqual(await socket.start({ type: 'TTS3', tts: { qid: voiceId, format: 'pcm' } }), {
    status: 'ok',
    voice: voiceId,
  });
  const spoken = await socket.speak('p1', 'Thank you for watching, and see you next time.');
  socket.close();
  const hz = measureSpeaker(floatsOf(spoken.audio)).pitch.medianHz;
  assert.ok(Math.abs(hz / speakerHz - 1) < 0.1, `socket speech at ${hz} Hz`);

  const avatar = await client.upload(path.join(samplesDir, 'video', 'grid_sbia1a.mpg'));
  const built = await client.call<{ taskId: string }>(
    'POST',
    '/api/2dvh/v1/material/avatar/create',
    {
      name: 'for-voice',
      fileId: avatar.fileId,
    },
  );
  const model = await client.waitForTask('/api/2dvh/v1/material/avatar', built.taskId);
  assert.equal(model.status, 'succeeded', JSON.stringify(model));
  const { taskId } = await client.call<{ taskId: string }>(
    'POST',
    '/api/2dvh/v1/material/video/create',
    {
      videoName: 'personal',
      param: {
        digital_role: {
          face_feature_id: (model.result as { face_feature_id: string }).face_feature_id,
        },
        tts_config: { id: voiceId },
        tts_query: { content: 'This is my own voice.' },
      },
    },
  );
  const video = await client.waitForTask('/api/2dvh/v1/material/video', taskId);
  assert.equal(video.status, 'succeeded', JSON.stringify(video));
});

test('manual labelling is refused when the request arrives, with the FAQ message', async () => {
  const upload = await client.upload(librivox[0] ?? '');
  await assert.rejects(
    client.call('POST', `${area}/create`, {
      name: 'labelled',
      language: 'en-US',
      fileIds: [upload.fileId],
      humanLabel: true,
    }),
    (error: unknown) =>
      error instanceof AnimaApiError &&
      error.code === 6008 &&
      error.message === 'task is failed in stage: label',
  );
  await assert.rejects(
    client.call('POST', `${area}/create`, {
      name: 'french',
      language: 'fr-FR',
      fileIds: [upload.fileId],
    }),
    /fr-FR is not supported for voice training/,
  );
});

test('every bad sample fails the check stage with its own error', async () => {
  const reader = librivox[0] ?? '';
  const make = async (name: string, args: readonly string[]) => {
    const file = path.join(dir, name);
    await ffmpeg([...args, file]);
    return file;
  };
  const pink = ['-f', 'lavfi', '-i', 'anoisesrc=c=pink:a=0.05:r=16000'];
  const cases: [string, string, RegExp][] = [
    [
      'quiet',
      await make('quiet.wav', ['-i', reader, '-af', 'volume=-45dB']),
      /^the voice sample quiet.wav is too quiet: its speech is at -\d+\.\d dBFS, at least -42 dBFS is needed$/,
    ],
    [
      'clipped',
      await make('clipped.wav', ['-i', reader, '-af', 'volume=25dB']),
      /^the voice sample clipped.wav is clipped: \d+\.\d\d% of its samples are at full scale$/,
    ],
    [
      'noisy',
      await make('noisy.wav', [
        '-i',
        reader,
        ...pink,
        '-filter_complex',
        '[0][1]amix=inputs=2:duration=first:normalize=0',
      ]),
      /^the voice sample noisy.wav is too noisy: its speech is \d+\.\d dB above the background, at least 15 dB is needed$/,
    ],
    [
      'noise only',
      await make('hiss.wav', [...pink, '-t', '3']),
      /^no speech was found in the voice sample hiss.wav$/,
    ],
    [
      'no sound',
      await make('silent.mp4', [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=160x120:rate=25',
        '-t',
        '1',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
      ]),
      /^the voice sample silent.mp4 cannot be read as audio: it holds no sound$/,
    ],
    [
      'too short',
      await make('short.wav', ['-i', reader, '-t', '1.2']),
      /^the voice samples hold \d\.\d s of speech; at least 2 s is needed$/,
    ],
    [
      'two speakers',
      await make('two.wav', [
        '-i',
        reader,
        '-i',
        path.join(samplesDir, 'video', 'grid_lrwp9a.mpg'),
        '-i',
        path.join(samplesDir, 'video', 'grid_brbk7n.mpg'),
        '-filter_complex',
        '[1:a]aresample=16000,aformat=channel_layouts=mono[b];[2:a]aresample=16000,aformat=channel_layouts=mono[c];[0][b][c]concat=n=3:v=0:a=1',
      ]),
      /^the voice samples hold more than one speaker: voices around \d+ Hz and \d+ Hz$/,
    ],
  ];
  for (const [what, file, message] of cases) {
    const done = await train([file]);
    assert.equal(done.status, 'failed', `${what}: ${JSON.stringify(done)}`);
    assert.match(done.errorMsg ?? '', message, what);
  }
  // A file that only claims to be audio is refused when it is uploaded.
  const fake = path.join(dir, 'fake.wav');
  fs.writeFileSync(fake, Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(2000, 7)]));
  await assert.rejects(client.upload(fake), /unsupported file type/);
});

test('samples in any common format pass the check: MP3, M4A, OGG, FLAC', async () => {
  const reader = librivox[1] ?? '';
  for (const [extension, codec] of [
    ['mp3', 'libmp3lame'],
    ['m4a', 'aac'],
    ['ogg', 'libvorbis'],
    ['flac', 'flac'],
  ] as const) {
    const file = path.join(dir, `reader.${extension}`);
    await ffmpeg(['-i', reader, '-c:a', codec, file]);
    const [checked] = await checkSamples([{ name: path.basename(file), file }], 2);
    assert.ok(
      checked && Math.abs(checked.map.speechSeconds - 5.3) < 0.5,
      `${extension}: ${checked?.map.speechSeconds} s of speech`,
    );
  }
});

test('the CLI trains a voice from recordings and prints its id', async () => {
  const printed: string[] = [];
  const code = await runVoiceCommand(
    [
      'create',
      path.join(samplesDir, 'video', 'grid_lrwp9a.mpg'),
      '--name',
      'lrwp',
      '--url',
      base,
      '--app-id',
      appId,
      '--app-key',
      appKey,
    ],
    (text) => void printed.push(text),
    () => undefined,
    false,
  );
  assert.equal(code, 0, printed.join('\n'));
  assert.match(printed.join('\n'), /^voice lrwp: pv_[0-9a-f]{32} \(from en-US-slt; /);
  await client.authenticate();
});
