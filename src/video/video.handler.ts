/**
 * The video.render task: speak the text, open the avatar model, check the background, render the
 * frames through one ffmpeg, and publish the video, its subtitles and a thumbnail as results.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildAvatarModel, type AvatarBuildDeps } from '../avatar/avatar.handler.js';
import { maxBaseFrames } from '../avatar/model-manifest.js';
import { readPackage, type ModelPackage } from '../avatar/model-package.js';
import type { ModelStore } from '../avatar/model-store.js';
import { isStillImage } from '../media/still-image.js';
import { AppError } from '../errors/app-error.js';
import type { MediaRef } from '../files/file.service.js';
import { requireFreeSpace } from '../media/disk-space.js';
import { probeOr } from '../media/probe.js';
import { runFfmpeg } from '../media/process.runner.js';
import type { TaskHandler } from '../tasks/task.contract.js';
import type { AlignmentResult } from '../engines/asr/asr.types.js';
import { buildCues, renderSrt, renderWebVtt, type Cue } from '../voice/subtitles.js';
import { normalizeLanguage } from '../voice/voices.js';
import { pcmOfWav } from '../media/pcm.js';
import type { TtsRequest } from '../voice/tts.service.js';
import { loadAvatar } from './avatar-frames.js';
import { decodeRecording, probeRecording } from './recording.js';
import { plainBackdrop } from './backdrop.js';
import { buildThumbnailArgs, type MediaLayer, type Placement } from './render.args.js';
import { renderVideo } from './render.js';
import type { LayerJob, VideoJob } from './video-param.js';
import { FrameLevels, loudnessTrack, visemeTrack, type MouthFrame } from './viseme-track.js';

/** What a render uses; a photo's video builds its avatar model too. */
type TaskServices = AvatarBuildDeps;

export interface VideoRenderPayload {
  readonly videoName: string;
  readonly job: VideoJob;
}

/** single/image/video/create: the photo becomes the avatar first. */
export interface VideoPhotoPayload extends VideoRenderPayload {
  readonly image: MediaRef;
}

/** The least frame rate a background video may have (the FAQ's rule), and at least the output's. */
export const minBackgroundFps = 25;

/** Where the avatar goes when the request does not say: as tall as the picture, centred, at the bottom. */
export function defaultPlacement(
  avatar: { width: number; height: number },
  output: readonly [number, number],
  asked: Partial<VideoJob['avatar']>,
): Placement {
  const scale = asked.scale ?? output[1] / avatar.height;
  const width = avatar.width * scale;
  const height = avatar.height * scale;
  return {
    x: asked.position?.x ?? (output[0] - width) / 2,
    y: asked.position?.y ?? output[1] - height,
    scale,
    rotation: asked.rotation ?? 0,
    zPosition: asked.zPosition ?? 0,
  };
}

/** A background or foreground file: a picture, or a video of 25 fps or more (the FAQ's rule). */
async function layerOf(
  services: TaskServices,
  layer: LayerJob,
  field: string,
  appId: string,
  fps: number,
  signal: AbortSignal,
): Promise<MediaLayer> {
  const stored = await services.files.resolve(layer.source, appId, signal, ['image', 'video']);
  const file = services.files.pathOf(stored.id);
  const info = await probeOr(
    file,
    (reason) => new AppError('mediaUnreadable', { fileName: stored.name, reason }),
    signal,
  );
  if (!info.video) {
    throw new AppError(
      'badParams',
      {},
      { detail: [{ field, problem: `${stored.name} holds no picture` }] },
    );
  }
  const still = isStillImage(info);
  if (!still && (info.video.fps < minBackgroundFps || info.video.fps < fps)) {
    throw new AppError('backgroundFpsTooLow');
  }
  return {
    file,
    kind: still ? 'image' : 'video',
    ...(layer.rect ? { rect: layer.rect } : {}),
    timing: layer.timing,
  };
}

/** Disk any render needs before its length is known: the speech, subtitles and a thumbnail. */
const renderSpaceFloor = 32 * 1024 * 1024;

/**
 * Disk a render fills once its speech is made: the avatar's base frames decoded raw, the video at
 * its bit rate (4 Mbit/s where quality decides), and the floor; the speech is on disk already.
 */
export function renderSpaceNeeded(model: ModelPackage, job: VideoJob, durationMs: number): number {
  const base = model.manifest.base;
  const baseFrames = base.width * base.height * 3 * (base.frames ?? maxBaseFrames);
  const videoBytes = ((job.bitRateMbps ?? 4) * 1e6 * (durationMs / 1000)) / 8;
  return renderSpaceFloor + baseFrames + Math.ceil(videoBytes * 1.1);
}

interface RenderContext {
  readonly appId: string;
  readonly videoName: string;
  readonly job: VideoJob;
  readonly workDir: string;
  readonly signal: AbortSignal;
  readonly progress: (stage: string, percent: number) => void;
  /** The avatar model, opened once the speech is made (it may be built first). */
  readonly model: () => Promise<ModelPackage>;
}

