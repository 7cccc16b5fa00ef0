/**
 * The closure check on real renders: a GRID speaker's model speaks text full of p, b and m, in
 * English and Mandarin, as a video task speaks it (sentence by sentence); the face engine reads
 * the lip gap on every frame, and each p/b/m's frames (from the phoneme times the render was
 * given) must show the lips shut.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildVideoModel } from '../../src/avatar/model-builder.js';
import { readPackage } from '../../src/avatar/model-package.js';
import { checkVideoSource } from '../../src/avatar/source-check.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import type { PhonemeTiming } from '../../src/engines/tts/tts.types.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { loadAvatar } from '../../src/video/avatar-frames.js';
import {
  closedAllowance,
  closedReading,
  closureCheck,
  mouthOpenings,
} from '../../src/video/lip-sync.js';
import { renderStreamed } from '../../src/video/render.js';
import { SpeechStream } from '../../src/video/speech-stream.js';
import { defaultPlacement } from '../../src/video/video.handler.js';
import { openSpeech, type SpeechServices } from '../../src/voice/speech.js';
import { tempDir } from '../helpers/harness.js';
import { notingPhonemes } from '../helpers/heard-phonemes.js';

const grid = path.join(samplesDir, 'video', 'grid_sbia1a.mpg');
let engine: HumanFaceEngine;
let speech: SpeechServices;
let model: string;
const dir = tempDir();

before(async () => {
  engine = await HumanFaceEngine.load();
  speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 1, festivalProcesses: 1 });
  const info = await probeMedia(grid);
  const names = { modelId: 'closure_s1', fileName: path.basename(grid) };
  const built = await buildVideoModel({
    file: grid,
    info: { ...info, video: checkVideoSource(info, names) },
    names,
    name: 'closures',
    engine,
    asr: speech.asr,
    workDir: fs.mkdtempSync(path.join(dir, 'model-')),
    progress: () => undefined,
  });
  model = built.zipPath;
});
after(async () => {
  await engine.close();
  await speech.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A render of `text` as a video task makes it, with the phonemes it was given. */
async function render(text: string, language: string) {
  const phonemes: PhonemeTiming[] = [];
  const stream = new SpeechStream(
    notingPhonemes(speech.tts, phonemes),
    { kind: 'tts', text, ssml: false, language },
    { appId: '', fps: 25, signal: new AbortController().signal },
  );
  const work = fs.mkdtempSync(path.join(dir, 'render-'));
  const avatar = await loadAvatar(await readPackage(model), work);
  const out = path.join(work, 'out.mp4');
  try {
    await renderStreamed({
      avatar,
      width: avatar.width,
      height: avatar.height,
      fps: 25,
      format: 'mp4',
      preset: 'ultrafast',
      placement: defaultPlacement(avatar, [avatar.width, avatar.height], {}),
      out,
      speech: stream,
    });
  } finally {
    avatar.close();
    await stream.close();
  }
  const alphabet = language === 'zh-CN' ? ('espeak' as const) : ('arpabet' as const);
  return { openings: await mouthOpenings(out, engine), phonemes, alphabet };
}

for (const [language, text] of [
  ['en-US', 'Bob bought a big map. My mum makes plum pie, maybe by my boat.'],
  ['zh-CN', '爸爸买了一本书。妈妈不怕麻烦，明天帮忙。'],
] as const) {
  test(`${language}: every p, b and m shuts the lips on its frames`, async (t) => {
    const { openings, phonemes, alphabet } = await render(text, language);
    const shut = closedReading(openings);
    const check = closureCheck(openings, phonemes, alphabet, {
      fps: 25,
      closedGap: shut + closedAllowance,
    });
    const missed = check.closures
      .filter((c) => c.closedFrames < c.frames.length)
      .map((c) => `${c.symbol}@${c.frames.join('+')}`);
    t.diagnostic(`${check.closed} of ${check.closures.length} closed; missed ${missed.join(' ')}`);
    assert.ok(check.closures.length >= 8, `${check.closures.length} closures in the text`);
    assert.deepEqual(missed, [], 'every closure shut on all its frames');
  });
}
