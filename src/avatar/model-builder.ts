/**
 * From a filmed clip to the avatar model zip: face tracking over every frame, the base segment
 * to loop, the mouth atlas, the base video, and the manifest that ties them together.
 */
import path from 'node:path';
import type { FaceEngine } from '../engines/face/face.types.js';
import { decodeFrames } from '../media/decode.js';
import { buildBaseVideoArgs, evenSize } from '../media/ffmpeg.args.js';
import { runFfmpeg } from '../media/process.runner.js';
import type { MediaInfo } from '../media/probe.js';
import type { AsrService } from '../voice/asr.service.js';
import { trackFaces, type FaceTrack, type FrameSummary, type TrackedFrame } from './face-track.js';
import { LandmarkStore } from './landmark-store.js';
import { insideShowing } from './lips-apart.js';
import {
  chooseAtlas,
  nearestFrames,
  shapeOf,
  speakerRange,
  type AtlasChoice,
  type SpeakerRange,
} from './mouth-atlas.js';
import { cropPoints, cutMouth } from './mouth-crop.js';
import {
  modelFps,
  mouthSize,
  writeModel,
  type AtlasImage,
  type BuiltModel,
} from './model-writer.js';
import { pickMouthPoints, synthesiseMouth, type MouthShape } from './mouth-shapes.js';
import { listenSeconds, listenToClip, type SpeechLabels } from './speech-visemes.js';
import type { SourceNames } from './source-check.js';
import { chooseBaseSegment, smoothRange, type BaseSegment } from './track.js';

/** The longest base segment: enough idle motion to loop without looking repetitive. */
const maxBaseSeconds = 8;
/** Head pose for the base segment: eye corners, nose tip and chin, relative to the eye distance. */
const posePoints = [33, 263, 1, 152];

export interface BuildInput {
  readonly file: string;
  readonly info: MediaInfo & { video: NonNullable<MediaInfo['video']> };
  readonly names: SourceNames;
  readonly name: string;
  readonly engine: FaceEngine;
  /** When given, the clip's speech is recognised and aligned to help choose the mouths. */
  readonly asr?: AsrService;
  readonly workDir: string;
  readonly signal?: AbortSignal;
  readonly progress: (stage: string, percent: number) => void;
}

/** What listening to the clip gave: its labelled frames, why it failed, or nothing (no sound). */
type Listening = SpeechLabels | { failed: string } | undefined;

function poseOf(landmarks: Float32Array): Float32Array {
  const at = (index: number, axis: number) => landmarks[index * 3 + axis] ?? 0;
  const eyes = Math.hypot(at(263, 0) - at(33, 0), at(263, 1) - at(33, 1)) || 1;
  return Float32Array.from(
    posePoints.flatMap((index) => [at(index, 0) / eyes, at(index, 1) / eyes]),
  );
}

/**
 * A class's mouth: cut from its frame; warped from the nearest shown class's when the clip never
 * shows it. A speaker who barely opens their mouth keeps their own range: warping their open
 * shapes wider (to 0.12 of the eye distance, as before) made bbaf2n's opening 1.8 times their own
 * and did not help lip sync (bench/mouth: 0.495 widened, 0.514 not).
 */
function mouthImage(
  choice: AtlasChoice,
  mouths: ReadonlyMap<number, Uint8Array>,
  frames: ReadonlyMap<number, TrackedFrame>,
  range: SpeakerRange,
): MouthShape | undefined {
  const rgb = mouths.get(choice.frame);
  const frame = frames.get(choice.frame);
  if (!rgb || !frame) return undefined;
  const points = cropPoints(frame, mouthSize);
  if (choice.warpedFrom === undefined) return { rgb, points: pickMouthPoints(points) };
  return synthesiseMouth(
    { rgb, size: mouthSize, points },
    { viseme: choice.viseme, ...shapeOf(choice.viseme, range) },
  );
}

export async function buildVideoModel(input: BuildInput): Promise<BuiltModel> {
  const { file, info, names, engine, signal, progress } = input;
  const expected = Math.max(1, Math.round(info.durationSeconds * modelFps));
  progress('decode', 4);
  // Listening runs beside the face tracking (another thread); a failure only loses its help.
  const listening: Promise<Listening> =
    input.asr && info.audio
      ? listenToClip(file, input.asr, modelFps, signal).catch((error: unknown) => ({
          failed: error instanceof Error ? error.message : String(error),
        }))
      : Promise.resolve(undefined);
  // Landmarks go to disk as they come: memory stays flat in the clip's length.
  const store = LandmarkStore.onDisk(path.join(input.workDir, 'landmarks.raw'));
  try {
    const frames = decodeFrames(file, info.video, {
      fps: modelFps,
      // The length checked from the probe, and a second for rounding: no more is tracked.
      maxSeconds: info.durationSeconds + 1,
      ...(signal ? { signal } : {}),
    });
    const track = await trackFaces(
      frames,
      engine,
      names,
      (index) => progress('face tracking', 5 + Math.min(70, (70 * (index + 1)) / expected)),
      store,
    );
    return await packageModel(input, track, listening);
  } finally {
    store.close();
  }
}

