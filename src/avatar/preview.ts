/**
 * What a person looks at to judge a model: a contact sheet of the mouth atlas (3×3, in viseme
 * order) and the base segment played forward then backward, as the renderer loops it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildForwardBackArgs, buildTileArgs } from '../media/ffmpeg.args.js';
import { runFfmpeg } from '../media/process.runner.js';
import { readPackage } from './model-package.js';
import { visemes } from './visemes.js';

export interface Preview {
  readonly sheet: string;
  readonly loop: string;
}

export async function writePreview(
  modelZip: string,
  outDir: string,
  workDir: string,
): Promise<Preview> {
  const model = await readPackage(modelZip);
  const manifest = model.manifest as { base?: { video?: string } };
  await fs.mkdir(outDir, { recursive: true });
  const mouths = visemes.map((viseme) => model.entries.get(`assets/mouths/${viseme}.png`));
  if (mouths.some((image) => !image))
    throw new Error('the model lacks mouth images for some visemes');
  await Promise.all(
    mouths.map((image, index) =>
      fs.writeFile(path.join(workDir, `mouth_${index}.png`), image as Buffer),
    ),
  );
  const sheet = path.join(outDir, 'mouth-atlas.png');
  await runFfmpeg(buildTileArgs(path.join(workDir, 'mouth_%d.png'), 3, 3, sheet));
  const baseVideo = model.entries.get(manifest.base?.video ?? '');
  if (!baseVideo) throw new Error('the model lacks its base video');
  const base = path.join(workDir, 'base.mp4');
  await fs.writeFile(base, baseVideo);
  const loop = path.join(outDir, 'base-loop.mp4');
  await runFfmpeg(buildForwardBackArgs(base, loop));
  return { sheet, loop };
}
