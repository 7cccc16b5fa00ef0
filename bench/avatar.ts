/**
 * bench/avatar: face tracking speed beside the ceiling of decoding alone, on a GRID clip and on
 * the same clip scaled to 1280x720 and 1920x1080 (made here with ffmpeg); then whole avatar builds,
 * each in its own process for its peak memory, per second of input, and a long 1080p clip beside
 * a short one to show memory does not grow with length.
 *
 *   npm run bench:avatar
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HumanFaceEngine } from '../src/engines/face/human.engine.js';
import { decodeFrames } from '../src/media/decode.js';
import { runFfmpeg, runProcess } from '../src/media/process.runner.js';
import { probeMedia } from '../src/media/probe.js';
import { packageRoot, samplesDir } from '../src/util/paths.js';

const grid = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-avatar-'));

async function scaled(width: number, height: number): Promise<string> {
  const file = path.join(dir, `grid_${height}p.mp4`);
  await runFfmpeg([
    '-i',
    grid,
    '-vf',
    `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    '-c:a',
    'aac',
    file,
  ]);
  return file;
}

async function run(
  file: string,
  engine?: HumanFaceEngine,
): Promise<{ fps: number; frames: number; faces: number }> {
  const info = await probeMedia(file);
  const size = { width: info.video?.width ?? 0, height: info.video?.height ?? 0 };
  engine?.reset();
  let frames = 0;
  let faces = 0;
  const started = performance.now();
  for await (const frame of decodeFrames(file, size, { fps: 25 })) {
    frames++;
    if (engine) faces += (await engine.detect(frame.rgb, frame.width, frame.height)).length;
  }
  return { fps: frames / ((performance.now() - started) / 1000), frames, faces };
}

try {
  const loadStarted = performance.now();
  const engine = await HumanFaceEngine.load();
  const loadMs = performance.now() - loadStarted;
  // The WebAssembly kernels reach full speed after some dozens of inferences.
  await run(grid, engine);
  const clips = [
    { name: '360x288 (GRID)', file: grid },
    { name: '1280x720', file: await scaled(1280, 720) },
    { name: '1920x1080', file: await scaled(1920, 1080) },
  ];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `bench/avatar: ${os.cpus().length} cores (${cpu}); face models loaded in ${loadMs.toFixed(0)} ms\n\n`,
  );
  process.stdout.write(
    '| clip (3 s, 75 frames at 25 fps) | decode alone fps (ceiling) | decode + face tracking fps | faces found | x real time |\n',
  );
  process.stdout.write('| --- | ---: | ---: | ---: | ---: |\n');
  for (const clip of clips) {
    const ceiling = await run(clip.file);
    const tracked = await run(clip.file, engine);
    process.stdout.write(
      `| ${clip.name} | ${ceiling.fps.toFixed(1)} | ${tracked.fps.toFixed(1)} | ${tracked.faces}/${tracked.frames} | ${(tracked.fps / 25).toFixed(2)} |\n`,
    );
  }
  process.stdout.write(
    `\npeak memory (max RSS of this process): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`,
  );
  await engine.close();

  // Whole builds. The long clips are the 720p clip looped to 60 s and the 1080p clip looped to
  // 12 s and to 120 s: memory must not grow with the length.
  const looped = async (source: string, times: number, name: string) => {
    const out = path.join(dir, name);
    await runFfmpeg(['-stream_loop', String(times - 1), '-i', source, '-c', 'copy', out]);
    return out;
  };
  const long720 = await looped(clips[1]?.file ?? '', 20, 'grid_720p_60s.mp4');
  const short1080 = await looped(clips[2]?.file ?? '', 4, 'grid_1080p_12s.mp4');
  const long1080 = await looped(clips[2]?.file ?? '', 40, 'grid_1080p_120s.mp4');
  process.stdout.write(
    '\n| avatar build (whole, models loaded in the time) | input s | build s | s per input s | peak RSS MB |\n| --- | ---: | ---: | ---: | ---: |\n',
  );
  const builds = [
    ...clips.map((clip) => ({ ...clip, workers: 2 })),
    { name: '1280x720', file: clips[1]?.file ?? '', workers: 1 },
    { name: '1280x720, 60 s', file: long720, workers: 2 },
    { name: '1920x1080, 12 s', file: short1080, workers: 2 },
    { name: '1920x1080, 120 s', file: long1080, workers: 2 },
    {
      name: 'photo 512x512 (8 s loop made)',
      file: path.join(samplesDir, 'image', 'astronaut.png'),
      workers: 1,
    },
  ];
  for (const build of builds) {
    const script = path.join(packageRoot, 'dist', 'bench', 'avatar-build.js');
    const { stdout } = await runProcess(process.execPath, [
      script,
      build.file,
      String(build.workers),
    ]);
    const result = JSON.parse(stdout.toString('utf8')) as {
      seconds: number;
      maxRssMb: number;
      frames: number;
    };
    const input = result.frames / 25;
    process.stdout.write(
      `| ${build.name}, ${build.workers} face worker${build.workers > 1 ? 's' : ''} | ${input.toFixed(1)} | ${result.seconds.toFixed(1)} | ${(result.seconds / input).toFixed(2)} | ${result.maxRssMb.toFixed(0)} |\n`,
    );
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
