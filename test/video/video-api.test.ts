import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { AnimaClient } from '../../sdk/client.js';
import { AnimaApiError } from '../../sdk/client.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { decodeFrames } from '../../src/media/decode.js';
import { lipSyncScore, loudnessPerFrame, mouthOpenings } from '../../src/video/lip-sync.js';
import { probeMedia } from '../../src/media/probe.js';
import type { ProductPayloads } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import { runVideoCommand } from '../../src/cli/video.command.js';
import { startWithAvatar } from '../helpers/avatar.js';
import { tempDir, waitFor, type TestServer } from '../helpers/harness.js';
import { fastH264, ffmpeg, measuredLoudness } from '../helpers/media.js';

let server: TestServer<ProductPayloads>;
let client: AnimaClient;
let faceFeatureId: string;
const dir = tempDir();
const videoArea = '/api/2dvh/v1/material/video';

before(async () => {
  ({ server, client, faceFeatureId } = await startWithAvatar('video'));
});
after(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface VideoResult {
  videoUrl: string;
  subtitleUrl: string;
  thumbnailUrl: string;
  duration: number;
  size: number;
}

async function render(param: Record<string, unknown>, name = 'clip') {
  const { taskId } = await client.call<{ taskId: string }>('POST', `${videoArea}/create`, {
    videoName: name,
    param,
  });
  return { taskId, done: await client.waitForTask(videoArea, taskId) };
}

/** A render that must succeed, its video downloaded to `name`. */
async function renderedVideo(param: Record<string, unknown>, name: string): Promise<string> {
  const { done } = await render(param);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  return download((done.result as unknown as VideoResult).videoUrl, name);
}

/** Broadcast sound: 48 kHz, about −16 LUFS, true peak under −1 dBTP (ffmpeg's meter). */
async function assertBroadcastSound(video: string, what: string): Promise<void> {
  const sound = await measuredLoudness(video);
  const seen = `${what}: ${JSON.stringify(sound)}`;
  assert.equal(sound.sampleRate, 48000, seen);
  assert.ok(Math.abs(sound.lufs - -16) <= 1, seen);
  assert.ok(sound.truePeak < -1, seen);
}

async function download(url: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
  return file;
}

test('English text becomes an MP4 of the avatar speaking: sound, length, subtitles, thumbnail, moving lips', async (t) => {
  const text =
    'Good morning, and welcome. Today I will show you how a sentence becomes a video, with my lips in time.';
  const { done } = await render({
    digital_role: { face_feature_id: faceFeatureId },
    tts_config: { language: 'en-US' },
    tts_query: { content: text },
  });
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  const result = done.result as unknown as VideoResult;
  const video = await download(result.videoUrl, 'english.mp4');
  const info = await probeMedia(video);
  assert.equal(info.video?.codec, 'h264');
  assert.equal(info.audio?.codec, 'aac');
  assert.deepEqual([info.video?.width, info.video?.height], [360, 288]);
  assert.ok(
    Math.abs(info.durationSeconds - result.duration) < 0.15,
    `${info.durationSeconds} vs ${result.duration}`,
  );
  assert.ok(result.duration > 4, `${result.duration} s of speech`);
  await assertBroadcastSound(video, 'English TTS');
  const srt = await (await fetch(result.subtitleUrl)).text();
  assert.match(srt, /^1\n00:00:\d\d,\d{3} --> /);
  assert.match(srt, /welcome/);
  const thumbnail = await probeMedia(await download(result.thumbnailUrl, 'thumb.jpg'));
  assert.equal(thumbnail.video?.codec, 'mjpeg');

  // Seen by the face engine on the output alone: the mouth opens and closes with the syllables,
  // and not with the same sound half a second away.
  const engine = await HumanFaceEngine.load();
  const openings = await mouthOpenings(video, engine).finally(() => engine.close());
  const sound = await loudnessPerFrame(video);
  const synced = lipSyncScore(openings, sound).score;
  const moved = lipSyncScore(openings, sound, 12).score;
  t.diagnostic(`lip-sync score ${synced.toFixed(3)}, sound moved 0.5 s ${moved.toFixed(3)}`);
  assert.ok(synced > 0.15, `lip-sync score ${synced.toFixed(3)}`);
  assert.ok(synced > moved + 0.1, `in sync, not just moving: ${synced} vs ${moved}`);
});

test('a voice id of the hosted service renders with the language default, said in the answer and the result', async () => {
  const { taskId, warnings } = await client.call<{ taskId: string; warnings?: string[] }>(
    'POST',
    `${videoArea}/create`,
    {
      videoName: 'hosted-voice',
      param: {
        digital_role: { face_feature_id: faceFeatureId },
        tts_config: { id: '8wfZav:AEA_Z10M', language: 'en-US' },
        tts_query: { content: 'Hello there.' },
      },
    },
  );
  assert.match(warnings?.[0] ?? '', /8wfZav:AEA_Z10M is not known here, so en-US-slt/);
  const done = await client.waitForTask(videoArea, taskId);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  const result = done.result as { voice?: string; warnings?: string[] };
  assert.equal(result.voice, 'en-US-slt');
  assert.deepEqual(result.warnings, warnings);
});

test('Mandarin text as WebM: background, foreground, watermark, burned subtitles, size and place', async () => {
  const picture = await client.upload(path.join(samplesDir, 'image', 'astronaut.png'));
  const badge = path.join(dir, 'badge.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', badge]);
  const foreground = await client.upload(badge);
  const { done } = await render({
    video_format: 'WebM',
    resolution: [640, 360],
    digital_role: { face_feature_id: faceFeatureId, position: { x: 340, y: 72 }, scale: 1 },
    tts_config: { language: 'zh-CN' },
    tts_query: { content: '你好，欢迎来到我们的平台。' },
    backgrounds: [{ type: 0, fileId: picture.fileId }],
    foregrounds: [{ type: 0, fileId: foreground.fileId, rect: [10, 290, 64, 64] }],
    watermark: { show: true, content: 'Anima 演示' },
    subtitles: { burn: true },
  });
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  const result = done.result as unknown as VideoResult;
  const video = await download(result.videoUrl, 'mandarin.webm');
  const info = await probeMedia(video);
  assert.deepEqual([info.video?.width, info.video?.height], [640, 360]);
  assert.deepEqual([info.video?.codec, info.audio?.codec], ['vp9', 'opus']);
  await assertBroadcastSound(video, 'Mandarin TTS');
  const srt = await (await fetch(result.subtitleUrl)).text();
  assert.match(srt, /欢迎/);
  for await (const frame of decodeFrames(
    video,
    { width: 640, height: 360 },
    { fps: 25, only: [5] },
  )) {
    // Top left is the astronaut picture (not the black of no background); the avatar's own blue
    // wall is on the right.
    const at = (x: number, y: number) => [
      ...frame.rgb.subarray((y * 640 + x) * 3, (y * 640 + x) * 3 + 3),
    ];
    let sum = 0;
    for (let y = 0; y < 40; y++)
      for (let x = 0; x < 40; x++) sum += at(x, y).reduce((a, v) => a + v, 0);
    assert.ok(sum / 1600 > 40, `the background's top left is not black (${sum / 1600})`);
    const [fr, fg, fb] = at(42, 322);
    assert.ok(
      (fr ?? 0) > 180 && (fg ?? 0) < 80 && (fb ?? 0) < 80,
      `the red foreground: ${at(42, 322).join(',')}`,
    );
  }
});

