/**
 * An avatar model made ready to render: its base frames decoded once into a file of raw frames
 * (read back by index, so the base can play forward and back without holding it in memory), the
 * mouth region of each base frame, and the atlas mouths decoded with their ring colours.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { maxBaseFrames } from '../avatar/model-manifest.js';
import type { ModelPackage } from '../avatar/model-package.js';
import { visemes, type Viseme } from '../avatar/visemes.js';
import { AppError } from '../errors/app-error.js';
import { decodeFrames } from '../media/decode.js';
import { RecordFile } from '../util/record-file.js';
import { ringColour, type MouthImage, type MouthRegion } from './mouth-paste.js';

export interface AvatarFrames {
  readonly width: number;
  readonly height: number;
  /** Base frames in order; play them with `baseIndex`. */
  readonly frames: RecordFile;
  readonly regions: readonly MouthRegion[];
  readonly mouths: ReadonlyMap<Viseme, MouthImage>;
  readonly mouthSize: number;
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
    for (const image of manifest.atlas.images) {
      const viseme = visemes.find((known) => known === image.viseme);
      if (!viseme) continue;
      const file = path.join(workDir, `mouth-${viseme}.png`);
      await fs.writeFile(file, entry(model, image.file));
      for await (const frame of decodeFrames(file, { width: size, height: size }, { fps: 25 })) {
        const rgb = Uint8Array.from(frame.rgb);
        mouths.set(viseme, { rgb, ring: ringColour(rgb, size) });
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
    return {
      width,
      height,
      frames,
      regions,
      mouths,
      mouthSize: size,
      close: () => frames.close(),
    };
  } catch (error) {
    frames.close();
    throw error;
  }
}
