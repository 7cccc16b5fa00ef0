/**
 * What the speaker of a clip is saying, frame by frame, as mouth shapes: the clip's sound is
 * recognised, the words aligned to get each phoneme's time, and each phoneme's middle frame
 * labelled with its viseme. The mouth atlas uses the labels to prefer frames where sound and lips
 * agree. Only English is recognised: other speech gives labels that the lip geometry then
 * outvotes, so they cannot pick a wrong mouth, only fail to help.
 */
import type { PhonemeTiming } from '../engines/tts/tts.types.js';
import { buildPcmDecodeArgs } from '../media/ffmpeg.args.js';
import { runFfmpeg } from '../media/process.runner.js';
import type { AsrService } from '../voice/asr.service.js';
import { visemeOf, type Viseme } from './visemes.js';

/** The first seconds of the clip are listened to: enough speech for every shape, bounded cost. */
export const listenSeconds = 10;

export interface SpeechLabels {
  /** Frame index (at the model's rate) → the viseme its sound calls for. */
  readonly frames: ReadonlyMap<number, Viseme>;
  /** What was heard, for the manifest. */
  readonly text: string;
}

/** Each phoneme's middle frame, labelled with its viseme. */
export function labelFrames(phonemes: readonly PhonemeTiming[], fps: number): Map<number, Viseme> {
  const frames = new Map<number, Viseme>();
  for (const phoneme of phonemes) {
    const middle = (phoneme.beginMs + phoneme.endMs) / 2000;
    frames.set(Math.round(middle * fps), visemeOf(phoneme.symbol, 'arpabet'));
  }
  return frames;
}

/**
 * Labels for the clip's first `listenSeconds`, or undefined when there is nothing to go on (no
 * words heard) or the recogniser is busy with live streams (the atlas then uses the lips alone).
 */
export async function listenToClip(
  file: string,
  asr: AsrService,
  fps: number,
  signal?: AbortSignal,
): Promise<SpeechLabels | undefined> {
  const { stdout: pcm } = await runFfmpeg(
    buildPcmDecodeArgs(file, 16000, listenSeconds),
    signal ? { signal } : {},
  );
  // Task transcriptions take turns outside the sockets' slots: never refused as busy.
  const heard = await asr.transcribe(pcm, 'en-US');
  return heard ? { frames: labelFrames(heard.phonemes, fps), text: heard.text } : undefined;
}