/** The colour at (x, y) of frame `n` of a 640x360 video. */
async function pixels(video: string, n: number, points: readonly (readonly [number, number])[]) {
  for await (const frame of decodeFrames(
    video,
    { width: 640, height: 360 },
    { fps: 25, only: [n] },
  )) {
    return points.map(([x, y]) => [
      ...frame.rgb.subarray((y * 640 + x) * 3, (y * 640 + x) * 3 + 3),
    ]);
  }
  assert.fail(`no frame ${n}`);
}

const near = (rgb: number[] | undefined, want: readonly number[], label: string) =>
  assert.ok(
    rgb && rgb.every((v, c) => Math.abs(v - (want[c] ?? 0)) < 45),
    `${label}: ${rgb?.join(',')} is not ${want.join(',')}`,
  );

test('layers: the blue wall keyed over the background, layer timing and offset, the avatar between foregrounds', async () => {
  // A background video that is blue for 0.5 s, then red; played from 0.5 s, once, from 0.8 s.
  const background = path.join(dir, 'blue-red.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=c=blue:s=64x36:r=25:d=0.5',
    '-f',
    'lavfi',
    '-i',
    'color=c=red:s=64x36:r=25:d=0.5',
    '-filter_complex',
    '[0][1]concat=n=2:v=1',
    ...fastH264,
    background,
  ]);
  const green = path.join(dir, 'green.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=0x00ff00:s=32x32', '-frames:v', '1', green]);
  const [bg, fg] = [await client.upload(background), await client.upload(green)];
  const video = await renderedVideo(
    {
      resolution: [640, 360],
      digital_role: {
        face_feature_id: faceFeatureId,
        position: { x: 340, y: 72 },
        scale: 1,
        z_position: 1,
      },
      tts_query: { content: 'Hello there, and welcome to the show.' },
      backgrounds: [{ type: 1, fileId: bg.fileId, start: 0.8, play_offset: 0.5, cycle: false }],
      // Over the avatar's top left corner (its wall) and its face, from 0.3 s for 0.4 s.
      foregrounds: [
        { type: 0, fileId: fg.fileId, rect: [340, 80, 200, 140], start: 0.3, duration: 0.4 },
      ],
    },
    'layers.mp4',
  );
  const wall = [350, 90] as const;
  const face = [520, 200] as const;
  const black = [0, 0, 0];
  const red = [255, 0, 0];
  // 0.2 s: no background yet, the wall keyed: black shows through it.
  const [early] = await pixels(video, 5, [wall]);
  near(early, black, 'the wall at 0.2 s, before the background starts');
  // 0.5 s: the foreground is under the avatar (z_position 1): green through the wall, not on the face.
  const [under, skin] = await pixels(video, 12, [wall, face]);
  near(under, [0, 255, 0], 'the wall at 0.5 s, over the foreground');
  assert.ok(
    skin && (skin[0] ?? 0) > (skin[1] ?? 0) + 20,
    `the face is over it: ${skin?.join(',')}`,
  );
  // 1.0 s and 1.7 s: the background from its 0.5 s point (red, not blue), held after it ends.
  for (const n of [25, 42]) {
    const [seen] = await pixels(video, n, [wall]);
    near(seen, red, `the wall at frame ${n}, over the background`);
  }
});

