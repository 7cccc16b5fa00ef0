import fs from 'node:fs/promises';
import type { Config } from '../config/config.js';
import { shapeSpeech } from './voice-shaping.js';
import type { VoiceShape } from './voice-profile.js';
import { AppError, badParams } from '../errors/app-error.js';
import { abortError } from '../media/process.runner.js';
import { resample, sampleCount, silence, wavHeader } from '../media/pcm.js';
import type { PhonemeTiming, TtsEngine, WordTiming } from '../engines/tts/tts.types.js';
import { normalizeEnglish } from './english.js';
import { parseSsml, type SpeechSegment } from './ssml.js';
import { buildCues, type Cue } from './subtitles.js';
import { splitFirstPhrase, splitSentences, validateTtsText } from './text.js';
import { normaliseLoudness } from '../media/loudness.js';
import { volumeGain } from './loudness.js';
import {
  lenientVoices,
  resolveVoice,
  type TtsEngineName,
  type VoiceDef,
  type VoicePolicy,
} from './voices.js';

/** What a caller asks for, in the terms of `tts_config` and the streaming Starter. */
export interface TtsRequest {
  readonly text: string;
  readonly ssml?: boolean;
  readonly voice?: string;
  readonly language?: string;
  /** 0.5–2, 1 = normal speed. */
  readonly speedRatio?: number;
  /** Semitones, −12 to 12. */
  readonly pitchOffset?: number;
  /** A gain of 0–3 (1 = unchanged), or a percentage above that (100 = unchanged): loudness.ts. */
  readonly volume?: number;
  readonly sampleRate?: number;
  /** The app asking: its personal voices can be named. */
  readonly appId?: string;
}

export const ttsLimits = {
  speedRatio: { min: 0.5, max: 2 },
  pitchOffset: { min: -12, max: 12 },
  sampleRates: [8000, 16000, 22050, 24000, 44100, 48000],
} as const;

/** One piece of text to synthesise as one engine call. */
interface Unit {
  readonly text: string;
  readonly rate: number;
  readonly pitchSemitones: number;
  readonly pauseAfterMs: number;
  /** The sentence this piece belongs to, and whether it is the sentence's last piece. */
  readonly sentence: string;
  readonly endsSentence: boolean;
}

/** A validated request: its voice and the pieces it will be spoken in. */
export interface SpeechPlan {
  readonly voice: VoiceDef;
  /** Set when the voice asked for is unknown here and another speaks instead. */
  readonly warning?: string;
  readonly sampleRate: number;
  readonly volume: number;
  readonly units: readonly Unit[];
}

export interface TimedSentence {
  readonly text: string;
  readonly beginMs: number;
  readonly endMs: number;
  readonly words: readonly WordTiming[];
}

/** Audio for one piece, timed from the start of the whole request. */
export interface SpeechPiece {
  readonly pcm: Buffer;
  readonly beginMs: number;
  readonly endMs: number;
  readonly words: readonly WordTiming[];
  readonly phonemes: readonly PhonemeTiming[];
  /** Set on the last piece of each sentence: the sentence with all its words. */
  readonly sentence?: TimedSentence;
}

export interface Speech {
  readonly pcm: Buffer;
  readonly sampleRate: number;
  readonly durationMs: number;
  readonly sentences: readonly TimedSentence[];
  readonly words: readonly (WordTiming & { sentenceEnd?: boolean })[];
  readonly phonemes: readonly PhonemeTiming[];
  readonly cues: readonly Cue[];
}

function checkRange(field: keyof typeof rangeFields, value: number | undefined): number {
  const { min, max, normal } = rangeFields[field];
  if (value === undefined) return normal;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw badParams([{ field, problem: `must be ${min} to ${max}` }]);
  }
  return value;
}

const rangeFields = {
  speed_ratio: { ...ttsLimits.speedRatio, normal: 1 },
  pitch_offset: { ...ttsLimits.pitchOffset, normal: 0 },
} as const;

const synthesisAhead = 2;

const shift = (timing: { beginMs: number; endMs: number }, scale: number, offsetMs: number) => ({
  beginMs: Math.round(timing.beginMs * scale + offsetMs),
  endMs: Math.round(timing.endMs * scale + offsetMs),
});

/** All the words of some sentences, each sentence's last word marked, for subtitle cues. */
export function wordsWithSentenceEnds(
  sentences: readonly TimedSentence[],
): (WordTiming & { sentenceEnd?: boolean })[] {
  return sentences.flatMap((sentence) =>
    sentence.words.map((word, index) =>
      index === sentence.words.length - 1 ? { ...word, sentenceEnd: true } : word,
    ),
  );
}

/**
 * Text to speech for every caller (socket, video synthesis, live): validates a request at once,
 * then speaks it sentence by sentence, each piece timed exactly, with the next piece already being
 * synthesised while the current one is delivered.
 */
