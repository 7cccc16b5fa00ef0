/**
 * From a filmed clip to the avatar model zip: face tracking over every frame, the base segment
 * to loop, the mouth atlas, the base video, and the manifest that ties them together.
 */
import path from 'node:path';
import type { FaceEngine } from '../engines/face/face.types.js';
import { decodeFrames } from '../media/decode.js';
import { evenSize } from '../media/encode.js';
import { runFfmpeg } from '../media/process.runner.js';
import type { MediaInfo } from '../media/probe.js';
import type { AsrService } from '../voice/asr.service.js';
import { trackFaces, type FaceTrack, type FrameSummary, type TrackedFrame } from './face-track.js';
import { LandmarkStore } from './landmark-store.js';
import {
  chooseAtlas,
  shapeOf,
  speakerRange,
  type AtlasChoice,
  type SpeakerRange,
} from './mouth-atlas.js';
import { cropPoints, cutMouth } from './mouth-crop.js';
import { modelFps, mouthSize, writeModel, type BuiltModel } from './model-writer.js';
import { synthesiseMouth } from './mouth-shapes.js';
import type { Viseme } from './visemes.js';
import { listenSeconds, listenToClip, type SpeechLabels } from './speech-visemes.js';
import type { SourceNames } from './source-check.js';
import { chooseBaseSegment, smoothRange } from './track.js';

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

function poseOf(landmarks: Float32Array): Float32Array {
  const at = (index: number, axis: number) => landmarks[index * 3 + axis] ?? 0;
  const eyes = Math.hypot(at(263, 0) - at(33, 0), at(263, 1) - at(33, 1)) || 1;
  return Float32Array.from(
    posePoints.flatMap((index) => [at(index, 0) / eyes, at(index, 1) / eyes]),
  );
}

/**
 * A speaker whose mouth opens less than this (inner-lip gap over eye distance, closed to widest)
 * barely moves on screen; their open shapes are warped wider, to this range.
 */
const minOpenRange = 0.12;
/** The shapes widened for such a speaker. */
const widenedShapes: ReadonlySet<Viseme> = new Set(['open', 'mid', 'round']);

/** This speaker's range, widened when their mouth barely opens. */
function livelyRange(range: SpeakerRange): SpeakerRange {
  return range.widest - range.closed >= minOpenRange
    ? range
    : { ...range, widest: range.closed + minOpenRange };
}

/** Whether a class's mouth is warped rather than cut as filmed. */
function isWarped(choice: AtlasChoice, range: SpeakerRange): boolean {
  return (
    choice.warpedFrom !== undefined ||
    (livelyRange(range) !== range && widenedShapes.has(choice.viseme))
  );
}

/**
 * A class's mouth: cut from its frame; warped from the nearest shown class's when the clip never
 * shows it; warped wider when the speaker barely opens their mouth.
 */
function mouthImage(
  choice: AtlasChoice,
  mouths: ReadonlyMap<number, Uint8Array>,
  frames: ReadonlyMap<number, TrackedFrame>,
  range: SpeakerRange,
): Uint8Array | undefined {
  const rgb = mouths.get(choice.frame);
  const frame = frames.get(choice.frame);
  if (!rgb || !frame || !isWarped(choice, range)) return rgb;
  return synthesiseMouth(
    { rgb, size: mouthSize, points: cropPoints(frame, mouthSize) },
    { viseme: choice.viseme, ...shapeOf(choice.viseme, livelyRange(range)) },
  );
}

