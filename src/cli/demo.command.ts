import fs from 'node:fs';
import path from 'node:path';
import { AnimaClient } from '../../sdk/client.js';
import { VoiceSocket } from '../../sdk/voice-socket.js';
import { toWav } from '../media/pcm.js';
import { productServer, wireProduct } from '../server/product.js';
import { startServer } from '../server/serve.js';
import { samplesDir } from '../util/paths.js';
import { parseCommand } from './args.js';
import { createAvatar, failureText, videoArea } from './client-tasks.js';

/**
 * `anima demo`: starts the server on the embedded defaults, makes a demo app, and walks the API
 * the way a client would (sign → token → upload a bundled clip → signed download link → speech
 * over the streaming voice socket, both ways → an avatar built from the clip → a video of it
 * speaking a sentence), printing each step, where the video is, and the commands to try next.
 * It keeps serving unless --once is given.
 */
export async function runDemoCommand(
  argv: readonly string[],
  print: (text: string) => void,
): Promise<number> {
  const { config, values } = parseCommand(argv, ['port', 'host', 'dataDir', 'logLevel'], {
    once: { type: 'boolean' },
  });
  const server = await startServer(
    { ...config, logLevel: values.once ? 'warn' : config.logLevel },
    wireProduct,
    productServer,
  );
  try {
    const app =
      (await server.platform.auth.listApps()).find(
        (candidate) => candidate.name === 'demo' && candidate.revokedAt === null,
      ) ?? (await server.platform.auth.createApp({ name: 'demo' }));
    const client = new AnimaClient(server.url, app.appId, app.appKey);
    const grant = await client.authenticate();
    const clip = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
    const uploaded = await client.upload(clip);
    const download = await fetch(uploaded.url);
    const bytes = (await download.arrayBuffer()).byteLength;
    const speech = await speakAndListen(server.url, grant.accessToken, config.dataDir);
    const made = await avatarAndVideo(client, clip, config.dataDir);
    print(`Anima is running at ${server.url} (data in ${config.dataDir})
  demo app:     appId ${app.appId}  appKey ${app.appKey}
  token:        exchanged an MD5 sign for an access token valid ${grant.expiresIn} s
  upload:       ${path.basename(clip)} -> fileId ${uploaded.fileId} (${uploaded.mimeType}, ${uploaded.size} bytes)
  download:     the signed link returned ${download.status} with ${bytes} bytes
  speech:       ${speech.english} (${speech.englishMs} ms of audio; first audio after ${speech.firstAudioMs} ms, engines starting cold)
                ${speech.mandarin}
  recognised:   "${speech.heard}"
  avatar:       built from ${path.basename(clip)} -> face_feature_id ${made.faceFeatureId}
  video:        ${made.video} (${made.duration.toFixed(1)} s, the avatar speaking "${demoSentence}")
                subtitles ${made.subtitles}
  API docs:     ${server.url}/docs

Try it yourself:
  ts=$(date +%s); sign=$(printf '%s' "${app.appId}$${'{ts}'}${app.appKey}" | md5sum | cut -c1-32)
  curl -s -X POST ${server.url}/api/uc/v1/access/api/token -H 'Content-Type: application/json' \\
    -d "{\\"appId\\":\\"${app.appId}\\",\\"timestamp\\":\\"$ts\\",\\"sign\\":\\"$sign\\",\\"grantType\\":\\"sign\\"}"`);
    if (values.once) return 0;
    print('\nServing until Ctrl-C.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    await server.close();
  }
}

const demoSentence =
  'Hello, I am your own digital human. I was made from a three second clip, and I can say anything you type.';

/** The main job: an avatar from the bundled clip, then a video of it speaking, saved beside the data. */
async function avatarAndVideo(client: AnimaClient, clip: string, dataDir: string) {
  const built = await createAvatar(client, clip, 'demo speaker', () => undefined);
  if (built.status !== 'succeeded') throw new Error(failureText('demo avatar', built));
  const faceFeatureId = (built.result as { face_feature_id: string }).face_feature_id;
  const { taskId } = await client.call<{ taskId: string }>('POST', `${videoArea}/create`, {
    videoName: 'anima-demo',
    param: {
      resolution: [720, 576],
      digital_role: { face_feature_id: faceFeatureId },
      tts_config: { language: 'en-US' },
      tts_query: { content: demoSentence },
    },
  });
  const done = await client.waitForTask(videoArea, taskId);
  if (done.status !== 'succeeded') throw new Error(failureText('demo video', done));
  const result = done.result as { videoUrl: string; subtitleUrl: string; duration: number };
  const folder = path.join(dataDir, 'demo');
  fs.mkdirSync(folder, { recursive: true });
  const video = path.join(folder, 'anima-demo.mp4');
  const subtitles = path.join(folder, 'anima-demo.srt');
  fs.writeFileSync(video, Buffer.from(await (await fetch(result.videoUrl)).arrayBuffer()));
  fs.writeFileSync(subtitles, Buffer.from(await (await fetch(result.subtitleUrl)).arrayBuffer()));
  return { faceFeatureId, video, subtitles, duration: result.duration };
}

/** One TTS request on its own socket: the audio and the messages that came with it. */
async function speakOnce(url: string, token: string, tts: object, text: string) {
  const socket = await VoiceSocket.open(url, token);
  try {
    await socket.start({ type: 'TTS3', tts });
    return await socket.speak('demo', text);
  } finally {
    socket.close();
  }
}

/** Speaks English and Mandarin over the voice socket into WAV files, then recognises the English. */
async function speakAndListen(url: string, token: string, dataDir: string) {
  const folder = path.join(dataDir, 'demo');
  fs.mkdirSync(folder, { recursive: true });
  const english = await speakOnce(
    url,
    token,
    { format: 'pcm', subtitle: 'srt' },
    'Hello, I am Anima, your own digital human. It is nice to meet you.',
  );
  const englishFile = path.join(folder, 'hello-en.wav');
  fs.writeFileSync(englishFile, toWav(english.audio, 16000));
  const srt = english.messages.find((message) => message.tts?.type === 'subtitle')?.tts?.data;
  if (srt) fs.writeFileSync(path.join(folder, 'hello-en.srt'), srt);
  const mandarin = await speakOnce(
    url,
    token,
    { format: 'pcm', language: 'zh-CN' },
    '你好，我是你的数字人。今天是2026年11月26日。',
  );
  const mandarinFile = path.join(folder, 'hello-zh.wav');
  fs.writeFileSync(mandarinFile, toWav(mandarin.audio, 16000));
  const asr = await VoiceSocket.open(url, token);
  try {
    await asr.start({ type: 'ASR5', asr: { language: 'en-US' } });
    const answers = await asr.recognize(english.audio);
    return {
      english: englishFile,
      englishMs: Math.round((english.audio.length / 32000) * 1000),
      firstAudioMs: Math.round(english.firstAudioMs),
      mandarin: mandarinFile,
      heard: answers.find((answer) => answer.asr?.type === 'final')?.asr?.text ?? '',
    };
  } finally {
    asr.close();
  }
}