/** Speech, avatar, render, publish: the work both video task types share. */
async function renderTask(services: TaskServices, context: RenderContext) {
  const { job, videoName, workDir, signal, progress, appId } = context;
  await requireFreeSpace(services.config, renderSpaceFloor);
  progress('speech', 0);
  const speech =
    job.speech.kind === 'tts'
      ? await speakText(services, job, appId, workDir, signal)
      : await useRecording(services, job.speech, appId, workDir, job.fps, signal);
  const srt = path.join(workDir, 'subtitles.srt');
  const vtt = path.join(workDir, 'subtitles.vtt');
  await fs.writeFile(srt, renderSrt(speech.cues));
  await fs.writeFile(vtt, renderWebVtt(speech.cues));

  progress('avatar', 8);
  const model = await context.model();
  const background = job.background
    ? await layerOf(services, job.background, 'param.backgrounds[0]', appId, job.fps, signal)
    : undefined;
  const foregrounds: MediaLayer[] = [];
  for (const [k, layer] of job.foregrounds.entries()) {
    foregrounds.push(
      await layerOf(services, layer, `param.foregrounds[${k}]`, appId, job.fps, signal),
    );
  }
  let watermark: { file: string } | undefined;
  if (job.watermark) {
    watermark = { file: path.join(workDir, 'watermark.txt') };
    await fs.writeFile(watermark.file, job.watermark);
  }
  await requireFreeSpace(services.config, renderSpaceNeeded(model, job, speech.durationMs));
  const avatar = await loadAvatar(model, workDir, signal);
  const extension = job.format === 'webm' ? 'webm' : 'mp4';
  const out = path.join(workDir, `video.${extension}`);
  let frames: number;
  try {
    // Over a background, a plain coloured backdrop behind the avatar is keyed out.
    const chromaKey = background ? plainBackdrop(avatar) : undefined;
    const size = job.resolution ?? ([avatar.width, avatar.height] as const);
    const total = Math.max(1, Math.ceil((speech.durationMs * job.fps) / 1000));
    progress('render', 12);
    ({ frames } = await renderVideo({
      avatar,
      mouths: speech.mouths(total),
      startFrame: job.avatar.startFrame,
      audio: speech.audio,
      durationMs: speech.durationMs,
      width: size[0],
      height: size[1],
      fps: job.fps,
      format: job.format,
      preset: services.config.videoPreset,
      ...(job.bitRateMbps !== undefined ? { bitRateMbps: job.bitRateMbps } : {}),
      placement: defaultPlacement(avatar, size, job.avatar),
      ...(background ? { background } : {}),
      ...(chromaKey ? { chromaKey } : {}),
      foregrounds,
      ...(watermark ? { watermark } : {}),
      ...(job.burnSubtitles && speech.cues.length > 0 ? { burnSubtitles: srt } : {}),
      out,
      signal,
      onFrame: (n, count) => progress('render', 12 + (83 * n) / count),
    }));
  } finally {
    avatar.close();
  }

  progress('publish', 96);
  const thumbnail = path.join(workDir, 'thumbnail.jpg');
  await runFfmpeg(buildThumbnailArgs(out, thumbnail), { signal });
  const save = (file: string, name: string, mime: string) =>
    services.files.saveResult(file, name, appId, mime);
  const video = await save(out, `${videoName}.${extension}`, `video/${extension}`);
  const subtitles = await save(srt, `${videoName}.srt`, 'application/x-subrip');
  const webvtt = await save(vtt, `${videoName}.vtt`, 'text/vtt');
  const thumb = await save(thumbnail, `${videoName}.jpg`, 'image/jpeg');
  progress('publish', 100);
  return {
    videoUrl: services.files.signedUrl(video),
    subtitleUrl: services.files.signedUrl(subtitles),
    webvttUrl: services.files.signedUrl(webvtt),
    thumbnailUrl: services.files.signedUrl(thumb),
    fileId: video.id,
    duration: Math.round(speech.durationMs) / 1000,
    frames,
    size: video.size,
    ...(speech.voice ? { voice: speech.voice } : {}),
    ...(speech.warnings.length > 0 ? { warnings: speech.warnings } : {}),
  };
}

/** The soundtrack of a video, its subtitles, and the mouths that go with it. */
interface PreparedSpeech {
  /** A WAV file. */
  readonly audio: string;
  readonly durationMs: number;
  readonly cues: readonly Cue[];
  mouths(frames: number): MouthFrame[];
  /** The TTS voice that spoke, and a warning when it stands in for an unknown one. */
  readonly voice?: string;
  readonly warnings: readonly string[];
}

