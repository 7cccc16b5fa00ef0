/**
 * bench/video: lip sync and speed of video synthesis.
 *
 * Lip sync: the score of src/video/lip-sync.ts (mouth opening against loudness, slow envelope
 * removed, best correlation over ±2 frames) on real GRID clips (the reference), on our renders of
 * several avatars speaking English and Mandarin, and on the same renders with the sound moved half
 * a second (sync, not just motion).
 * Speed: a 30 s English text rendered at 1280x720 and 1920x1080 (each in its own process for its
 * peak memory), beside ffmpeg alone encoding the same frames at the same settings (the ceiling);
 * a 10-minute render beside the 30 s one for memory.
 *
 *   npm run bench:video                 (both)
 *   node dist/bench/video.js speed      (speed only)
 *   node dist/bench/video.js speed speech-first   (the whole speech made before the render, as
 *                                                   before and as burnt-in subtitles still need)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FacePool } from '../src/engines/face/face-pool.js';
import { HumanFaceEngine } from '../src/engines/face/human.engine.js';
import { runFfmpeg } from '../src/media/process.runner.js';
import { samplesDir } from '../src/util/paths.js';
import { loudnessPerFrame, lipSyncScore, mouthOpenings } from '../src/video/lip-sync.js';
import { loadConfig } from '../src/config/config.js';
import { buildRenderVideoCodecArgs } from '../src/video/render.args.js';
import type { AsrService } from '../src/voice/asr.service.js';
import { openSpeech } from '../src/voice/speech.js';
import { buildBenchModel, english, mandarin, renderInChild } from './video-rig.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-video-'));
const buildModel = (source: string, engine: FacePool, asr: AsrService) =>
  buildBenchModel(dir, source, engine, asr);
const render = (
  model: string,
  size: readonly [number, number],
  text: string,
  language: string,
  out: string,
) => renderInChild(dir, model, size, text, language, out);

const write = (text: string) => void process.stdout.write(text);

try {
  const cores = os.cpus().length;
  write(`bench/video: ${cores} cores (${os.cpus()[0]?.model.split(' ')[0] ?? 'cpu'})\n\n`);
  const speedOnly = process.argv[2] === 'speed';
  const engine = await HumanFaceEngine.load();
  const score = async (file: string, shift = 0) =>
    lipSyncScore(await mouthOpenings(file, engine), await loudnessPerFrame(file), shift).score;

  if (!speedOnly) write('| lip sync, real GRID clips (reference) | score |\n| --- | ---: |\n');
  for (const name of speedOnly
    ? []
    : ['grid_bbaf2n', 'grid_lrwp9a', 'grid_sbia1a', 'grid_brbk7n']) {
    write(
      `| ${name} | ${(await score(path.join(samplesDir, 'video', `${name}.mpg`))).toFixed(3)} |\n`,
    );
  }

  const pool = new FacePool(2);
  const speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 1, festivalProcesses: 1 });
  const avatars: { name: string; model: string }[] = [];
  for (const source of [
    path.join(samplesDir, 'video', 'grid_lrwp9a.mpg'),
    path.join(samplesDir, 'video', 'grid_bbaf2n.mpg'),
    path.join(samplesDir, 'video', 'grid_sbia1a.mpg'),
    path.join(samplesDir, 'image', 'astronaut.png'),
  ].slice(0, speedOnly ? 1 : undefined)) {
    avatars.push({
      name: path.basename(source),
      model: await buildModel(source, pool, speech.asr),
    });
  }
  await pool.close();
  await speech.close();

  if (!speedOnly) {
    write(
      '\n| lip sync, our renders (native size) | language | seconds | score | sound moved 0.5 s | margin |\n| --- | --- | ---: | ---: | ---: | ---: |\n',
    );
  }
  for (const avatar of speedOnly ? [] : avatars) {
    for (const [language, text] of [
      ['en-US', english],
      ['zh-CN', mandarin],
    ] as const) {
      const out = path.join(dir, `${avatar.name}-${language}.mp4`);
      const result = await render(avatar.model, [0, 0], text, language, out);
      const synced = await score(out);
      const moved = await score(out, 12);
      write(
        `| ${avatar.name} | ${language} | ${result.durationSeconds.toFixed(1)} | ${synced.toFixed(3)} | ${moved.toFixed(3)} | ${(synced - moved).toFixed(3)} |\n`,
      );
    }
  }
  await engine.close();

  write(
    '\n| render (GRID avatar, English TTS) | video s | frames | TTS s | render s | total s | fps | x real time | x real time, all | ceiling fps (ffmpeg alone) | share of ceiling | first frame after ms | first second after ms | peak RSS MB |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n',
  );
  const model = avatars[0]?.model ?? '';
  const long = Array.from({ length: 20 }, () => english).join(' ');
  for (const [label, size, text] of [
    ['1280x720, 30 s', [1280, 720], english],
    ['1920x1080, 30 s', [1920, 1080], english],
    ['1280x720, 10 min', [1280, 720], long],
  ] as const) {
    const out = path.join(dir, `speed-${size[1]}-${text.length}.mp4`);
    const result = await render(model, size, text, 'en-US', out);
    // The ceiling: ffmpeg alone encoding the same frames (decoded beforehand) with the same settings.
    let ceiling = NaN;
    if (text === english) {
      const raw = path.join(dir, 'frames.yuv');
      await runFfmpeg(['-i', out, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', raw]);
      const started = performance.now();
      await runFfmpeg([
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        '-s',
        `${size[0]}x${size[1]}`,
        '-r',
        '25',
        '-i',
        raw,
        // The render's own video settings, from the same builder.
        ...buildRenderVideoCodecArgs({ format: 'mp4', preset: loadConfig({}).videoPreset }),
        '-f',
        'mp4',
        path.join(dir, 'ceiling.mp4'),
      ]);
      ceiling = result.frames / ((performance.now() - started) / 1000);
      fs.rmSync(raw, { force: true });
    }
    const fps = result.frames / result.renderSeconds;
    write(
      `| ${label} | ${result.durationSeconds.toFixed(1)} | ${result.frames} | ${result.ttsSeconds.toFixed(2)} | ${result.renderSeconds.toFixed(2)} | ${result.totalSeconds.toFixed(2)} | ${fps.toFixed(1)} | ${(result.durationSeconds / result.renderSeconds).toFixed(2)} | ${(result.durationSeconds / result.totalSeconds).toFixed(2)} | ${Number.isNaN(ceiling) ? '—' : ceiling.toFixed(1)} | ${Number.isNaN(ceiling) ? '—' : `${Math.round((100 * fps) / ceiling)}%`} | ${Math.round(result.firstFrameMs)} | ${Math.round(result.firstSecondMs)} | ${result.maxRssMb.toFixed(0)} |\n`,
    );
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
