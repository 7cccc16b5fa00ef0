/**
 * One avatar build in a process of its own, so its peak memory is its own: prints
 * {"seconds": wall time, "maxRssMb": peak resident memory, "frames": frames tracked}.
 *
 *   node dist/bench/avatar-build.js <clip or photo> [face workers, default 2] [no-speech]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peakRssMb } from './peak-memory.js';
import { buildVideoModel } from '../src/avatar/model-builder.js';
import { buildPhotoModel } from '../src/avatar/photo-model.js';
import { checkImageSource, checkVideoSource } from '../src/avatar/source-check.js';
import { isStillImage } from '../src/media/still-image.js';
import { FacePool } from '../src/engines/face/face-pool.js';
import { HumanFaceEngine } from '../src/engines/face/human.engine.js';
import { probeMedia } from '../src/media/probe.js';
import { openSpeech } from '../src/voice/speech.js';

const clip = process.argv[2] ?? '';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-build-'));
try {
  // Timed from before the models load, as a task pays for it.
  const started = performance.now();
  const workers = Number(process.argv[3] ?? '2');
  const engine = workers > 1 ? new FacePool(workers) : await HumanFaceEngine.load();
  // As the task does: the clip's speech is recognised beside the tracking to help the atlas.
  const speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 1, festivalProcesses: 1 });
  const info = await probeMedia(clip);
  const names = { modelId: 'bench_s1', fileName: path.basename(clip) };
  const photo = isStillImage(info);
  const input = {
    file: clip,
    info: { ...info, video: photo ? checkImageSource(info, names) : checkVideoSource(info, names) },
    names,
    name: 'bench',
    engine,
    ...(process.argv[4] === 'no-speech' ? {} : { asr: speech.asr }),
    workDir: work,
    progress: () => undefined,
  };
  const built = await (photo ? buildPhotoModel(input) : buildVideoModel(input));
  await Promise.all([engine.close(), speech.close()]);
  const seconds = (performance.now() - started) / 1000;
  // A photo's "input" is the loop it makes.
  const frames = photo
    ? (built.manifest.base as { frames: number }).frames
    : (built.manifest.source as { frames: number }).frames;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssMb: peakRssMb(), frames })}\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
