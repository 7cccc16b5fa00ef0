/**
 * An avatar model made ready to render: its base frames decoded once into a file of raw frames
 * (read back by index, so the base can play forward and back without holding it in memory), the
 * mouth region of each base frame, the atlas mouths decoded with their points, the paste mask their
 * corners allow, and the base's landmarks when blinks must be drawn on it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { eyeOpenness, showsBlink } from '../avatar/blink.js';
import { maxBaseFrames, type ModelManifest } from '../avatar/model-manifest.js';
import type { ModelPackage } from '../avatar/model-package.js';
import { mouthPointIndices } from '../avatar/mouth-shapes.js';
import { visemes, type Viseme } from '../avatar/visemes.js';
import { AppError } from '../errors/app-error.js';
import { decodeFrames } from '../media/decode.js';
import { RecordFile } from '../util/record-file.js';
import { maskFor, type MouthImage, type MouthRegion, type PasteMask } from './mouth-paste.js';

/** Where the lip corners (mesh points 61 and 291) are in the mouth points. */
const mouthCorners = [mouthPointIndices.indexOf(61), mouthPointIndices.indexOf(291)] as const;

export interface AvatarFrames {
  readonly width: number;
  readonly height: number;
  /** Base frames in order; play them with `baseIndex`. */
  readonly frames: RecordFile;
  readonly regions: readonly MouthRegion[];
  readonly mouths: ReadonlyMap<Viseme, MouthImage>;
  readonly mouthSize: number;
  /** Where the mouths are pasted: as narrow as their corners allow. */
  readonly mask: PasteMask;
  /**
   * The base frames' landmarks when the base shows no blink of its own (a clip filmed without
   * one, played forward and back): the renderer draws blinks with them. Absent otherwise.
   */
  readonly blinkLandmarks?: readonly Float32Array[];
  close(): void;
}

/** Base frame for output frame n: forward, then back, so the motion never jumps. */
export function baseIndex(n: number, count: number): number {
  if (count <= 1) return 0;
  const period = 2 * count - 2;
  const k = n % period;
  return k < count ? k : period - k;
}

function entry(model: ModelPackage, name: string): Buffer {
  const data = model.entries.get(name);
  if (!data) throw new AppError('avatarModelInvalid');
  return data;
}

/**
 * An atlas image's mouth points, when the model lists the same mesh points this renderer warps
 * along and the image has a number for each (older models have none: their mouths cross-fade).
 */
function atlasPoints(atlas: ModelManifest['atlas']): (image: object) => Float32Array | undefined {
  const listed = (atlas as { points?: unknown }).points;
  const same =
    Array.isArray(listed) &&
    listed.length === mouthPointIndices.length &&
    listed.every((index, k) => index === mouthPointIndices[k]);
  return (image) => {
    const points = (image as { points?: unknown }).points;
    if (!same || !Array.isArray(points) || points.length !== mouthPointIndices.length * 2) {
      return undefined;
    }
    return points.every((v) => typeof v === 'number' && Number.isFinite(v))
      ? Float32Array.from(points as number[])
      : undefined;
  };
}

/** Bytes of one base frame's landmarks in models/landmarks.f32: 468 points of x, y, z. */
const landmarkBytes = 468 * 3 * 4;

/**
 * The base frames' landmarks, when the model carries one set per base frame and its base never
 * blinks (the eyes' openness never dips); undefined when it blinks or the landmarks are missing.
 */
function blinkLandmarksOf(model: ModelPackage, frames: number): Float32Array[] | undefined {
  const listed = (model.manifest as { landmarks?: { file?: unknown } }).landmarks?.file;
  const data = model.entries.get(typeof listed === 'string' ? listed : 'models/landmarks.f32');
  if (!data || data.length !== frames * landmarkBytes) return undefined;
  const all = new Float32Array((frames * landmarkBytes) / 4);
  for (let i = 0; i < all.length; i++) all[i] = data.readFloatLE(i * 4);
  const perFrame = Array.from({ length: frames }, (_, index) =>
    all.subarray((index * landmarkBytes) / 4, ((index + 1) * landmarkBytes) / 4),
  );
  return showsBlink(perFrame.map(eyeOpenness)) ? undefined : perFrame;
}

export async function loadAvatar(
  model: ModelPackage,
  workDir: string,
  signal?: AbortSignal,
): Promise<AvatarFrames> {
  const manifest = model.manifest;
  const { width, height } = manifest.base;
  const baseFile = path.join(workDir, 'avatar-base.mp4');
  await fs.writeFile(baseFile, entry(model, manifest.base.video));
  const frames = RecordFile.onDisk(path.join(workDir, 'avatar-base.rgb'), width * height * 3);
  try {
    for await (const frame of decodeFrames(
      baseFile,
      { width, height },
      {
        fps: 25,
        reuse: true,
        ...(signal ? { signal } : {}),
      },
    )) {
      frames.append(frame.rgb);
      // The manifest bounds what the base should hold; a video longer than that is not decoded
      // on (each raw frame costs disk: a minute of 4K would be tens of GB).
      if (frames.length >= maxBaseFrames) break;
    }
    const size = manifest.atlas.size;
    const mouths = new Map<Viseme, MouthImage>();
    const pointsOf = atlasPoints(manifest.atlas);
    for (const image of manifest.atlas.images) {
      const viseme = visemes.find((known) => known === image.viseme);
      if (!viseme) continue;
      const file = path.join(workDir, `mouth-${viseme}.png`);
      await fs.writeFile(file, entry(model, image.file));
      for await (const frame of decodeFrames(file, { width: size, height: size }, { fps: 25 })) {
        const rgb = Uint8Array.from(frame.rgb);
        const points = pointsOf(image);
        mouths.set(viseme, { rgb, ...(points ? { points } : {}) });
        break;
      }
    }
    const closed = mouths.get('closed');
    if (!closed || frames.length === 0) throw new AppError('avatarModelInvalid');
    // A class the model lacks (an older or hand-made model) falls back to the closed mouth.
    for (const viseme of visemes) if (!mouths.has(viseme)) mouths.set(viseme, closed);
    const regions = manifest.mouth_regions.map(
      (region) => [region[0] ?? 0, region[1] ?? 0, region[2] ?? 1, region[3] ?? 0] as const,
    );
    const blinkLandmarks = blinkLandmarksOf(model, frames.length);
    return {
      width,
      height,
      frames,
      regions,
      mouths,
      mouthSize: size,
      mask: maskFor([...mouths.values()], size, mouthCorners),
      ...(blinkLandmarks ? { blinkLandmarks } : {}),
      close: () => frames.close(),
    };
  } catch (error) {
    frames.close();
    throw error;
  }
}