export async function buildVideoModel(input: BuildInput): Promise<BuiltModel> {
  const { file, info, names, engine, signal, progress } = input;
  const expected = Math.max(1, Math.round(info.durationSeconds * modelFps));
  progress('decode', 4);
  // Listening runs beside the face tracking (another thread); a failure only loses its help.
  const listening: Promise<SpeechLabels | { failed: string } | undefined> =
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

/**
 * After tracking: the base segment and the mouths chosen on smoothed landmarks (mouths are placed
 * on them, so they must not jitter), cut in a second pass, and the package written.
 */
async function packageModel(
  input: BuildInput,
  track: FaceTrack,
  listening: Promise<SpeechLabels | { failed: string } | undefined>,
): Promise<BuiltModel> {
  const { file, info, names, signal, progress } = input;
  const count = track.frames.length;
  const read = (index: number) => track.landmarks.read(index);
  const smoothed = (from: number, to: number): TrackedFrame[] =>
    [...smoothRange(read, count, 1, from, to)].map((landmarks, k) => ({
      ...(track.frames[from + k] as FrameSummary),
      landmarks,
    }));
  const poses: Float32Array[] = [];
  for (const landmarks of smoothRange(read, count, 1)) poses.push(poseOf(landmarks));
  const base = chooseBaseSegment(poses, maxBaseSeconds * modelFps);
  progress('mouth atlas', 78);
  const speech = await listening;
  signal?.throwIfAborted();
  const heard = speech && 'frames' in speech ? speech : undefined;
  const atlas: AtlasChoice[] = chooseAtlas(track.frames, heard?.frames);
  const range = speakerRange(track.frames);
  const atlasFrames = new Map<number, TrackedFrame>();
  for (const choice of atlas) {
    const [frame] = smoothed(choice.frame, choice.frame + 1);
    if (frame) atlasFrames.set(choice.frame, frame);
  }

  // Second pass: cut the chosen mouths and the preview, nothing else kept.
  const mouths = new Map<number, Uint8Array>();
  let preview: { rgb: Uint8Array; width: number; height: number } | undefined;
  for await (const frame of decodeFrames(file, info.video, {
    fps: modelFps,
    only: [...atlasFrames.keys(), base.start],
    reuse: true,
    ...(signal ? { signal } : {}),
  })) {
    const tracked = atlasFrames.get(frame.index);
    if (tracked) {
      mouths.set(frame.index, cutMouth(frame.rgb, frame.width, frame.height, tracked, mouthSize));
    }
    if (frame.index === base.start)
      preview = { rgb: Uint8Array.from(frame.rgb), width: frame.width, height: frame.height };
  }

  progress('packaging', 85);
  const baseVideo = path.join(input.workDir, 'base.mp4');
  const width = evenSize(track.width);
  const height = evenSize(track.height);
  await runFfmpeg(
    [
      '-i',
      file,
      '-map',
      '0:v:0',
      '-vf',
      `fps=${modelFps},trim=start_frame=${base.start}:end_frame=${base.end},setpts=PTS-STARTPTS,` +
        `crop=${width}:${height}:0:0,format=yuv420p`,
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '18',
      '-movflags',
      '+faststart',
      baseVideo,
    ],
    signal ? { signal } : {},
  );
  const built = await writeModel({
    kind: 'video',
    faceFeatureId: names.modelId,
    name: input.name,
    source: {
      file: names.fileName,
      container: info.container,
      codec: info.video.codec,
      width: info.video.width,
      height: info.video.height,
      rotation: info.video.rotation,
      fps: info.video.fps,
      variable_frame_rate: info.video.variableFrameRate,
      duration: info.durationSeconds,
      frames: count,
      audio: info.audio ?? null,
    },
    baseVideo,
    width,
    height,
    speech: heard
      ? { heard: heard.text, seconds: listenSeconds }
      : { heard: null, ...(speech && 'failed' in speech ? { failed: speech.failed } : {}) },
    base: { source_start_frame: base.start, head_motion: base.motion, loop_seam: base.seam },
    baseFrames: smoothed(base.start, base.end),
    atlas: atlas.flatMap((choice) => {
      const rgb = mouthImage(choice, mouths, atlasFrames, range);
      return rgb
        ? [
            {
              viseme: choice.viseme,
              rgb,
              sourceFrame: choice.frame,
              distance: choice.distance,
              ...(choice.heard ? { heard: true } : {}),
              ...(choice.warpedFrom ? { warpedFrom: choice.warpedFrom } : {}),
              ...(!choice.warpedFrom && isWarped(choice, range) ? { widened: true } : {}),
            },
          ]
        : [];
    }),
    ...(preview ? { preview } : {}),
    workDir: input.workDir,
  });
  progress('packaging', 98);
  return built;
}
