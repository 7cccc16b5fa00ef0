/**
 * bench/mouth: does the rendered mouth pass for the person's own? For each avatar (filmed GRID
 * speakers, and the photo) and language, a render of the bench text measured from its frames:
 * - closures: every p, b and m of the speech (its phoneme times, as the TTS made them) and whether
 *   the lips met (inner-lip gap over face height at most `closedGap`) on all its frames;
 * - the opening's range (p90 − p10) and pace (p95 of the frame-to-frame change) over those of
 *   the speaker's own footage (for the photo: of the filmed speakers', on average);
 * - the lip-sync score, and with the sound moved half a second.
 * The footage is measured the same way: its speech recognised and aligned for its closures.
 *
 *   npm run bench:mouth          node dist/bench/mouth.js [avatar names...]
 *   ANIMA_BENCH_KEEP=1 keeps the renders (their directory is printed) to look at.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FacePool } from '../src/engines/face/face-pool.js';
import { HumanFaceEngine } from '../src/engines/face/human.engine.js';
import { buildPcmDecodeArgs } from '../src/media/ffmpeg.args.js';
import { runFfmpeg } from '../src/media/process.runner.js';
import { samplesDir } from '../src/util/paths.js';
import {
  closedAllowance,
  closedReading,
  closureCheck,
  lipSyncScore,
  loudnessPerFrame,
  mouthReadings,
} from '../src/video/lip-sync.js';
import { shutShowing } from '../src/avatar/lips-apart.js';
import { videoSoundRate } from '../src/video/render.args.js';
import { asrSampleRate } from '../src/voice/asr.service.js';
import { openSpeech } from '../src/voice/speech.js';
import { percentile } from './stats.js';
import { buildBenchModel, english, mandarin, renderInChild } from './video-rig.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-mouth-'));
const write = (text: string) => void process.stdout.write(text);

const clips = ['grid_lrwp9a', 'grid_bbaf2n', 'grid_sbia1a', 'grid_pwij3p', 'grid_sbwe5n'];
const asked = process.argv.slice(2);
const sources = [
  ...clips.map((name) => path.join(samplesDir, 'video', `${name}.mpg`)),
  path.join(samplesDir, 'image', 'astronaut.png'),
].filter((file) => asked.length === 0 || asked.some((name) => file.includes(name)));

/** A quantile of the frames where a face was found (the others read NaN). */
const quantile = (values: readonly number[], p: number): number =>
  percentile(values.filter(Number.isFinite), p);

/** The opening's range (p90 − p10) and pace (p95 of |change| between frames). */
function motion(openings: readonly number[]): { range: number; pace: number } {
  const steps = openings.slice(1).map((value, k) => Math.abs(value - (openings[k] ?? NaN)));
  return {
    range: quantile(openings, 0.9) - quantile(openings, 0.1),
    pace: quantile(steps, 0.95),
  };
}

