/**
 * One render in a process of its own, so its peak memory is its own. Prints
 * {"ttsSeconds", "renderSeconds", "totalSeconds", "firstFrameMs", "firstSecondMs", "frames", "durationSeconds",
 * "maxRssMb", "phonemes"}; every time is from the start of the speech synthesis; the phonemes are
 * those the streamed render was given (empty for speech-first).
 *
 *   node dist/bench/video-render.js <model.zip> <width> <height> <out.mp4> <text file> [language] [mode]
 *
 * mode `streamed` (the default, as a video task speaks text): the speech made sentence by
 * sentence while the model opens and the render runs. `speech-first` (as before, and as a task
 * still does for burnt-in subtitles): the whole speech to a WAV file, then the render.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peakRssMb } from './peak-memory.js';
import { readPackage } from '../src/avatar/model-package.js';
import { loadConfig } from '../src/config/config.js';
import { loadAvatar, type AvatarFrames } from '../src/video/avatar-frames.js';
import { renderStreamed, renderVideo } from '../src/video/render.js';
import { SpeechStream } from '../src/video/speech-stream.js';
import { defaultPlacement } from '../src/video/video.handler.js';
import { FrameLevels, visemeTrack } from '../src/video/viseme-track.js';
import type { PhonemeTiming } from '../src/engines/tts/tts.types.js';
import { openSpeech } from '../src/voice/speech.js';
import { notingPhonemes } from '../test/helpers/heard-phonemes.js';
import { capYoungGeneration } from '../src/util/memory-policy.js';

const [zip = '', width = '0', height = '0', out = '', textFile = '', language = 'en-US'] =
  process.argv.slice(2);
const mode = process.argv[8] ?? 'streamed';
// As the server runs: its memory policy, and its preset (ANIMA_VIDEO_PRESET, as configured).
capYoungGeneration();
const { videoPreset: preset } = loadConfig({});
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-render-'));
const speech = openSpeech({ ttsMaxChars: 100_000, asrMaxStreams: 1, festivalProcesses: 1 });
const text = fs.readFileSync(textFile, 'utf8');
const started = performance.now();
const since = () => performance.now() - started;

/** What both ways share: the picture's settings, and when the 1st and 25th frames went to the encoder. */
function picture(avatar: AvatarFrames, timing: { firstFrameMs: number; firstSecondMs: number }) {
  const size = [Number(width) || avatar.width, Number(height) || avatar.height] as const;
  return {
    avatar,
    width: size[0],
    height: size[1],
    fps: 25,
    format: 'mp4' as const,
    preset,
    placement: defaultPlacement(avatar, size, {}),
    out,
    onFrame: (n: number) => {
      if (n === 1) timing.firstFrameMs = since();
      if (n === 25) timing.firstSecondMs = since();
    },
  };
}

/** As before: speech to a WAV file as it is made, its loudness measured on the way; then the render. */
async function speechFirst() {
  const plan = speech.tts.plan({ text, language });
  const audio = path.join(work, 'speech.wav');
  const levels = new FrameLevels(plan.sampleRate, 25);
  const said = await speech.tts.synthesizeToFile(plan, audio, undefined, (pcm) => levels.push(pcm));
  const ttsSeconds = since() / 1000;
  const avatar = await loadAvatar(await readPackage(zip), work);
  const total = Math.ceil((said.durationMs * 25) / 1000);
  const timing = { firstFrameMs: 0, firstSecondMs: 0 };
  const renderStarted = performance.now();
  const { frames } = await renderVideo({
    ...picture(avatar, timing),
    mouths: visemeTrack(
      said.phonemes,
      plan.voice.engine === 'espeak' ? 'espeak' : 'arpabet',
      total,
      25,
      levels.loudness(total),
    ),
    audio,
    durationMs: said.durationMs,
  });
  const renderSeconds = (performance.now() - renderStarted) / 1000;
  avatar.close();
  return { ttsSeconds, renderSeconds, ...timing, frames, durationMs: said.durationMs };
}

/** The speech sounds the render was given, as TTS timed them (what bench/mouth judges it by). */
const heard: PhonemeTiming[] = [];

/** As a task speaks text now: sentence by sentence while the model opens and the render runs. */
async function streamed() {
  let ttsSeconds = 0;
  const stream = new SpeechStream(
    notingPhonemes(speech.tts, heard),
    { kind: 'tts', text, ssml: false, language },
    { appId: '', fps: 25, signal: new AbortController().signal },
    { onEnd: () => void (ttsSeconds = since() / 1000) },
  );
  try {
    const avatar = await loadAvatar(await readPackage(zip), work);
    const timing = { firstFrameMs: 0, firstSecondMs: 0 };
    const renderStarted = performance.now();
    const { frames } = await renderStreamed({ ...picture(avatar, timing), speech: stream });
    const renderSeconds = (performance.now() - renderStarted) / 1000;
    avatar.close();
    const { durationMs } = await stream.ended;
    return { ttsSeconds, renderSeconds, ...timing, frames, durationMs };
  } finally {
    await stream.close();
  }
}

try {
  const result = await (mode === 'speech-first' ? speechFirst() : streamed());
  process.stdout.write(
    `${JSON.stringify({
      ttsSeconds: result.ttsSeconds,
      renderSeconds: result.renderSeconds,
      totalSeconds: since() / 1000,
      firstFrameMs: result.firstFrameMs,
      firstSecondMs: result.firstSecondMs,
      frames: result.frames,
      durationSeconds: result.durationMs / 1000,
      maxRssMb: peakRssMb(),
      phonemes: heard,
    })}\n`,
  );
} finally {
  await speech.close();
  fs.rmSync(work, { recursive: true, force: true });
}