test('a rotated avatar turns about its centre', async () => {
  const video = await renderedVideo(
    {
      resolution: [640, 360],
      digital_role: {
        face_feature_id: faceFeatureId,
        position: { x: 140, y: 36 },
        scale: 1,
        rotation: 90,
      },
      tts_query: { content: 'Turning around.' },
    },
    'turned.mp4',
  );
  // The 360x288 box centred at (320, 180) becomes 288x360: x 176–464, y 0–360.
  const [outside, inside] = await pixels(video, 5, [
    [150, 180],
    [320, 10],
  ]);
  near(outside, [0, 0, 0], 'left of the turned avatar');
  assert.ok(
    (inside ?? []).reduce((a, v) => a + v, 0) > 90,
    `the avatar at the top: ${inside?.join(',')}`,
  );
});

test('layout: a 5:4 avatar in a 16:9 frame fills it (cut, no bars) or fits it (bars beside)', async () => {
  const frame = (layout: string) =>
    renderedVideo(
      {
        resolution: [640, 360],
        digital_role: { face_feature_id: faceFeatureId, layout },
        tts_query: { content: 'Fill the frame.' },
      },
      `${layout}.mp4`,
    );
  const edges = [
    [4, 180],
    [635, 180],
  ] as const;
  for (const edge of await pixels(await frame('fill'), 5, edges)) {
    assert.ok((edge ?? []).reduce((a, v) => a + v, 0) > 90, `filled: ${edge?.join(',')}`);
  }
  for (const edge of await pixels(await frame('fit'), 5, edges)) near(edge, [0, 0, 0], 'a bar');
});

test('faults in the request answer at once, each naming its field', async () => {
  const refused = async (param: unknown) => {
    try {
      await client.call('POST', `${videoArea}/create`, { videoName: 'bad', param });
    } catch (error) {
      assert.ok(error instanceof AnimaApiError);
      return `${error.code} ${error.message} ${JSON.stringify(error.detail ?? [])}`;
    }
    assert.fail('the request was accepted');
  };
  const speech = { tts_query: { content: 'Hello there.' } };
  const role = { digital_role: { face_feature_id: faceFeatureId } };
  assert.match(await refused('{not json'), /param.*not valid JSON/);
  assert.match(await refused({ ...speech }), /param.*digital_role/);
  assert.match(await refused({ ...role }), /tts_query/);
  assert.match(await refused({ ...role, ...speech, resolution: [641, 360] }), /resolution.*even/);
  assert.match(
    await refused({ ...role, ...speech, watermark: { show: true } }),
    /watermark.content/,
  );
  assert.match(await refused({ ...role, ...speech, colour: 'red' }), /3333/);
  assert.match(
    await refused({ ...speech, digital_role: { face_feature_id: faceFeatureId, z_position: 2 } }),
    /z_position.*0 to 0/,
  );
  assert.match(
    await refused({ ...role, tts_query: { content: `${'word '.repeat(30)}end.` } }),
    /^6003 engine status error: failed, backend buffer size is too long/,
  );
  assert.match(
    await refused(JSON.stringify({ ...role, ...speech, tts_config: { speed_ratio: 9 } })),
    /speed_ratio/,
  );
});

