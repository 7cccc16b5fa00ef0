/**
 * The model zip both builders write (a filmed clip's and a photo's): the manifest that ties the
 * base video, the per-frame landmarks and boxes, and the mouth atlas together.
 */
import path from 'node:path';
import { encodePng } from '../media/png.js';
import type { TrackedFrame } from './face-track.js';
import { writeZip, type ZipEntry } from '../storage/zip-writer.js';
import { manifestPath } from './model-package.js';
import { mouthRegion } from './mouth-crop.js';
import { mouthPointIndices } from './mouth-shapes.js';
import { visemes, type Viseme } from './visemes.js';

export const modelFps = 25;
export const modelVersion = 1;
export const mouthSize = 128;

export interface AtlasImage {
  readonly viseme: Viseme;
  /** size × size RGB. */
  readonly rgb: Uint8Array;
  /** Where its mouth points are in the image (x, y pairs in `mouthPointIndices` order). */
  readonly points?: Float32Array;
  /** The frame of the source it comes from (0 for a photo). */
  readonly sourceFrame: number;
  /** How far that frame's lips were from the class's shape, when it was cut rather than made. */
  readonly distance?: number;
  /** Its sound called for this class too (the clip's speech aligned). */
  readonly heard?: boolean;
  /** Made by warping this class's mouth (or the photo's own, "photo"). */
  readonly warpedFrom?: Viseme | 'photo';
}

export interface ModelParts {
  readonly kind: 'video' | 'image';
  readonly faceFeatureId: string;
  readonly name: string;
  /** What the source was: file name, container, codec, size, ... as probed. */
  readonly source: Record<string, unknown>;
  /** The base video's file, its size, and how it was chosen or made. */
  readonly baseVideo: string;
  readonly width: number;
  readonly height: number;
  readonly base: Record<string, unknown>;
  /** The base segment's frames, smoothed: their landmarks, boxes and mouth regions. */
  readonly baseFrames: readonly TrackedFrame[];
  readonly atlas: readonly AtlasImage[];
  /** What the clip's speech said, when it was listened to for the atlas. */
  readonly speech?: Record<string, unknown>;
  /** The preview picture (the base's first frame). */
  readonly preview?: { readonly rgb: Uint8Array; readonly width: number; readonly height: number };
  readonly workDir: string;
}

function landmarkBytes(frames: readonly TrackedFrame[]): Buffer {
  const stride = 468 * 3 * 4;
  const bytes = Buffer.alloc(frames.length * stride);
  frames.forEach((frame, index) => {
    Buffer.from(
      frame.landmarks.buffer,
      frame.landmarks.byteOffset,
      frame.landmarks.byteLength,
    ).copy(bytes, index * stride);
  });
  return bytes;
}

const rounded = (values: readonly number[], digits: number) =>
  values.map((v) => Math.round(v * 10 ** digits) / 10 ** digits);

export interface BuiltModel {
  readonly zipPath: string;
  readonly manifest: Record<string, unknown>;
}

/** Writes model.zip in the work directory; returns its path and the manifest. */
export async function writeModel(parts: ModelParts): Promise<BuiltModel> {
  const frames = parts.baseFrames;
  const manifest = {
    version: modelVersion,
    kind: parts.kind,
    face_feature_id: parts.faceFeatureId,
    name: parts.name,
    created_at: new Date().toISOString(),
    source: parts.source,
    base: {
      video: 'assets/base.mp4',
      fps: modelFps,
      width: parts.width,
      height: parts.height,
      frames: frames.length,
      ...parts.base,
    },
    landmarks: {
      file: 'models/landmarks.f32',
      layout: 'float32 little-endian, [frame][point][x, y, z], base frames, pixels',
      points: 468,
      frames: frames.length,
    },
    boxes: frames.map((frame) =>
      rounded([frame.box.x, frame.box.y, frame.box.width, frame.box.height], 1),
    ),
    mouth_regions: frames.map((frame) => {
      const region = mouthRegion(frame);
      return rounded([region.cx, region.cy, region.size, region.angle], 3);
    }),
    atlas: {
      size: mouthSize,
      visemes: [...visemes],
      points: [...mouthPointIndices],
      ...(parts.speech ? { speech: parts.speech } : {}),
      images: parts.atlas.map((image) => ({
        viseme: image.viseme,
        file: `assets/mouths/${image.viseme}.png`,
        source_frame: image.sourceFrame,
        ...(image.distance === undefined
          ? {}
          : { distance: Math.round(image.distance * 1000) / 1000 }),
        ...(image.heard ? { heard: true } : {}),
        ...(image.warpedFrom ? { warped_from: image.warpedFrom } : {}),
        ...(image.points ? { points: rounded([...image.points], 2) } : {}),
      })),
    },
    preview: 'assets/preview.png',
  };
  const entries: ZipEntry[] = [
    { name: manifestPath, data: Buffer.from(JSON.stringify(manifest, null, 2)) },
    { name: 'models/landmarks.f32', data: landmarkBytes(frames) },
    { name: 'assets/base.mp4', file: parts.baseVideo },
    ...(parts.preview
      ? [
          {
            name: 'assets/preview.png',
            data: encodePng(parts.preview.rgb, parts.preview.width, parts.preview.height),
          },
        ]
      : []),
    ...parts.atlas.map((image) => ({
      name: `assets/mouths/${image.viseme}.png`,
      data: encodePng(image.rgb, mouthSize, mouthSize),
    })),
  ];
  const zipPath = path.join(parts.workDir, 'model.zip');
  await writeZip(zipPath, entries);
  return { zipPath, manifest };
}
