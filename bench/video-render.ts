/**
 * One render in a process of its own, so its peak memory is its own. Prints
 * {"ttsSeconds", "renderSeconds", "firstSecondMs", "frames", "durationSeconds", "maxRssMb"}.
 *
 *   node dist/bench/video-render.js <model.zip> <width> <height> <out.mp4> <text file> [language]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peakRssMb } from './peak-memory.js';
import { readPackage } from '../src/avatar/model-package.js';
import { loadConfig } from '../src/config/config.js';
import { loadAvatar } from '../src/video/avatar-frames.js';
import { renderVideo } from '../src/video/render.js';
import { defaultPlacement } from '../src/video/video.handler.js';
import { FrameLevels, visemeTrack } from '../src/video/viseme-track.js';
import { openSpeech } from '../src/voice/speech.js';
import { capYoungGeneration } from '../src/util/memory-policy.js';

const [zip = '', width = '0', height = '0', out = '', textFile = '', language = 'en-US'] =
  process.argv.slice(2);
// As the server runs: its memory policy, and its preset (ANIMA_VIDEO_PRESET, as configured).
capYoungGeneration();
const { videoPreset: preset } = loadConfig({});
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-render-'));
const speech = openSpeech({ ttsMaxChars: 100_000, asrMaxStreams: 1, festivalProcesses: 1 });
try {
  const started = performance.now();
  const plan = speech.tts.plan({ text: fs.readFileSync(textFile, 'utf8'), language });
  // As the task does: speech to a WAV file as it is made, its loudness measured on the way.
  const audio = path.join(work, 'speech.wav');
  const levels = new FrameLevels(plan.sampleRate, 25);
  const said = await speech.tts.synthesizeToFile(plan, audio, undefined, (pcm) => levels.push(pcm));
  const spoken = performance.now();
  const avatar = await loadAvatar(await readPackage(zip), work);
  const size = [Number(width) || avatar.width, Number(height) || avatar.height] as const;
  const total = Math.ceil((said.durationMs * 25) / 1000);
  let firstSecondMs = 0;
  const renderStarted = performance.now();
  const { frames } = await renderVideo({
    avatar,
    mouths: visemeTrack(
      said.phonemes,
      plan.voice.engine === 'espeak' ? 'espeak' : 'arpabet',
      total,
      25,
      levels.loudness(total),
    ),
    audio,
    durationMs: said.durationMs,
    width: size[0],
    height: size[1],
    fps: 25,
    format: 'mp4',
    preset,
    placement: defaultPlacement(avatar, size, {}),
    out,
    onFrame: (n) => {
      if (n === 25) firstSecondMs = performance.now() - started;
    },
  });
  const renderSeconds = (performance.now() - renderStarted) / 1000;
  avatar.close();
  process.stdout.write(
    `${JSON.stringify({
      ttsSeconds: (spoken - started) / 1000,
      renderSeconds,
      firstSecondMs,
      frames,
      durationSeconds: said.durationMs / 1000,
      maxRssMb: peakRssMb(),
    })}\n`,
  );
} finally {
  await speech.close();
  fs.rmSync(work, { recursive: true, force: true });
}
