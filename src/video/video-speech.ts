/**
 * A render's soundtrack made whole before the first frame, as a WAV file, with its subtitle cues
 * and the mouths that go with it: for a recording, and for text whose subtitles are burnt in (the
 * filter graph reads them at start). Other text is spoken while the render runs (speech-stream.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AlignmentResult } from '../engines/asr/asr.types.js';
import type { FileService } from '../files/file.service.js';
import { pcmOfWav, resample } from '../media/pcm.js';
import { asrSampleRate, type AsrService } from '../voice/asr.service.js';
import { buildCues, type Cue } from '../voice/subtitles.js';
import type { TtsService } from '../voice/tts.service.js';
import { normalizeLanguage } from '../voice/voices.js';
import {
  decodeRecording,
  probeRecording,
  recordingRate,
  type RecordingLimits,
} from './recording.js';
import { ttsRequest } from './video.create.js';
import type { RecordedSpeech, TtsSpeech } from './video-param.js';
import { FrameLevels, loudnessTrack, visemeTrack, type MouthFrame } from './viseme-track.js';

/** The soundtrack of a video, its subtitles, and the mouths that go with it. */
export interface PreparedSpeech {
  /** A WAV file. */
  readonly audio: string;
  /** Gain still to apply to it as it is encoded (a recording); TTS comes at the target already. */
  readonly gainDb?: number;
  readonly durationMs: number;
  readonly cues: readonly Cue[];
  mouths(frames: number): MouthFrame[];
  /** The TTS voice that spoke, and a warning when it stands in for an unknown one. */
  readonly voice?: string;
  readonly warnings: readonly string[];
}

/** What the speech step uses. */
export interface SpeechStep {
  readonly tts: TtsService;
  readonly asr: AsrService;
  readonly files: FileService;
  readonly limits: RecordingLimits & { readonly asrMaxSeconds: number };
}

/** Where and for whom the speech is made. */
export interface SpeechTarget {
  readonly appId: string;
  readonly workDir: string;
  readonly fps: number;
  readonly signal: AbortSignal;
}

export function prepareSpeech(
  step: SpeechStep,
  speech: TtsSpeech | RecordedSpeech,
  target: SpeechTarget,
): Promise<PreparedSpeech> {
  return speech.kind === 'tts'
    ? speakText(step.tts, speech, target)
    : useRecording(step, speech, target);
}

/**
 * Text through TTS, written to a WAV file as it is made, its loudness measured on the way. The
 * voice is the one the door chose; a task queued before the door recorded it chooses it here.
 */
async function speakText(
  tts: TtsService,
  speech: TtsSpeech,
  target: SpeechTarget,
): Promise<PreparedSpeech> {
  const { chosen } = speech;
  const plan = tts.plan({
    ...ttsRequest(speech),
    ...(chosen ? { voice: chosen.voice } : {}),
    appId: target.appId,
  });
  const audio = path.join(target.workDir, 'speech.wav');
  const levels = new FrameLevels(plan.sampleRate, target.fps);
  const said = await tts.synthesizeToFile(plan, audio, target.signal, (pcm) => levels.push(pcm));
  const alphabet = plan.voice.engine === 'espeak' ? 'espeak' : 'arpabet';
  const warnings = [chosen?.warning, plan.warning].filter((warning) => warning !== undefined);
  return {
    audio,
    durationMs: said.durationMs,
    cues: said.cues,
    voice: plan.voice.id,
    warnings,
    mouths: (frames) =>
      visemeTrack(said.phonemes, alphabet, frames, target.fps, levels.loudness(frames)),
  };
}

/**
 * A recording: English is recognised and aligned (phoneme times drive the mouths, the words
 * become subtitles); other languages, a recording longer than one recognition may take, or a
 * recogniser busy with live streams, drive the mouths from the loudness alone, without subtitles.
 */
async function useRecording(
  step: SpeechStep,
  speech: RecordedSpeech,
  target: SpeechTarget,
): Promise<PreparedSpeech> {
  const { appId, workDir, fps, signal } = target;
  const stored = await step.files.resolve(speech.source, appId, signal, ['audio', 'video']);
  const file = await step.files.localPath(stored.id);
  await probeRecording(file, stored.name, step.limits, signal);
  const audio = path.join(workDir, 'speech.wav');
  const decoded = await decodeRecording(file, stored.name, audio, fps, step.limits, signal);
  const { durationMs, levels } = decoded;
  const language = speech.language ?? 'en-US';
  let aligned: AlignmentResult | undefined;
  const recognisable =
    step.asr.languages.includes(normalizeLanguage(language) ?? '') &&
    durationMs <= step.limits.asrMaxSeconds * 1000;
  if (recognisable)
    aligned = await step.asr.transcribe(
      resample(pcmOfWav(await fs.readFile(audio)), recordingRate, asrSampleRate),
      language,
    );
  return {
    audio,
    gainDb: decoded.gainDb,
    durationMs,
    cues: aligned ? buildCues(aligned.words) : [],
    warnings: [],
    mouths: (frames) =>
      aligned
        ? visemeTrack(aligned.phonemes, 'arpabet', frames, fps, levels.loudness(frames))
        : loudnessTrack(levels.loudness(frames)),
  };
}
