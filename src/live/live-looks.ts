/**
 * What a checked script needs before its first frame: each avatar model opened and made ready once
 * (however many scenes show it), each scene's layers found and checked, and the look of every
 * scene (scenes that look the same share a key, so they share a compositor). Also how each
 * scene's speech becomes an utterance.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import type { ModelStore } from '../avatar/model-store.js';
import type { FileService } from '../files/file.service.js';
import { buildPcmDecodeArgs, evenSize } from '../media/ffmpeg.args.js';
import { normaliseLoudness } from '../media/loudness.js';
import { samplesOf } from '../media/pcm.js';
import { runFfmpeg } from '../media/process.runner.js';
import { loadAvatar, type AvatarFrames } from '../video/avatar-frames.js';
import { plainBackdrop } from '../video/backdrop.js';
import { AvatarFrameSource } from '../video/frame-source.js';
import type { MediaLayer } from '../video/render.args.js';
import { defaultPlacement, openLayer } from '../video/video.handler.js';
import type { LiveScene, LiveScript } from './live-script.js';
import type { Utterance } from './live-speaker.js';
import type { Look } from './live-session.js';

export interface LookDeps {
  readonly files: FileService;
  readonly models: ModelStore;
}

export interface OpenedLooks {
  readonly looks: readonly Look[];
  readonly width: number;
  readonly height: number;
  close(): void;
}

const avatarKey = (scene: LiveScene) =>
  `${scene.avatar.url ?? ''}|${scene.avatar.faceFeatureId ?? ''}`;

/** Every scene's look, the avatars decoded once each into `workDir`. */
export async function openLooks(
  deps: LookDeps,
  script: LiveScript,
  owner: { readonly appId: string; readonly sessionId: string },
  workDir: string,
  signal: AbortSignal,
): Promise<OpenedLooks> {
  const avatars = new Map<string, AvatarFrames>();
  const close = () => {
    for (const avatar of avatars.values()) avatar.close();
  };
  try {
    for (const scene of script.scenes) {
      const key = avatarKey(scene);
      if (avatars.has(key)) continue;
      const ref = {
        ...(scene.avatar.url ? { url: scene.avatar.url } : {}),
        ...(scene.avatar.faceFeatureId ? { faceFeatureId: scene.avatar.faceFeatureId } : {}),
      };
      const model = await deps.models.open(ref, owner.appId, owner.sessionId, signal);
      const dir = path.join(workDir, `avatar-${avatars.size}`);
      await fs.mkdir(dir, { recursive: true });
      avatars.set(key, await loadAvatar(model, dir, signal));
    }
    const first = avatars.get(avatarKey(script.scenes[0] as LiveScene)) as AvatarFrames;
    const [width, height] = script.resolution ?? [evenSize(first.width), evenSize(first.height)];
    const looks: Look[] = [];
    for (const [k, scene] of script.scenes.entries()) {
      const avatar = avatars.get(avatarKey(scene)) as AvatarFrames;
      const layers = await sceneLayers(deps.files, scene, k, owner.appId, script.fps, signal);
      const chromaKey = layers.background ? plainBackdrop(avatar) : undefined;
      const composition = {
        avatar,
        width,
        height,
        fps: script.fps,
        placement: defaultPlacement(avatar, [width, height], scene.avatar),
        ...layers,
        ...(chromaKey ? { chromaKey } : {}),
        ...(scene.watermark ? { watermark: await watermarkFile(workDir, k, scene.watermark) } : {}),
      };
      const key = JSON.stringify({
        avatar: avatarKey(scene),
        start: scene.avatar.startFrame,
        placement: composition.placement,
        layers,
        watermark: scene.watermark,
      });
      const reused = looks.find((look) => look.key === key);
      looks.push({
        key,
        source: reused?.source ?? new AvatarFrameSource(avatar, scene.avatar.startFrame),
        composition,
      });
    }
    return { looks, width, height, close };
  } catch (error) {
    close();
    throw error;
  }
}

async function sceneLayers(
  files: FileService,
  scene: LiveScene,
  k: number,
  appId: string,
  fps: number,
  signal: AbortSignal,
): Promise<{ background?: MediaLayer; foregrounds: MediaLayer[] }> {
  const at = `param.sceneList[${k}]`;
  const background = scene.background
    ? await openLayer(files, scene.background, `${at}.backgrounds[0]`, appId, fps, signal)
    : undefined;
  const foregrounds: MediaLayer[] = [];
  for (const [j, layer] of scene.foregrounds.entries()) {
    foregrounds.push(await openLayer(files, layer, `${at}.foregrounds[${j}]`, appId, fps, signal));
  }
  return { ...(background ? { background } : {}), foregrounds };
}

async function watermarkFile(workDir: string, k: number, text: string) {
  const file = path.join(workDir, `watermark-${k}.txt`);
  await fs.writeFile(file, text);
  return { file };
}

/** How scene `k` is said: its text through TTS, or its recording decoded at the session's rate. */
export function sceneUtterance(
  files: FileService,
  script: LiveScript,
  context: { readonly appId: string; readonly sampleRate: number; readonly maxSeconds: number },
  signal: AbortSignal,
): (scene: number, id: number) => Utterance {
  return (scene, id) => {
    const speech = (script.scenes[scene] as LiveScene).speech;
    if (speech.kind === 'tts') {
      return { id, scene, origin: 'script', kind: 'tts', speech, appId: context.appId };
    }
    return {
      id,
      scene,
      origin: 'script',
      kind: 'pcm',
      pcm: () => decodeToPcm(files, speech.source, context, signal),
    };
  };
}

/**
 * A recording (file or URL) as 16-bit mono samples at `sampleRate`, at most `maxSeconds` long, at
 * the loudness target.
 */
export async function decodeToPcm(
  files: FileService,
  source: Parameters<FileService['resolve']>[0],
  context: { readonly appId: string; readonly sampleRate: number; readonly maxSeconds: number },
  signal: AbortSignal,
): Promise<Int16Array> {
  const stored = await files.resolve(source, context.appId, signal, ['audio', 'video']);
  const { stdout } = await runFfmpeg(
    buildPcmDecodeArgs(await files.localPath(stored.id), context.sampleRate, context.maxSeconds),
    { signal },
  );
  // A recording is brought to the loudness every voice is made at.
  return samplesOf(normaliseLoudness(stdout, context.sampleRate));
}