export class TtsService {
  constructor(
    private readonly engines: Readonly<Record<TtsEngineName, TtsEngine>>,
    private readonly voices: () => readonly VoiceDef[],
    private readonly config: Pick<Config, 'ttsMaxChars'>,
    private readonly policy: VoicePolicy = lenientVoices,
  ) {}

  /** The built-in voices, and the personal voices of `appId`. */
  listVoices(appId?: string): readonly VoiceDef[] {
    return this.voices().filter((voice) => !voice.ownerAppId || voice.ownerAppId === appId);
  }

  /** Validates everything that can be checked before any audio is made; throws AppError. */
  plan(request: TtsRequest): SpeechPlan {
    const speed = checkRange('speed_ratio', request.speedRatio);
    const pitch = checkRange('pitch_offset', request.pitchOffset);
    const volume = volumeGain(request.volume);
    const sampleRate = request.sampleRate ?? 16000;
    if (!(ttsLimits.sampleRates as readonly number[]).includes(sampleRate)) {
      const problem = `must be one of ${ttsLimits.sampleRates.join(', ')}`;
      throw badParams([{ field: 'sample_rate', problem }]);
    }
    const { voice, warning } = resolveVoice(this.voices(), request, this.policy);
    // A personal voice speaks at its speaker's rate; the request's speed_ratio comes on top.
    const voiceRate = voice.shape?.rateFactor ?? 1;
    const segments: SpeechSegment[] = request.ssml
      ? parseSsml(request.text)
      : [{ text: request.text, rate: 1, pitchSemitones: 0, pauseAfterMs: 0 }];
    validateTtsText(segments.map((segment) => segment.text).join('\n'), this.config.ttsMaxChars);
    const units: Unit[] = [];
    const readable = (text: string) =>
      voice.language.startsWith('en') ? normalizeEnglish(text, voice.language) : text;
    for (const segment of segments) {
      const sentences = splitSentences(readable(segment.text));
      sentences.forEach((sentence, index) => {
        // The very first sentence speaks its first phrase alone, so audio starts sooner.
        const pieces = units.length === 0 ? splitFirstPhrase(sentence) : [sentence];
        pieces.forEach((text, pieceIndex) => {
          const last = pieceIndex === pieces.length - 1;
          units.push({
            text,
            rate: segment.rate * speed * voiceRate,
            pitchSemitones: segment.pitchSemitones + pitch,
            pauseAfterMs: last && index === sentences.length - 1 ? segment.pauseAfterMs : 0,
            sentence,
            endsSentence: last,
          });
        });
      });
      if (sentences.length === 0 && segment.pauseAfterMs > 0) {
        units.push({
          text: '',
          rate: 1,
          pitchSemitones: 0,
          pauseAfterMs: segment.pauseAfterMs,
          sentence: '',
          endsSentence: false,
        });
      }
    }
    return { voice, ...(warning ? { warning } : {}), sampleRate, volume, units };
  }

  /** The same plan spoken by `voice` shaped by `shape` (a voice being trained, tried out). */
  withShape(plan: SpeechPlan, shape: VoiceShape): SpeechPlan {
    const before = plan.voice.shape?.rateFactor ?? 1;
    return {
      ...plan,
      voice: { ...plan.voice, shape },
      units: plan.units.map((unit) => ({ ...unit, rate: (unit.rate / before) * shape.rateFactor })),
    };
  }

  /** Speaks a plan piece by piece. Stops (and throws an AbortError) when `signal` fires. */
  async *stream(plan: SpeechPlan, signal?: AbortSignal): AsyncGenerator<SpeechPiece> {
    let samples = 0;
    let sentenceWords: WordTiming[] = [];
    let sentenceBegin: number | undefined;
    // Pieces are synthesised ahead of delivery, two at a time: with several warm engine
    // processes the next piece is made while this one is, and never more than two wait.
    const ahead: Promise<Rendered>[] = [];
    let queued = 0;
    const fill = () => {
      while (ahead.length < synthesisAhead && queued < plan.units.length) {
        const piece = this.render(plan, plan.units[queued++] as Unit, signal);
        // A piece made ahead may fail (cancelled) before it is awaited: that is not unhandled.
        piece.catch(() => undefined);
        ahead.push(piece);
      }
    };
    try {
      for (let index = 0; index < plan.units.length; index++) {
        const unit = plan.units[index] as Unit;
        fill();
        const rendered = await (ahead.shift() as Promise<Rendered>);
        fill();
        if (signal?.aborted) throw abortError(signal);
        const offsetMs = (samples / plan.sampleRate) * 1000;
        const pause = silence(unit.pauseAfterMs, plan.sampleRate);
        const pcm = pause.length > 0 ? Buffer.concat([rendered.pcm, pause]) : rendered.pcm;
        samples += sampleCount(pcm);
        const words = rendered.words.map((word) => ({ ...word, ...shift(word, 1, offsetMs) }));
        const phonemes = rendered.phonemes.map((p) => ({ ...p, ...shift(p, 1, offsetMs) }));
        const speechEndMs = Math.round(offsetMs + rendered.durationMs);
        sentenceBegin ??= Math.round(offsetMs);
        sentenceWords.push(...words);
        let sentence: TimedSentence | undefined;
        if (unit.endsSentence) {
          sentence = {
            text: unit.sentence,
            beginMs: sentenceBegin,
            endMs: speechEndMs,
            words: sentenceWords,
          };
          sentenceWords = [];
          sentenceBegin = undefined;
        }
        yield {
          pcm,
          beginMs: Math.round(offsetMs),
          endMs: Math.round((samples / plan.sampleRate) * 1000),
          words,
          phonemes,
          ...(sentence ? { sentence } : {}),
        };
      }
    } finally {
      // A piece synthesised ahead and never delivered must not surface as an unhandled rejection.
      for (const piece of ahead) piece.catch(() => undefined);
    }
  }