/** Text through TTS, written to a WAV file as it is made, its loudness measured on the way. */
async function speakText(
  services: TaskServices,
  job: VideoJob,
  appId: string,
  workDir: string,
  signal: AbortSignal,
): Promise<PreparedSpeech> {
  const plan = services.speech.tts.plan({ ...ttsRequest(job), appId });
  const audio = path.join(workDir, 'speech.wav');
  const levels = new FrameLevels(plan.sampleRate, job.fps);
  const said = await services.speech.tts.synthesizeToFile(plan, audio, signal, (pcm) =>
    levels.push(pcm),
  );
  const alphabet = plan.voice.engine === 'espeak' ? 'espeak' : 'arpabet';
  return {
    audio,
    durationMs: said.durationMs,
    cues: said.cues,
    voice: plan.voice.id,
    warnings: plan.warning ? [plan.warning] : [],
    mouths: (frames) =>
      visemeTrack(said.phonemes, alphabet, frames, job.fps, levels.loudness(frames)),
  };
}

/**
 * A recording: English is recognised and aligned (phoneme times drive the mouths, the words
 * become subtitles); other languages, a recording longer than one recognition may take, or a
 * recogniser busy with live streams, drive the mouths from the loudness alone, without subtitles.
 */
async function useRecording(
  services: TaskServices,
  speech: Extract<VideoJob['speech'], { kind: 'audio' }>,
  appId: string,
  workDir: string,
  fps: number,
  signal: AbortSignal,
): Promise<PreparedSpeech> {
  const stored = await services.files.resolve(speech.source, appId, signal, ['audio', 'video']);
  const file = services.files.pathOf(stored.id);
  const limits = services.config;
  await probeRecording(file, stored.name, limits, signal);
  const audio = path.join(workDir, 'speech.wav');
  const { durationMs, levels } = await decodeRecording(
    file,
    stored.name,
    audio,
    fps,
    limits,
    signal,
  );
  const language = speech.language ?? 'en-US';
  let aligned: AlignmentResult | undefined;
  const recognisable =
    services.speech.asr.languages.includes(normalizeLanguage(language) ?? '') &&
    durationMs <= services.config.asrMaxSeconds * 1000;
  if (recognisable)
    aligned = await services.speech.asr.transcribe(pcmOfWav(await fs.readFile(audio)), language);
  return {
    audio,
    durationMs,
    cues: aligned ? buildCues(aligned.words) : [],
    warnings: [],
    mouths: (frames) =>
      aligned
        ? visemeTrack(aligned.phonemes, 'arpabet', frames, fps, levels.loudness(frames))
        : loudnessTrack(levels.loudness(frames)),
  };
}

/** The TTS request a job's speech asks for (also checked at the door). */
export function ttsRequest(job: VideoJob): TtsRequest {
  if (job.speech.kind !== 'tts') throw new Error('not a TTS job');
  const speech = job.speech;
  return {
    text: speech.text,
    ssml: speech.ssml,
    ...(speech.voice ? { voice: speech.voice } : {}),
    ...(speech.language ? { language: speech.language } : {}),
    ...(speech.speedRatio !== undefined ? { speedRatio: speech.speedRatio } : {}),
    ...(speech.pitchOffset !== undefined ? { pitchOffset: speech.pitchOffset } : {}),
    ...(speech.volume !== undefined ? { volume: speech.volume } : {}),
  };
}

/** A video task: the shared render, with the avatar model the task type opens or builds. */
function videoHandler<P extends VideoRenderPayload>(
  services: TaskServices,
  modelOf: (run: Parameters<TaskHandler<P>>[0]) => () => Promise<ModelPackage>,
): TaskHandler<P> {
  return (run) =>
    renderTask(services, {
      appId: run.task.appId,
      videoName: run.params.videoName,
      job: run.params.job,
      workDir: run.workDir,
      signal: run.signal,
      progress: run.progress,
      model: modelOf(run),
    });
}

export function videoRenderHandler(
  services: TaskServices & { readonly models: ModelStore },
): TaskHandler<VideoRenderPayload> {
  const models = services.models;
  return videoHandler(
    services,
    ({ task, params, signal }) =>
      () =>
        models.open(
          { url: params.job.avatar.url, faceFeatureId: params.job.avatar.faceFeatureId },
          task.appId,
          task.id,
          signal,
        ),
  );
}

/** single/image/video/create: the photo's avatar model is built in the task, then rendered. */
export function videoPhotoHandler(services: TaskServices): TaskHandler<VideoPhotoPayload> {
  return videoHandler(services, ({ task, params, signal, workDir, progress }) => async () => {
    const modelDir = path.join(workDir, 'photo-model');
    await fs.mkdir(modelDir, { recursive: true });
    const { built } = await buildAvatarModel(
      services,
      { source: params.image, appId: task.appId, name: params.videoName, accept: ['image'] },
      {
        workDir: modelDir,
        signal,
        progress: (_stage, percent) => progress('avatar', 8 + percent * 0.04),
      },
    );
    return readPackage(built.zipPath);
  });
}