test('a background video under 25 fps, or a model that is not the face_feature_id, fail with the FAQ messages', async () => {
  const slow = path.join(dir, 'slow.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=15',
    '-t',
    '2',
    ...fastH264,
    slow,
  ]);
  const upload = await client.upload(slow);
  const speech = { tts_query: { content: 'Hello there.' } };
  const slowDone = (
    await render({
      digital_role: { face_feature_id: faceFeatureId },
      ...speech,
      backgrounds: [{ type: 1, fileId: upload.fileId }],
    })
  ).done;
  assert.equal(slowDone.status, 'failed');
  assert.equal(
    slowDone.errorMsg,
    '[worker2d] FfmpegTask: process image info failed: output fps must be smaller than input fps.',
  );
  // A background cut short (its MP4 index lost) is the client's file at fault, named, no path.
  const background = path.join(dir, 'background.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25',
    '-t',
    '2',
    ...fastH264,
    background,
  ]);
  const whole = fs.readFileSync(background);
  const cut = path.join(dir, 'cut-background.mp4');
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  const cutDone = (
    await render({
      digital_role: { face_feature_id: faceFeatureId },
      ...speech,
      backgrounds: [{ type: 1, fileId: (await client.upload(cut)).fileId }],
    })
  ).done;
  assert.equal(cutDone.errorCode, 3021, JSON.stringify(cutDone));
  assert.match(cutDone.errorMsg ?? '', /^the file cut-background\.mp4 cannot be read as media: /);
  assert.doesNotMatch(cutDone.errorMsg ?? '', /\//);
  const wrong = await render({
    digital_role: { face_feature_id: 'f'.repeat(32) + '_s1' },
    ...speech,
  });
  assert.equal(wrong.done.status, 'failed');
  assert.equal(wrong.done.errorMsg, `FfmpegTask: no pcm sound. taskId:${wrong.taskId}`);
});

test('the CLI builds the avatar from a clip, renders, and downloads the video and subtitles', async () => {
  const other = await server.platform.auth.createApp({ name: 'video-cli' });
  const printed: string[] = [];
  const progress: string[] = [];
  const out = path.join(dir, 'cli.mp4');
  const code = await runVideoCommand(
    [
      '--avatar',
      path.join(samplesDir, 'video', 'grid_sbia1a.mpg'),
      '--text',
      'This video was made from the command line.',
      '-o',
      out,
      '--url',
      client.baseUrl,
      '--app-id',
      other.appId,
      '--app-key',
      other.appKey,
    ],
    (text) => void printed.push(text),
    (text) => void progress.push(text),
    false,
  );
  assert.equal(code, 0, printed.join('\n'));
  assert.match(printed.join('\n'), /face_feature_id [0-9a-f]{32}_s1/);
  // The video's own stages show (a stage as short as the render may fall between two polls; the
  // last poll always sees the task in its last stage).
  assert.ok(
    progress.some((line) => /% publish/.test(line)),
    progress.join(''),
  );
  const info = await probeMedia(out);
  assert.equal(info.video?.codec, 'h264');
  assert.match(fs.readFileSync(path.join(dir, 'cli.srt'), 'utf8'), /command line/);
  await assert.rejects(
    runVideoCommand(['--text', 'x', '--url', client.baseUrl], () => undefined),
    /give --avatar and --text/,
  );
});

test('one photo speaks: single/image/video/create builds its avatar in the task and renders', async () => {
  await client.authenticate(); // the CLI test before signed in as another app; keep ours fresh
  const photo = await client.upload(path.join(samplesDir, 'image', 'astronaut.png'));
  const { taskId } = await client.call<{ taskId: string }>(
    'POST',
    '/api/2dvh/v1/material/single/image/video/create',
    {
      videoName: 'photo',
      param: JSON.stringify({
        imageUrl: photo.url,
        tts_config: { language: 'en-US' },
        tts_query: { content: 'A single photo can speak too.' },
      }),
    },
  );
  const stages = new Set<string>();
  const done = await client.waitForTask(videoArea, taskId, (task) => void stages.add(task.stage));
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  assert.ok(stages.has('avatar'), [...stages].join(', '));
  const video = await download((done.result as unknown as VideoResult).videoUrl, 'photo.mp4');
  const info = await probeMedia(video);
  assert.deepEqual([info.video?.width, info.video?.height], [512, 512]);
  await assert.rejects(
    client.call('POST', '/api/2dvh/v1/material/single/image/video/create', {
      videoName: 'nophoto',
      param: { tts_query: { content: 'Hello.' } },
    }),
    /imageUrl/,
  );
});