  /** Speaks a whole plan into one buffer, with every timing and subtitle cues. */
  async synthesize(plan: SpeechPlan, signal?: AbortSignal): Promise<Speech> {
    const pcm: Buffer[] = [];
    const timed = await this.speakAll(plan, (piece) => void pcm.push(piece), signal);
    return { pcm: Buffer.concat(pcm), ...timed };
  }

  /**
   * Speaks a whole plan into a WAV file as the pieces come, so memory holds one piece whatever
   * the length; `onPcm` sees the samples in order (to measure them on the way).
   */
  async synthesizeToFile(
    plan: SpeechPlan,
    file: string,
    signal?: AbortSignal,
    onPcm?: (pcm: Buffer) => void,
  ): Promise<Omit<Speech, 'pcm'>> {
    const handle = await fs.open(file, 'w');
    // Writes are chained in order; the chain is always settled before the file is closed.
    let writing = Promise.resolve();
    try {
      let bytes = 0;
      await handle.write(wavHeader(0, plan.sampleRate), 0, 44, 0);
      const timed = await this.speakAll(
        plan,
        (pcm) => {
          onPcm?.(pcm);
          const at = 44 + bytes;
          bytes += pcm.length;
          writing = writing.then(async () => void (await handle.write(pcm, 0, pcm.length, at)));
        },
        signal,
      );
      await writing;
      await handle.write(wavHeader(bytes, plan.sampleRate), 0, 44, 0);
      return timed;
    } finally {
      await writing.catch(() => undefined);
      await handle.close();
    }
  }

  /** Every piece of a plan in order: the samples to `sink`, the timings and cues returned. */
  private async speakAll(
    plan: SpeechPlan,
    sink: (pcm: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<Omit<Speech, 'pcm'>> {
    const sentences: TimedSentence[] = [];
    const phonemes: PhonemeTiming[] = [];
    let endMs = 0;
    for await (const piece of this.stream(plan, signal)) {
      sink(piece.pcm);
      phonemes.push(...piece.phonemes);
      if (piece.sentence) sentences.push(piece.sentence);
      endMs = piece.endMs;
    }
    const words = wordsWithSentenceEnds(sentences);
    return {
      sampleRate: plan.sampleRate,
      durationMs: endMs,
      sentences,
      words,
      phonemes,
      cues: buildCues(words),
    };
  }

  /**
   * One engine call. Pitch is shifted without changing length: the engine speaks slower by the
   * pitch factor, and the result is played back faster by the same factor (resampled), so the
   * timings scale exactly with the audio.
   */
  private async render(plan: SpeechPlan, unit: Unit, signal?: AbortSignal): Promise<Rendered> {
    if (unit.text.trim() === '')
      return { pcm: Buffer.alloc(0), durationMs: 0, words: [], phonemes: [] };
    const engine = this.engines[plan.voice.engine];
    const factor = 2 ** (unit.pitchSemitones / 12);
    let result;
    try {
      result = await engine.synthesize(unit.text, {
        engineVoice: plan.voice.engineVoice,
        sampleRate: plan.sampleRate,
        rate: unit.rate / factor,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      throw new AppError('speechEngineFailed', {
        engine: engine.name,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    const spoken = resample(result.pcm, result.sampleRate * factor, plan.sampleRate);
    const shaped = plan.voice.shape
      ? await shapeSpeech(spoken, plan.sampleRate, plan.voice.shape, signal)
      : spoken;
    // Every voice to one loudness, then the volume asked for; the limiter keeps peaks under −2 dBFS.
    const pcm = normaliseLoudness(shaped, plan.sampleRate, plan.volume);
    const scale = 1 / factor;
    return {
      pcm,
      durationMs: (sampleCount(pcm) / plan.sampleRate) * 1000,
      words: result.words.map((word) => ({ ...word, ...shift(word, scale, 0) })),
      phonemes: result.phonemes.map((p) => ({ ...p, ...shift(p, scale, 0) })),
    };
  }
}

interface Rendered {
  readonly pcm: Buffer;
  readonly durationMs: number;
  readonly words: readonly WordTiming[];
  readonly phonemes: readonly PhonemeTiming[];
}
