/**
 * One avatar build in a process of its own, so its peak memory is its own: prints
 * {"seconds": wall time, "maxRssMb": peak resident memory, "frames": frames tracked}.
 *
 *   node dist/bench/avatar-build.js <clip> [face workers, default 2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildVideoModel } from '../src/avatar/model-builder.js';
import { checkVideoSource } from '../src/avatar/source-check.js';
import { FacePool } from '../src/engines/face/face-pool.js';
import { HumanFaceEngine } from '../src/engines/face/human.engine.js';
import { probeMedia } from '../src/media/probe.js';

const clip = process.argv[2] ?? '';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-build-'));
try {
  // Timed from before the models load, as a task pays for it.
  const started = performance.now();
  const workers = Number(process.argv[3] ?? '2');
  const engine = workers > 1 ? new FacePool(workers) : await HumanFaceEngine.load();
  const info = await probeMedia(clip);
  const names = { modelId: 'bench_s1', fileName: path.basename(clip) };
  const built = await buildVideoModel({
    file: clip,
    info: { ...info, video: checkVideoSource(info, names) },
    names,
    name: 'bench',
    engine,
    workDir: work,
    progress: () => undefined,
  });
  await engine.close();
  const seconds = (performance.now() - started) / 1000;
  const frames = (built.manifest.source as { frames: number }).frames;
  process.stdout.write(
    `${JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, frames })}\n`,
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