test('cancel stops a render at once, ffmpeg included', async () => {
  await client.authenticate();
  const long = Array.from(
    { length: 12 },
    () => 'This sentence is here to make the video long.',
  ).join(' ');
  const { taskId } = await client.call<{ taskId: string }>('POST', `${videoArea}/create`, {
    videoName: 'long',
    param: {
      resolution: [1280, 720],
      digital_role: { face_feature_id: faceFeatureId },
      tts_query: { content: long },
    },
  });
  const ffmpegChildren = () =>
    fs
      .readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          return (
            stat.includes('(ffmpeg)') && stat.split(') ')[1]?.split(' ')[1] === String(process.pid)
          );
        } catch {
          return false;
        }
      });
  for (let i = 0; i < 200; i++) {
    const task = await client.task(videoArea, taskId);
    if (task.stage === 'render' && task.progress > 15) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(ffmpegChildren().length > 0, 'ffmpeg is rendering');
  await client.call('POST', `${videoArea}/cancel`, { taskId });
  const done = await client.waitForTask(videoArea, taskId, undefined, 20);
  // The render was cut short, not waited out: cancelled part-way, and its ffmpeg gone.
  assert.equal(done.status, 'cancelled');
  assert.ok(done.progress < 100, `progress ${done.progress}`);
  await waitFor(() => (ffmpegChildren().length === 0 ? true : undefined), 20_000, 'ffmpeg to exit');
});

test('a recording speaks: English aligned with subtitles, Mandarin by its loudness, silence refused', async (t) => {
  await client.authenticate();
  const english = await client.upload(
    path.join(samplesDir, 'audio', 'librivox_en_sense_and_sensibility_0920.wav'),
  );
  const englishDone = (
    await render({
      digital_role: { face_feature_id: faceFeatureId },
      audios: [{ url: english.url }],
    })
  ).done;
  assert.equal(englishDone.status, 'succeeded', JSON.stringify(englishDone));
  const englishResult = englishDone.result as unknown as VideoResult;
  assert.ok(Math.abs(englishResult.duration - 6.05) < 0.1, `${englishResult.duration} s`);
  const srt = await (await fetch(englishResult.subtitleUrl)).text();
  assert.match(srt, /^1\n00:00:/, 'the recognised words become subtitles');

  const mandarin = await client.upload(path.join(samplesDir, 'audio', 'fleurs_cmn_1883.wav'));
  const mandarinDone = (
    await render({
      digital_role: { face_feature_id: faceFeatureId },
      tts_config: { language: 'zh-CN' },
      audios: [{ url: mandarin.url }],
    })
  ).done;
  assert.equal(mandarinDone.status, 'succeeded', JSON.stringify(mandarinDone));
  const video = await download(
    (mandarinDone.result as unknown as VideoResult).videoUrl,
    'zh-rec.mp4',
  );
  await assertBroadcastSound(video, 'Mandarin recording');
  const engine = await HumanFaceEngine.load();
  const openings = await mouthOpenings(video, engine).finally(() => engine.close());
  const sound = await loudnessPerFrame(video);
  const synced = lipSyncScore(openings, sound).score;
  const moved = lipSyncScore(openings, sound, 12).score;
  t.diagnostic(
    `Mandarin recording, driven by loudness: ${synced.toFixed(3)}, moved ${moved.toFixed(3)}`,
  );
  assert.ok(synced > moved + 0.1, `${synced} vs ${moved}`);

  const mute = path.join(dir, 'mute.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=25',
    '-t',
    '1',
    ...fastH264,
    mute,
  ]);
  const muted = await client.upload(mute);
  // A recording already here is probed at the door: no task is queued for it.
  await assert.rejects(
    render({ digital_role: { face_feature_id: faceFeatureId }, audios: [{ url: muted.url }] }),
    (error: unknown) =>
      error instanceof AnimaApiError &&
      error.code === 8101 &&
      error.message === 'the recording mute.mp4 cannot be used: it holds no sound',
  );
});
