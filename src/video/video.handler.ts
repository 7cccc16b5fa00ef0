/**
 * The video tasks (video.render, video.photo) run the job the door checked (video.create.ts):
 * the speech (text sentence by sentence while the render runs, speech-stream.ts; a recording, or
 * text whose subtitles are burnt in, made whole first, video-speech.ts), the avatar model, its
 * layers, the frames through one ffmpeg, and the video, its subtitles and a thumbnail published as
 * results; each step is handed what it uses.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildAvatarModel, type AvatarBuildDeps } from '../avatar/avatar.handler.js';
import { maxBaseFrames } from '../avatar/model-manifest.js';
import { readPackage, type ModelPackage } from '../avatar/model-package.js';
import type { ModelStore } from '../avatar/model-store.js';
import { isStillImage } from '../media/still-image.js';
import { AppError } from '../errors/app-error.js';
import type { FileService } from '../files/file.service.js';
import { requireFreeSpace } from '../media/disk-space.js';
import { probeOr } from '../media/probe.js';
import { runFfmpeg } from '../media/process.runner.js';
import type { TaskHandler } from '../tasks/task.contract.js';
import { renderSrt, renderWebVtt, type Cue } from '../voice/subtitles.js';
import { loadAvatar } from './avatar-frames.js';
import { plainBackdrop } from './backdrop.js';
import {
  buildThumbnailArgs,
  renderFrameCount,
  type MediaLayer,
  type Placement,
} from './render.args.js';
import { renderStreamed, renderVideo } from './render.js';
import { SpeechStream, speechLengthGuessMs } from './speech-stream.js';
import type { VideoPhotoPayload, VideoRenderPayload } from './video.create.js';
import type { LayerJob, TtsSpeech, VideoJob } from './video-param.js';
import { prepareSpeech, type PreparedSpeech } from './video-speech.js';

/** What a render uses; a photo's video builds its avatar model too. */
type TaskServices = AvatarBuildDeps;

export type { VideoPhotoPayload, VideoRenderPayload } from './video.create.js';

/** The least frame rate a background video may have (the FAQ's rule), and at least the output's. */
export const minBackgroundFps = 25;

/**
 * Where the avatar goes when the request does not say. Its size by `layout`: as tall as the
 * picture (height, the default), all of it inside (fit: bars where the shapes differ), or the
 * picture covered (fill: what overflows is cut); centred across, standing on the bottom edge, or,
 * taller than the picture, cut two parts below for one above.
 */
export function defaultPlacement(
  avatar: { width: number; height: number },
  output: readonly [number, number],
  asked: Partial<VideoJob['avatar']>,
): Placement {
  const [across, down] = [output[0] / avatar.width, output[1] / avatar.height];
  const layout = asked.layout ?? 'height';
  const scale =
    asked.scale ??
    (layout === 'fit' ? Math.min(across, down) : layout === 'fill' ? Math.max(across, down) : down);
  const width = avatar.width * scale;
  const height = avatar.height * scale;
  // Taller than the frame (fill): twice as much is cut from below as from above, so the head stays.
  const y = height > output[1] ? -(height - output[1]) / 3 : output[1] - height;
  return {
    x: asked.position?.x ?? (output[0] - width) / 2,
    y: asked.position?.y ?? y,
    scale,
    rotation: asked.rotation ?? 0,
    zPosition: asked.zPosition ?? 0,
  };
}

