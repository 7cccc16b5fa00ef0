/**
 * From one photo to the avatar model zip: the face found once, every mouth shape made by warping
 * the photo's own mouth, and a base loop of idle life (sway, tilt, blinks) made by warping the
 * photo, so the model has the same parts as one built from a clip.
 */
import path from 'node:path';
import type { FaceEngine } from '../engines/face/face.types.js';
import { decodeFrames } from '../media/decode.js';
import { startEncoder } from '../media/encode.js';
import { evenSize } from '../media/ffmpeg.args.js';
import type { MediaInfo } from '../media/probe.js';
import { remap, warpMap } from '../media/warp.js';
import { checkFrame, type TrackedFrame } from './face-track.js';
import { blinkImage, headWarp, idleMotion, posedLandmarks } from './idle-motion.js';
import { assumedRange, shapeOf } from './mouth-atlas.js';
import { cropPoints, cutMouth } from './mouth-crop.js';
import { synthesiseMouth } from './mouth-shapes.js';
import { modelFps, mouthSize, writeModel, type BuiltModel } from './model-writer.js';
import type { SourceNames } from './source-check.js';
import { visemes } from './visemes.js';

/** The base loop of a photo avatar: long enough that its two blinks do not feel mechanical. */
const loopFrames = 8 * modelFps;
/** Larger photos are scaled down to this many pixels on their long side. */
const maxSide = 1920;

export interface PhotoInput {
  readonly file: string;
  readonly info: MediaInfo & { video: NonNullable<MediaInfo['video']> };
  readonly names: SourceNames;
  readonly name: string;
  readonly engine: FaceEngine;
  readonly workDir: string;
  readonly signal?: AbortSignal;
  readonly progress: (stage: string, percent: number) => void;
}

function boxOf(landmarks: Float32Array): TrackedFrame['box'] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < landmarks.length; i += 3) {
    minX = Math.min(minX, landmarks[i] ?? 0);
    maxX = Math.max(maxX, landmarks[i] ?? 0);
    minY = Math.min(minY, landmarks[i + 1] ?? 0);
    maxY = Math.max(maxY, landmarks[i + 1] ?? 0);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

export async function buildPhotoModel(input: PhotoInput): Promise<BuiltModel> {
  const { file, info, names, engine, signal, progress } = input;
  const long = Math.max(info.video.width, info.video.height);
  const scaled = long > maxSide ? Math.round((info.video.width * maxSide) / long) : undefined;
  progress('decode', 5);
  let photo: { rgb: Uint8Array; width: number; height: number } | undefined;
  for await (const frame of decodeFrames(file, info.video, {
    fps: modelFps,
    ...(scaled ? { width: scaled } : {}),
    ...(signal ? { signal } : {}),
  })) {
    photo ??= frame;
  }
  if (!photo) {
    throw new Error(`ffmpeg gave no picture from ${names.fileName}`);
  }
  const { rgb, width, height } = photo;

  progress('face tracking', 15);
  engine.reset();
  const face = checkFrame(
    await engine.detect(rgb, width, height),
    { index: 0, width, height },
    names,
  );
  const landmarks = new Float32Array(face.landmarks.flatMap((point) => [...point]));
  const tracked: TrackedFrame = {
    index: 0,
    box: face.box,
    landmarks,
    mouth: face.mouth,
    roll: face.roll,
  };

  progress('mouth atlas', 25);
  const mouth = {
    rgb: cutMouth(rgb, width, height, tracked, mouthSize),
    size: mouthSize,
    points: cropPoints(tracked, mouthSize),
  };
  const range = assumedRange(face.mouth);
  const atlas = visemes.map((viseme) => ({
    viseme,
    ...synthesiseMouth(mouth, { viseme, ...shapeOf(viseme, range) }),
    sourceFrame: 0,
    warpedFrom: 'photo' as const,
  }));

  const poses = idleMotion(loopFrames, face.box.width);
  const baseVideo = path.join(input.workDir, 'base.mp4');
  const encoder = startEncoder(baseVideo, {
    width,
    height,
    fps: modelFps,
    ...(signal ? { signal } : {}),
  });
  const blinks = new Map<number, Uint8Array>();
  const baseFrames: TrackedFrame[] = [];
  for (const [index, pose] of poses.entries()) {
    signal?.throwIfAborted();
    let source = blinks.get(pose.blink);
    if (!source) {
      source = blinkImage(rgb, width, height, landmarks, pose.blink);
      blinks.set(pose.blink, source);
    }
    const { src, dest } = headWarp(landmarks, pose, width, height);
    await encoder.write(remap(source, width, height, warpMap(dest, src, width, height, 16)));
    const posed = posedLandmarks(landmarks, pose);
    baseFrames.push({
      index,
      landmarks: posed,
      box: boxOf(posed),
      mouth: face.mouth,
      roll: face.roll + pose.roll,
    });
    progress('packaging', 30 + (60 * (index + 1)) / poses.length);
  }
  await encoder.finish();

  progress('packaging', 92);
  return writeModel({
    kind: 'image',
    faceFeatureId: names.modelId,
    name: input.name,
    source: {
      file: names.fileName,
      container: info.container,
      codec: info.video.codec,
      width: info.video.width,
      height: info.video.height,
      frames: 1,
    },
    baseVideo,
    width: evenSize(width),
    height: evenSize(height),
    base: { made_from: 'photo', idle_motion: 'sway, tilt and two blinks, looped' },
    baseFrames,
    atlas,
    preview: photo,
    workDir: input.workDir,
  });
}