/** A stretch of the track's frames with their landmarks smoothed over time. */
type SmoothedFrames = (from: number, to: number) => TrackedFrame[];

function smoothedFrames(track: FaceTrack): SmoothedFrames {
  const read = (index: number) => track.landmarks.read(index);
  return (from, to) =>
    [...smoothRange(read, track.frames.length, 1, from, to)].map((landmarks, k) => ({
      ...(track.frames[from + k] as FrameSummary),
      landmarks,
    }));
}

/** The stretch to loop, chosen on the smoothed head poses: little motion, a small seam. */
function chooseBase(track: FaceTrack): BaseSegment {
  const read = (index: number) => track.landmarks.read(index);
  const poses: Float32Array[] = [];
  for (const landmarks of smoothRange(read, track.frames.length, 1)) poses.push(poseOf(landmarks));
  return chooseBaseSegment(poses, maxBaseSeconds * modelFps);
}

/** Each chosen mouth's frame, smoothed: mouths are placed on these landmarks, so no jitter. */
function atlasFramesOf(
  indices: readonly number[],
  smoothed: SmoothedFrames,
): Map<number, TrackedFrame> {
  const frames = new Map<number, TrackedFrame>();
  for (const index of indices) {
    const [frame] = smoothed(index, index + 1);
    if (frame) frames.set(index, frame);
  }
  return frames;
}

/** How many of the frames nearest a closed mouth in shape are cut to see whose lips meet. */
const closedCandidateCount = 12;
/** Crop pixels of not-lip between the lips that tell one closed mouth from another. */
const showingTolerance = 0.75;

/**
 * The closed mouth: among the frames nearest it in shape, one whose lips meet in the picture.
 * The mesh's lip gap cannot tell lips pressed together from a hair of gap (sbwe5n's most closed
 * frame by shape shows a dark line at every p, b and m, while its rest frames are shut); the
 * pixels between the lips can. The class's own choice stays when its lips meet as well as any.
 */
function lipsThatMeet(
  choice: AtlasChoice,
  candidates: readonly { frame: number; distance: number }[],
  mouths: ReadonlyMap<number, Uint8Array>,
  frames: ReadonlyMap<number, TrackedFrame>,
): AtlasChoice {
  const showing = (index: number) => {
    const rgb = mouths.get(index);
    const frame = frames.get(index);
    if (!rgb || !frame) return Infinity;
    const points = cropPoints(frame, mouthSize);
    const landmarks = Array.from({ length: points.length / 2 }, (_, i): [number, number] => [
      points[i * 2] ?? 0,
      points[i * 2 + 1] ?? 0,
    ]);
    return insideShowing(rgb, mouthSize, mouthSize, landmarks);
  };
  const own = showing(choice.frame);
  const seen = candidates.map((candidate) => ({ ...candidate, showing: showing(candidate.frame) }));
  const least = Math.min(own, ...seen.map((candidate) => candidate.showing));
  if (own <= least + showingTolerance) return choice;
  const better = seen.find((candidate) => candidate.showing <= least + showingTolerance);
  return better
    ? { viseme: choice.viseme, frame: better.frame, distance: better.distance }
    : choice;
}