/** A background or foreground file: a picture, or a video of 25 fps or more (the FAQ's rule). */
export async function openLayer(
  files: FileService,
  layer: LayerJob,
  field: string,
  appId: string,
  fps: number,
  signal: AbortSignal,
): Promise<MediaLayer> {
  const stored = await files.resolve(layer.source, appId, signal, ['image', 'video']);
  const file = await files.localPath(stored.id);
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

/** The background and foregrounds, each checked and found on disk. */
async function openLayers(files: FileService, context: RenderContext) {
  const { job, appId, signal } = context;
  const background = job.background
    ? await openLayer(files, job.background, 'param.backgrounds[0]', appId, job.fps, signal)
    : undefined;
  const foregrounds: MediaLayer[] = [];
  for (const [k, layer] of job.foregrounds.entries()) {
    foregrounds.push(
      await openLayer(files, layer, `param.foregrounds[${k}]`, appId, job.fps, signal),
    );
  }
  return { ...(background ? { background } : {}), foregrounds };
}

/** The subtitles (both kinds), once every cue is known. */
async function writeSubtitles(cues: readonly Cue[], workDir: string) {
  const srt = path.join(workDir, 'subtitles.srt');
  const vtt = path.join(workDir, 'subtitles.vtt');
  await fs.writeFile(srt, renderSrt(cues));
  await fs.writeFile(vtt, renderWebVtt(cues));
  return { srt, vtt };
}

/** The watermark's text as a file, which the filter graph reads. */
async function writeWatermark(job: VideoJob, workDir: string) {
  if (!job.watermark) return undefined;
  const watermark = { file: path.join(workDir, 'watermark.txt') };
  await fs.writeFile(watermark.file, job.watermark);
  return watermark;
}

/**
 * The render's sound: speech made first (a WAV file, every mouth known; its subtitles burnt in
 * when asked), or speech made while the render runs.
 */
type RenderSound =
  | { readonly speech: PreparedSpeech; readonly burnSubtitles?: string }
  | { readonly stream: SpeechStream };

/** The frames rendered through one ffmpeg: the avatar over its layers, with the speech. */
async function renderFrames(
  context: RenderContext,
  input: {
    readonly model: ModelPackage;
    readonly sound: RenderSound;
    readonly layers: Awaited<ReturnType<typeof openLayers>>;
    readonly preset: string;
  },
) {
  const { job, workDir, signal, progress } = context;
  const { sound, layers } = input;
  const watermark = await writeWatermark(job, workDir);
  const avatar = await loadAvatar(input.model, workDir, signal);
  const out = path.join(workDir, `video.${job.format}`);
  try {
    // Over a background, a plain coloured backdrop behind the avatar is keyed out.
    const chromaKey = layers.background ? plainBackdrop(avatar) : undefined;
    const size = job.resolution ?? ([avatar.width, avatar.height] as const);
    progress('render', 12);
    const common = {
      avatar,
      startFrame: job.avatar.startFrame,
      width: size[0],
      height: size[1],
      fps: job.fps,
      format: job.format,
      preset: input.preset,
      ...(job.bitRateMbps !== undefined ? { bitRateMbps: job.bitRateMbps } : {}),
      placement: defaultPlacement(avatar, size, job.avatar),
      ...layers,
      ...(chromaKey ? { chromaKey } : {}),
      ...(watermark ? { watermark } : {}),
      out,
      signal,
      onFrame: (n: number, count: number) => progress('render', 12 + (83 * n) / count),
    };
    if ('stream' in sound) {
      const { frames } = await renderStreamed({ ...common, speech: sound.stream });
      return { out, frames };
    }
    const { speech, burnSubtitles } = sound;
    const { frames } = await renderVideo({
      ...common,
      mouths: speech.mouths(renderFrameCount(speech.durationMs, job.fps)),
      audio: speech.audio,
      ...(speech.gainDb === undefined ? {} : { audioGainDb: speech.gainDb }),
      durationMs: speech.durationMs,
      ...(burnSubtitles ? { burnSubtitles } : {}),
    });
    return { out, frames };
  } finally {
    avatar.close();
  }
}

/** The video, its subtitles and a thumbnail saved as results, and the task's answer. */
async function publish(
  files: FileService,
  context: RenderContext,
  rendered: { readonly out: string; readonly frames: number },
  speech: Pick<PreparedSpeech, 'durationMs' | 'voice' | 'warnings'>,
  texts: { readonly srt: string; readonly vtt: string },
) {
  const { appId, videoName, job, workDir, signal, progress } = context;
  progress('publish', 96);
  const thumbnail = path.join(workDir, 'thumbnail.jpg');
  await runFfmpeg(buildThumbnailArgs(rendered.out, thumbnail), { signal });
  const save = (file: string, name: string, mime: string) =>
    files.saveResult(file, name, appId, mime);
  const video = await save(rendered.out, `${videoName}.${job.format}`, `video/${job.format}`);
  const subtitles = await save(texts.srt, `${videoName}.srt`, 'application/x-subrip');
  const webvtt = await save(texts.vtt, `${videoName}.vtt`, 'text/vtt');
  const thumb = await save(thumbnail, `${videoName}.jpg`, 'image/jpeg');
  progress('publish', 100);
  return {
    videoUrl: files.signedUrl(video),
    subtitleUrl: files.signedUrl(subtitles),
    webvttUrl: files.signedUrl(webvtt),
    thumbnailUrl: files.signedUrl(thumb),
    fileId: video.id,
    duration: Math.round(speech.durationMs) / 1000,
    frames: rendered.frames,
    size: video.size,
    ...(speech.voice ? { voice: speech.voice } : {}),
    ...(speech.warnings.length > 0 ? { warnings: speech.warnings } : {}),
  };
}

/**
 * Speech, avatar, layers, render, publish: the work both video task types share, each step
 * handed what it uses. Text is spoken while the render runs, unless its subtitles are burnt in
 * (they are needed before the first frame); a recording is decoded first.
 */
async function renderTask(services: TaskServices, context: RenderContext) {
  const { job, workDir, signal, progress, appId } = context;
  await requireFreeSpace(services.config, renderSpaceFloor);
  progress('speech', 0);
  if (job.speech.kind === 'tts' && !job.burnSubtitles) {
    return streamedTask(services, context, job.speech);
  }
  const speech = await prepareSpeech(
    {
      tts: services.speech.tts,
      asr: services.speech.asr,
      files: services.files,
      limits: services.config,
    },
    job.speech,
    { appId, workDir, fps: job.fps, signal },
  );
  const texts = await writeSubtitles(speech.cues, workDir);
  progress('avatar', 8);
  const model = await context.model();
  const layers = await openLayers(services.files, context);
  await requireFreeSpace(services.config, renderSpaceNeeded(model, job, speech.durationMs));
  const preset = services.config.videoPreset;
  const burn = job.burnSubtitles && speech.cues.length > 0 ? { burnSubtitles: texts.srt } : {};
  const sound = { speech, ...burn };
  const rendered = await renderFrames(context, { model, sound, layers, preset });
  return publish(services.files, context, rendered, speech, texts);
}

/**
 * Text spoken piece by piece while the avatar model opens and the render runs: the first frames
 * go out once the first piece is made; the subtitles are written once TTS has ended.
 */
async function streamedTask(services: TaskServices, context: RenderContext, speech: TtsSpeech) {
  const { job, workDir, signal, appId } = context;
  const stream = new SpeechStream(services.speech.tts, speech, { appId, fps: job.fps, signal });
  try {
    context.progress('avatar', 8);
    const model = await context.model();
    const layers = await openLayers(services.files, context);
    const guessedMs = speechLengthGuessMs(speech);
    await requireFreeSpace(services.config, renderSpaceNeeded(model, job, guessedMs));
    const preset = services.config.videoPreset;
    const sound = { stream };
    const rendered = await renderFrames(context, { model, sound, layers, preset });
    const spoken = await stream.ended;
    const texts = await writeSubtitles(spoken.cues, workDir);
    const said = { durationMs: spoken.durationMs, voice: stream.voice, warnings: stream.warnings };
    return await publish(services.files, context, rendered, said, texts);
  } finally {
    await stream.close();
  }
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
