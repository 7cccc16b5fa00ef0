/**
 * What a person looks at to judge a model: a contact sheet of the mouth atlas (3×3, in viseme
 * order) and the base segment played forward then backward, as the renderer loops it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
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
  await runFfmpeg([
    '-start_number',
    '0',
    '-i',
    path.join(workDir, 'mouth_%d.png'),
    '-vf',
    'tile=3x3:padding=4:color=white',
    '-frames:v',
    '1',
    sheet,
  ]);
  const baseVideo = model.entries.get(manifest.base?.video ?? '');
  if (!baseVideo) throw new Error('the model lacks its base video');
  const base = path.join(workDir, 'base.mp4');
  await fs.writeFile(base, baseVideo);
  const loop = path.join(outDir, 'base-loop.mp4');
  await runFfmpeg([
    '-i',
    base,
    '-filter_complex',
    '[0:v]split[forward][back];[back]reverse[backward];[forward][backward]concat=n=2:v=1[v]',
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    loop,
  ]);
  return { sheet, loop };
}
