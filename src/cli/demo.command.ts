import fs from 'node:fs';
import path from 'node:path';
import { AnimaClient } from '../../sdk/client.js';
import { VoiceSocket } from '../../sdk/voice-socket.js';
import { toWav } from '../media/pcm.js';
import { productRoutes } from '../server/product.js';
import { startServer } from '../server/serve.js';
import { productHandlers } from '../tasks/handlers.js';
import { samplesDir } from '../util/paths.js';
import { parseCommand } from './args.js';

/**
 * `anima demo`: starts the server on the embedded defaults, makes a demo app, and walks the API
 * the way a client would (sign → token → upload a bundled clip → signed download link → speech
 * over the streaming voice socket, both ways), printing each step and the commands to try next.
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
    productHandlers,
    { routes: productRoutes },
  );
  try {
    const app =
      server.platform.auth
        .listApps()
        .find((candidate) => candidate.name === 'demo' && candidate.revokedAt === null) ??
      server.platform.auth.createApp({ name: 'demo' });
    const client = new AnimaClient(server.url, app.appId, app.appKey);
    const grant = await client.authenticate();
    const clip = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
    const uploaded = await client.upload(clip);
    const download = await fetch(uploaded.url);
    const bytes = (await download.arrayBuffer()).byteLength;
    const speech = await speakAndListen(server.url, grant.accessToken, config.dataDir);
    print(`Anima is running at ${server.url} (data in ${config.dataDir})
  demo app:     appId ${app.appId}  appKey ${app.appKey}
  token:        exchanged an MD5 sign for an access token valid ${grant.expiresIn} s
  upload:       ${path.basename(clip)} -> fileId ${uploaded.fileId} (${uploaded.mimeType}, ${uploaded.size} bytes)
  download:     the signed link returned ${download.status} with ${bytes} bytes
  speech:       ${speech.english} (${speech.englishMs} ms of audio; first audio after ${speech.firstAudioMs} ms, engines starting cold)
                ${speech.mandarin}
  recognised:   "${speech.heard}"
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
