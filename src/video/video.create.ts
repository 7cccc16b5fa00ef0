/**
 * A video create at the door: the param parsed and checked once, with everything that can be
 * known before the task runs (the speech's voice, language, ranges and text; a recording already
 * here; a layer file that must exist), and the task's payload made from what was checked, the
 * voice chosen included, so the task does not decide it again.
 */
import type { FileService, MediaRef } from '../files/file.service.js';
import type { TtsRequest, TtsService } from '../voice/tts.service.js';
import { checkRecordingAtDoor, type RecordingLimits } from './recording.js';
import { videoSoundRate } from './render.args.js';
import { parseVideoParam, type TtsSpeech, type VideoJob } from './video-param.js';

/** video/create: the avatar model named in the param. */
export interface VideoRenderPayload {
  readonly videoName: string;
  readonly job: VideoJob;
}

/** single/image/video/create: the photo becomes the avatar first. */
export interface VideoPhotoPayload extends VideoRenderPayload {
  readonly image: MediaRef;
}

/** What the door uses. */
export interface VideoDoor {
  readonly tts: Pick<TtsService, 'plan'>;
  readonly files: FileService;
  readonly limits: RecordingLimits;
}

/** A payload ready to queue, and what the client should be told (a voice spoken in another's place). */
export interface AcceptedVideo<P> {
  readonly payload: P;
  readonly warnings: readonly string[];
}

/** The TTS request a job's text asks for. */
export function ttsRequest(speech: TtsSpeech): TtsRequest {
  return {
    sampleRate: videoSoundRate,
    text: speech.text,
    ssml: speech.ssml,
    ...(speech.voice ? { voice: speech.voice } : {}),
    ...(speech.language ? { language: speech.language } : {}),
    ...(speech.speedRatio !== undefined ? { speedRatio: speech.speedRatio } : {}),
    ...(speech.pitchOffset !== undefined ? { pitchOffset: speech.pitchOffset } : {}),
    ...(speech.volume !== undefined ? { volume: speech.volume } : {}),
  };
}

/** The speech checked now: text planned (its voice chosen), a recording already here probed. */
async function checkSpeech(
  door: VideoDoor,
  speech: VideoJob['speech'],
  appId: string,
): Promise<VideoJob['speech']> {
  if (speech.kind === 'audio') {
    await checkRecordingAtDoor(door.files, speech.source, appId, door.limits);
    return speech;
  }
  const plan = door.tts.plan({ ...ttsRequest(speech), appId });
  return {
    ...speech,
    chosen: { voice: plan.voice.id, ...(plan.warning ? { warning: plan.warning } : {}) },
  };
}

/** The job checked now; a 400 or 404 (a layer fileId that is not this app's) otherwise. */
export async function checkVideoJob(
  door: VideoDoor,
  job: VideoJob,
  appId: string,
): Promise<AcceptedVideo<VideoJob>> {
  const speech = await checkSpeech(door, job.speech, appId);
  for (const layer of [job.background, ...job.foregrounds]) {
    if (layer?.source.fileId) await door.files.get(layer.source.fileId, appId);
  }
  const warning = speech.kind === 'tts' ? speech.chosen?.warning : undefined;
  return { payload: { ...job, speech }, warnings: warning ? [warning] : [] };
}

/** video/create's body → the video.render payload. */
export async function acceptVideoRender(
  door: VideoDoor,
  request: { readonly videoName: string; readonly param: unknown; readonly appId: string },
): Promise<AcceptedVideo<VideoRenderPayload>> {
  const checked = await checkVideoJob(door, parseVideoParam(request.param), request.appId);
  return {
    payload: { videoName: request.videoName, job: checked.payload },
    warnings: checked.warnings,
  };
}

/** single/image/video/create's body → the video.photo payload. */
export async function acceptVideoPhoto(
  door: VideoDoor,
  request: { readonly videoName: string; readonly param: unknown; readonly appId: string },
): Promise<AcceptedVideo<VideoPhotoPayload>> {
  const { imageUrl, ...job } = parseVideoParam(request.param, true);
  const checked = await checkVideoJob(door, job, request.appId);
  return {
    payload: { videoName: request.videoName, job: checked.payload, image: { url: imageUrl } },
    warnings: checked.warnings,
  };
}
