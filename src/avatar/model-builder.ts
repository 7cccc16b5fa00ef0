/**
 * From a filmed clip to the avatar model zip: face tracking over every frame, the base segment
 * to loop, the mouth atlas, the base video, and the manifest that ties them together.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FaceEngine } from '../engines/face/face.types.js';
import { decodeFrames } from '../media/decode.js';
import { encodePng } from '../media/png.js';
import { runFfmpeg } from '../media/process.runner.js';
import type { MediaInfo } from '../media/probe.js';
import { trackFaces, type TrackedFrame } from './face-track.js';
import { manifestPath, writePackage, type PackageEntry } from './model-package.js';
import { chooseAtlas, type AtlasChoice } from './mouth-atlas.js';
import { cutMouth, mouthRegion } from './mouth-crop.js';
import type { SourceNames } from './source-check.js';
import { chooseBaseSegment, smoothTrack } from './track.js';
import { visemes } from './visemes.js';

export const modelFps = 25;
export const modelVersion = 1;
const mouthSize = 128;
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
  readonly workDir: string;
  readonly signal?: AbortSignal;
  readonly progress: (stage: string, percent: number) => void;
}

export interface BuiltModel {
  readonly zipPath: string;
  readonly manifest: Record<string, unknown>;
}

function poseOf(frame: TrackedFrame): Float32Array {
  const at = (index: number, axis: number) => frame.landmarks[index * 3 + axis] ?? 0;
  const eyes = Math.hypot(at(263, 0) - at(33, 0), at(263, 1) - at(33, 1)) || 1;
  return Float32Array.from(
    posePoints.flatMap((index) => [at(index, 0) / eyes, at(index, 1) / eyes]),
  );
}

export async function buildVideoModel(input: BuildInput): Promise<BuiltModel> {
  const { file, info, names, engine, signal, progress } = input;
  const size = { width: info.video.width, height: info.video.height };
  const decode = (only?: readonly number[]) =>
    decodeFrames(file, size, {
      fps: modelFps,
      ...(only ? { only } : {}),
      ...(signal ? { signal } : {}),
    });
  const expected = Math.max(1, Math.round(info.durationSeconds * modelFps));
  progress('decode', 4);
  const track = await trackFaces(decode(), engine, names, (index) =>
    progress('face tracking', 5 + Math.min(70, (70 * (index + 1)) / expected)),
  );

  // Smoothed landmarks: mouths are placed on them, so they must not jitter.
  const smoothed = smoothTrack(
    track.frames.map((frame) => frame.landmarks),
    1,
  );
  const frames: TrackedFrame[] = track.frames.map((frame, index) => ({
    ...frame,
    landmarks: smoothed[index] ?? frame.landmarks,
  }));
  const base = chooseBaseSegment(frames.map(poseOf), maxBaseSeconds * modelFps);
  progress('mouth atlas', 78);
  const atlas: AtlasChoice[] = chooseAtlas(frames);

  // Second pass: cut the chosen mouths and the preview, nothing else kept.
  const wanted = new Set(atlas.map((choice) => choice.frame));
  const mouths = new Map<number, Buffer>();
  let preview: Buffer | undefined;
  for await (const frame of decode([...wanted, base.start])) {
    const tracked = frames[frame.index];
    if (!tracked) continue;
    if (wanted.has(frame.index)) {
      mouths.set(
        frame.index,
        encodePng(
          cutMouth(frame.rgb, frame.width, frame.height, tracked, mouthSize),
          mouthSize,
          mouthSize,
        ),
      );
    }
    if (frame.index === base.start) preview = encodePng(frame.rgb, frame.width, frame.height);
  }

  progress('packaging', 85);
  const baseVideo = path.join(input.workDir, 'base.mp4');
  await runFfmpeg(
    [
      '-i',
      file,
      '-map',
      '0:v:0',
      '-vf',
      `fps=${modelFps},trim=start_frame=${base.start}:end_frame=${base.end},setpts=PTS-STARTPTS,format=yuv420p`,
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
  const baseFrames = frames.slice(base.start, base.end);
  const landmarks = Buffer.alloc(baseFrames.length * 468 * 3 * 4);
  baseFrames.forEach((frame, index) => {
    Buffer.from(
      frame.landmarks.buffer,
      frame.landmarks.byteOffset,
      frame.landmarks.byteLength,
    ).copy(landmarks, index * 468 * 3 * 4);
  });
  const manifest = {
    version: modelVersion,
    kind: 'video',
    face_feature_id: names.modelId,
    name: input.name,
    created_at: new Date().toISOString(),
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
      frames: frames.length,
      audio: info.audio ?? null,
    },
    base: {
      video: 'assets/base.mp4',
      fps: modelFps,
      width: track.width,
      height: track.height,
      source_start_frame: base.start,
      frames: baseFrames.length,
      head_motion: base.motion,
      loop_seam: base.seam,
    },
    landmarks: {
      file: 'models/landmarks.f32',
      layout: 'float32 little-endian, [frame][point][x, y, z], base frames, pixels',
      points: 468,
      frames: baseFrames.length,
    },
    boxes: baseFrames.map((frame) =>
      [frame.box.x, frame.box.y, frame.box.width, frame.box.height].map(
        (v) => Math.round(v * 10) / 10,
      ),
    ),
    mouth_regions: baseFrames.map((frame) => {
      const region = mouthRegion(frame);
      return [region.cx, region.cy, region.size, region.angle].map(
        (v) => Math.round(v * 1000) / 1000,
      );
    }),
    atlas: {
      size: mouthSize,
      visemes: [...visemes],
      images: atlas.map((choice) => ({
        viseme: choice.viseme,
        file: `assets/mouths/${choice.viseme}.png`,
        source_frame: choice.frame,
        distance: Math.round(choice.distance * 1000) / 1000,
        ...(choice.borrowedFrom ? { borrowed_from: choice.borrowedFrom } : {}),
      })),
    },
    preview: 'assets/preview.png',
  };
  const entries: PackageEntry[] = [
    { name: manifestPath, data: Buffer.from(JSON.stringify(manifest, null, 2)) },
    { name: 'models/landmarks.f32', data: landmarks },
    { name: 'assets/base.mp4', data: await fs.readFile(baseVideo) },
    ...(preview ? [{ name: 'assets/preview.png', data: preview }] : []),
    ...atlas.flatMap((choice) => {
      const image = mouths.get(choice.frame);
      return image ? [{ name: `assets/mouths/${choice.viseme}.png`, data: image }] : [];
    }),
  ];
  const zipPath = path.join(input.workDir, 'model.zip');
  await writePackage(zipPath, entries);
  progress('packaging', 98);
  return { zipPath, manifest };
}
