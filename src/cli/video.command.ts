import fs from 'node:fs/promises';
import path from 'node:path';
import type { AnimaClient, TaskAnswer } from '../../sdk/client.js';
import { parseCommand } from './args.js';
import {
  createAvatar,
  failureText,
  progressBar,
  signedInClient,
  videoArea,
} from './client-tasks.js';

export const videoUsage = `  anima video --avatar <face_feature_id | model.zip | clip | photo> --text "..." [--voice V]
      [--language L] [--background FILE] [--size WxH] [--burn-subtitles] [--webm] [-o out.mp4]
      [--url URL --app-id ID --app-key KEY]`;

const faceFeatureIdPattern = /^[0-9a-f]{32}_s1$/;

/** The digital_role for what --avatar names: an id, a model zip (uploaded), or a clip or photo (built first). */
async function digitalRole(
  client: AnimaClient,
  avatar: string,
  print: (text: string) => void,
  onProgress: (task: TaskAnswer) => void,
): Promise<Record<string, string>> {
  if (faceFeatureIdPattern.test(avatar)) return { face_feature_id: avatar };
  await fs.access(avatar).catch(() => {
    throw new Error(`--avatar ${avatar}: neither a face_feature_id nor a file here`);
  });
  if (avatar.toLowerCase().endsWith('.zip')) {
    const uploaded = await client.upload(avatar);
    return { url: uploaded.url };
  }
  print(`building the avatar from ${path.basename(avatar)} first`);
  const built = await createAvatar(client, avatar, path.parse(avatar).name, onProgress);
  if (built.status !== 'succeeded') throw new Error(failureText('avatar', built));
  const result = built.result as { face_feature_id: string };
  print(`  avatar: face_feature_id ${result.face_feature_id}`);
  return { face_feature_id: result.face_feature_id };
}

/**
 * `anima video`: a client of a running server. Builds the avatar first when given a clip or a
 * photo, renders the text, and downloads the video and its subtitles.
 */
export async function runVideoCommand(
  argv: readonly string[],
  print: (text: string) => void,
  progressOut: (text: string) => void = (text) => void process.stderr.write(text),
  interactive = process.stderr.isTTY,
): Promise<number> {
  const { config, values } = parseCommand(argv, ['serverUrl', 'clientAppId', 'clientAppKey'], {
    avatar: { type: 'string' },
    text: { type: 'string' },
    voice: { type: 'string' },
    language: { type: 'string' },
    background: { type: 'string' },
    size: { type: 'string' },
    'burn-subtitles': { type: 'boolean' },
    webm: { type: 'boolean' },
    out: { type: 'string', short: 'o' },
  });
  const avatar = typeof values.avatar === 'string' ? values.avatar : '';
  const text = typeof values.text === 'string' ? values.text : '';
  if (!avatar || !text) throw new Error(`give --avatar and --text; usage:\n${videoUsage}`);
  const size = typeof values.size === 'string' ? /^(\d+)x(\d+)$/.exec(values.size) : undefined;
  if (size === null) throw new Error('--size is WIDTHxHEIGHT, for example 1280x720');
  const format = values.webm ? 'WebM' : 'MP4';
  const out = typeof values.out === 'string' ? values.out : `anima-video.${format.toLowerCase()}`;
  const client = await signedInClient(config);
  const bar = progressBar(progressOut, interactive);
  const role = await digitalRole(client, avatar, print, bar);
  if (interactive) progressOut('\n');
  const background =
    typeof values.background === 'string' ? await client.upload(values.background) : undefined;
  const param = {
    video_format: format,
    ...(size ? { resolution: [Number(size[1]), Number(size[2])] } : {}),
    digital_role: role,
    tts_config: {
      ...(typeof values.voice === 'string' ? { id: values.voice } : {}),
      ...(typeof values.language === 'string' ? { language: values.language } : {}),
    },
    tts_query: { content: text },
    ...(background ? { backgrounds: [{ fileId: background.fileId }] } : {}),
    ...(values['burn-subtitles'] ? { subtitles: { burn: true } } : {}),
  };
  const { taskId } = await client.call<{ taskId: string }>('POST', `${videoArea}/create`, {
    videoName: path.parse(out).name,
    param,
  });
  const done = await client.waitForTask(videoArea, taskId, bar);
  if (interactive) progressOut('\n');
  if (done.status !== 'succeeded') {
    print(failureText('video', done));
    return 1;
  }
  const result = done.result as { videoUrl: string; subtitleUrl: string; duration: number };
  const subtitles = out.replace(/\.[^./]*$/, '') + '.srt';
  for (const [url, file] of [
    [result.videoUrl, out],
    [result.subtitleUrl, subtitles],
  ] as const) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`downloading ${file}: HTTP ${response.status}`);
    await fs.writeFile(file, Buffer.from(await response.arrayBuffer()));
  }
  print(
    `video: ${out} (${result.duration.toFixed(1)} s)\n  subtitles: ${subtitles}\n  link: ${result.videoUrl}`,
  );
  return 0;
}