try {
  write(
    `bench/mouth: ${os.cpus().length} cores; a frame is closed when its lip gap is at most ` +
      `${closedAllowance} of the face's height above the mouth's own most closed reading (p5)\n\n`,
  );
  const engine = await HumanFaceEngine.load();
  const pool = new FacePool(2);
  const speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 1, festivalProcesses: 1 });

  write(
    '| footage | p/b/m closed | p/b/m shut (picture) | closed reads | showing, median | range | pace |\n' +
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n',
  );
  const footage = new Map<string, { range: number; pace: number; closed: number }>();
  for (const source of sources.filter((file) => file.endsWith('.mpg'))) {
    const { gaps: openings, showing } = await mouthReadings(source, engine);
    const { stdout } = await runFfmpeg(buildPcmDecodeArgs(source, asrSampleRate));
    const aligned = await speech.asr.transcribe(stdout, 'en-US');
    const closed = closedReading(openings);
    const check = closureCheck(openings, aligned?.phonemes ?? [], 'arpabet', {
      fps: 25,
      closedGap: closed + closedAllowance,
    });
    const seen = motion(openings);
    footage.set(source, { ...seen, closed });
    const shut = closureCheck(showing, aligned?.phonemes ?? [], 'arpabet', {
      fps: 25,
      closedGap: shutShowing,
    });
    write(
      `| ${path.basename(source)} | ${check.closed} of ${check.closures.length} | ` +
        `${shut.closed} of ${shut.closures.length} | ${closed.toFixed(4)} | ` +
        `${quantile(showing, 0.5).toFixed(4)} | ${seen.range.toFixed(4)} | ${seen.pace.toFixed(4)} |\n`,
    );
  }
  const mean = (key: 'range' | 'pace' | 'closed') =>
    [...footage.values()].reduce((sum, m) => sum + m[key], 0) / footage.size;
  const typical = { range: mean('range'), pace: mean('pace'), closed: mean('closed') };

  write(
    '\n| render | language | p/b/m closed | closed frames | p/b/m shut (picture) | shut frames | showing at p/b/m, median | closed reads (own) | gap at p/b/m, median | range × own | pace × own | lip sync | moved 0.5 s |\n' +
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n',
  );
  for (const source of sources) {
    const model = await buildBenchModel(dir, source, pool, speech.asr);
    const own = footage.get(source) ?? typical;
    for (const [language, text] of [
      ['en-US', english],
      ['zh-CN', mandarin],
    ] as const) {
      const out = path.join(dir, `${path.parse(source).name}-${language}.mp4`);
      const rendered = await renderInChild(dir, model, [0, 0], text, language, out);
      const { gaps: openings, showing } = await mouthReadings(out, engine);
      // The render's speech sounds, as its TTS timed them for it (eSpeak's times differ a little
      // from one synthesis of the same text to the next).
      const plan = speech.tts.plan({ text, language, sampleRate: videoSoundRate });
      const alphabet = plan.voice.engine === 'espeak' ? 'espeak' : 'arpabet';
      const closed = closedReading(openings);
      const check = closureCheck(openings, rendered.phonemes, alphabet, {
        fps: 25,
        closedGap: closed + closedAllowance,
      });
      const frames = check.closures.reduce((sum, c) => sum + c.frames.length, 0);
      const closedFrames = check.closures.reduce((sum, c) => sum + c.closedFrames, 0);
      const shut = closureCheck(showing, rendered.phonemes, alphabet, {
        fps: 25,
        closedGap: shutShowing,
      });
      const shutFrames = shut.closures.reduce((sum, c) => sum + c.closedFrames, 0);
      const showingAt = shut.closures.flatMap((c) => c.frames.map((k) => showing[k] ?? NaN));
      const seen = motion(openings);
      const atClosures = check.closures.flatMap((c) => c.frames.map((k) => openings[k] ?? NaN));
      const loudness = await loudnessPerFrame(out);
      const synced = lipSyncScore(openings, loudness).score;
      const moved = lipSyncScore(openings, loudness, 12).score;
      if (process.env.ANIMA_BENCH_KEEP) {
        const missed = (list: typeof check.closures) =>
          list
            .filter((c) => c.closedFrames < c.frames.length)
            .map((c) => `${c.symbol}@${c.frames.join('+')}`)
            .join(' ');
        write(
          `missed in ${out}: ${missed(check.closures)}; in the picture: ${missed(shut.closures)}\n`,
        );
      }
      write(
        `| ${path.basename(source)} | ${language} | ${check.closed} of ${check.closures.length} | ` +
          `${closedFrames} of ${frames} | ${shut.closed} of ${shut.closures.length} | ` +
          `${shutFrames} of ${frames} | ${quantile(showingAt, 0.5).toFixed(4)} | ` +
          `${closed.toFixed(4)} (${own.closed.toFixed(4)}) | ` +
          `${quantile(atClosures, 0.5).toFixed(4)} | ${(seen.range / own.range).toFixed(2)} | ` +
          `${(seen.pace / own.pace).toFixed(2)} | ${synced.toFixed(3)} | ${moved.toFixed(3)} |\n`,
      );
    }
  }
  await pool.close();
  await speech.close();
  await engine.close();
} finally {
  // ANIMA_BENCH_KEEP=1 keeps the renders to look at.
  if (process.env.ANIMA_BENCH_KEEP) write(`renders kept in ${dir}\n`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
