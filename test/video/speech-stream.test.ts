/**
 * A video task's speech made sentence by sentence while the render runs (speech-stream.ts with
 * render.ts renderStreamed), for real: Festival speaks, the astronaut photo's model is drawn, and
 * ffmpeg encodes what arrives on stdin and pipe:3.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readPackage } from '../../src/avatar/model-package.js';
import { buildPhotoModel } from '../../src/avatar/photo-model.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { probeMedia } from '../../src/media/probe.js';
import { runProcess } from '../../src/media/process.runner.js';
import { samplesDir } from '../../src/util/paths.js';
import { loadAvatar, type AvatarFrames } from '../../src/video/avatar-frames.js';
import { renderStreamed } from '../../src/video/render.js';
import { renderFrameCount, videoSoundRate } from '../../src/video/render.args.js';
import { SpeechStream } from '../../src/video/speech-stream.js';
import type { TtsSpeech } from '../../src/video/video-param.js';
import { openSpeech } from '../../src/voice/speech.js';
import { tempDir } from '../helpers/harness.js';
import { ffmpegChildren } from '../helpers/live-probe.js';

const text =
  'Good morning, and welcome. We opened two new offices this spring. ' +
  'Sales grew by twelve percent. Costs stayed flat. Thank you for watching.';
const speech: TtsSpeech = { kind: 'tts', text, ssml: false, language: 'en-US' };
const fps = 25;
const dir = tempDir();
const voice = openSpeech({ ttsMaxChars: 2000, asrMaxStreams: 1, festivalProcesses: 1 });
let avatar: AvatarFrames;

before(async () => {
  const engine = await HumanFaceEngine.load();
  try {
    const photo = path.join(samplesDir, 'image', 'astronaut.png');
    const info = await probeMedia(photo);
    assert.ok(info.video);
    const built = await buildPhotoModel({
      file: photo,
      info: { ...info, video: info.video },
      names: { modelId: 'stream_s1', fileName: 'astronaut.png' },
      name: 'astronaut',
      engine,
      workDir: dir,
      progress: () => undefined,
    });
    avatar = await loadAvatar(await readPackage(built.zipPath), dir);
  } finally {
    await engine.close();
  }
});
after(async () => {
  avatar.close();
  await voice.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Each stream's type and duration (s), and the video's frame count, as ffprobe reads the file. */
async function streamLengths(file: string) {
  const { stdout } = await runProcess('ffprobe', [
    ...['-v', 'error', '-count_packets'],
    ...['-show_entries', 'stream=codec_type,duration,nb_read_packets', '-of', 'json', file],
  ]);
  const streams = (
    JSON.parse(stdout.toString('utf8')) as {
      streams: { codec_type: string; duration: string; nb_read_packets: string }[];
    }
  ).streams;
  const of = (type: string) => streams.find((stream) => stream.codec_type === type);
  return {
    video: Number(of('video')?.duration),
    frames: Number(of('video')?.nb_read_packets),
    audio: Number(of('audio')?.duration),
  };
}

test('the render starts with the first sentence, draws only what speech covers, and its sound and picture end together', async () => {
  const events: string[] = [];
  let coveredTo = 0;
  const drawnUncovered: number[] = [];
  const stream = new SpeechStream(
    voice.tts,
    speech,
    { appId: 'app', fps, signal: new AbortController().signal },
    {
      onPiece: (to) => {
        coveredTo = to;
        events.push('piece');
      },
      onEnd: () => events.push('end'),
    },
  );
  const out = path.join(dir, 'streamed.mp4');
  const rendered = await renderStreamed({
    avatar,
    speech: stream,
    width: avatar.width,
    height: avatar.height,
    fps,
    format: 'mp4',
    preset: 'ultrafast',
    placement: { x: 0, y: 0, scale: 1 },
    out,
    onFrame: (n) => {
      // Frame n - 1 was just drawn: the speech must already have covered it.
      if (n - 1 >= coveredTo) drawnUncovered.push(n - 1);
      if (n === 1) events.push('frame');
    },
  });
  const spoken = await stream.ended;

  assert.ok(events.indexOf('frame') > 0, events.join(' '));
  assert.ok(
    events.indexOf('frame') < events.indexOf('end'),
    `render began after TTS ended: ${events.join(' ')}`,
  );
  assert.ok(events.filter((event) => event === 'piece').length >= 3, events.join(' '));
  assert.deepEqual(drawnUncovered, [], 'frames drawn before the speech covered them');

  // The length and the subtitles are what the whole text spoken at once gives.
  const plan = voice.tts.plan({ text, language: 'en-US', sampleRate: videoSoundRate });
  const whole = await voice.tts.synthesize(plan);
  assert.ok(
    Math.abs(spoken.durationMs - whole.durationMs) <= 1,
    `${spoken.durationMs} ${whole.durationMs}`,
  );
  assert.deepEqual(spoken.cues, whole.cues);
  assert.equal(rendered.frames, renderFrameCount(spoken.durationMs, fps));
  assert.equal(spoken.frames, rendered.frames);

  const lengths = await streamLengths(out);
  assert.equal(lengths.frames, rendered.frames);
  assert.ok(Math.abs(lengths.video - rendered.frames / fps) < 0.001, JSON.stringify(lengths));
  // AAC codes in blocks of 1024 samples: the sound may end up to one block after the picture.
  const block = 1024 / stream.timeline.sampleRate;
  assert.ok(
    lengths.audio >= lengths.video - 0.001 && lengths.audio <= lengths.video + block,
    JSON.stringify({ ...lengths, block }),
  );
  assert.deepEqual(ffmpegChildren(), []);
});