interface Picture {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Second pass over the clip: the chosen mouths cut and the preview kept, nothing else. */
async function cutMouthsAndPreview(
  input: BuildInput,
  atlasFrames: ReadonlyMap<number, TrackedFrame>,
  previewFrame: number,
): Promise<{ mouths: Map<number, Uint8Array>; preview: Picture | undefined }> {
  const { signal } = input;
  const mouths = new Map<number, Uint8Array>();
  let preview: Picture | undefined;
  for await (const frame of decodeFrames(input.file, input.info.video, {
    fps: modelFps,
    only: [...atlasFrames.keys(), previewFrame],
    reuse: true,
    ...(signal ? { signal } : {}),
  })) {
    const tracked = atlasFrames.get(frame.index);
    if (tracked) {
      mouths.set(frame.index, cutMouth(frame.rgb, frame.width, frame.height, tracked, mouthSize));
    }
    if (frame.index === previewFrame)
      preview = { rgb: Uint8Array.from(frame.rgb), width: frame.width, height: frame.height };
  }
  return { mouths, preview };
}

/** The base segment as the model's video, at the model's rate, cropped to even sides. */
async function encodeBaseVideo(
  input: BuildInput,
  base: BaseSegment,
  width: number,
  height: number,
): Promise<string> {
  const { file, signal } = input;
  const baseVideo = path.join(input.workDir, 'base.mp4');
  await runFfmpeg(
    buildBaseVideoArgs({
      file,
      fps: modelFps,
      startFrame: base.start,
      endFrame: base.end,
      width,
      height,
      out: baseVideo,
    }),
    signal ? { signal } : {},
  );
  return baseVideo;
}

/** The source as the manifest describes it. */
function sourceOf(input: BuildInput, frames: number): Record<string, unknown> {
  const { info } = input;
  return {
    file: input.names.fileName,
    container: info.container,
    codec: info.video.codec,
    width: info.video.width,
    height: info.video.height,
    rotation: info.video.rotation,
    fps: info.video.fps,
    variable_frame_rate: info.video.variableFrameRate,
    duration: info.durationSeconds,
    frames,
    audio: info.audio ?? null,
  };
}

/** What the manifest says of the clip's speech: what was heard, or why nothing was. */
function speechOf(speech: Listening): Record<string, unknown> {
  return speech && 'frames' in speech
    ? { heard: speech.text, seconds: listenSeconds }
    : { heard: null, ...(speech && 'failed' in speech ? { failed: speech.failed } : {}) };
}

/** The atlas's images, each with how it was made (cut, or warped from another). */
function atlasImages(
  atlas: readonly AtlasChoice[],
  mouths: ReadonlyMap<number, Uint8Array>,
  atlasFrames: ReadonlyMap<number, TrackedFrame>,
  range: SpeakerRange,
): AtlasImage[] {
  return atlas.flatMap((choice) => {
    const shape = mouthImage(choice, mouths, atlasFrames, range);
    return shape
      ? [
          {
            viseme: choice.viseme,
            ...shape,
            sourceFrame: choice.frame,
            distance: choice.distance,
            ...(choice.heard ? { heard: true } : {}),
            ...(choice.warpedFrom ? { warpedFrom: choice.warpedFrom } : {}),
          },
        ]
      : [];
  });
}

/**
 * After tracking: the base segment and the mouths chosen on smoothed landmarks, cut in a second
 * pass, the base video encoded, and the package written.
 */
async function packageModel(
  input: BuildInput,
  track: FaceTrack,
  listening: Promise<Listening>,
): Promise<BuiltModel> {
  const { signal, progress } = input;
  const smoothed = smoothedFrames(track);
  const base = chooseBase(track);
  progress('mouth atlas', 78);
  const speech = await listening;
  signal?.throwIfAborted();
  const heard = speech && 'frames' in speech ? speech : undefined;
  const chosen = chooseAtlas(track.frames, heard?.frames);
  const closedCandidates = nearestFrames(track.frames, 'closed', closedCandidateCount);
  const atlasFrames = atlasFramesOf(
    [...chosen.map((choice) => choice.frame), ...closedCandidates.map((c) => c.frame)],
    smoothed,
  );
  const { mouths, preview } = await cutMouthsAndPreview(input, atlasFrames, base.start);
  const atlas = chosen.map((choice) =>
    choice.viseme === 'closed' && !choice.warpedFrom
      ? lipsThatMeet(choice, closedCandidates, mouths, atlasFrames)
      : choice,
  );

  progress('packaging', 85);
  const width = evenSize(track.width);
  const height = evenSize(track.height);
  const baseVideo = await encodeBaseVideo(input, base, width, height);
  const built = await writeModel({
    kind: 'video',
    faceFeatureId: input.names.modelId,
    name: input.name,
    source: sourceOf(input, track.frames.length),
    baseVideo,
    width,
    height,
    speech: speechOf(speech),
    base: { source_start_frame: base.start, head_motion: base.motion, loop_seam: base.seam },
    baseFrames: smoothed(base.start, base.end),
    atlas: atlasImages(atlas, mouths, atlasFrames, speakerRange(track.frames)),
    ...(preview ? { preview } : {}),
    workDir: input.workDir,
  });
  progress('packaging', 98);
  return built;
}
