/**
 * A video task's speech made piece by piece (a first phrase, then sentence by sentence) onto the
 * one clock a live session uses (speech-timeline.ts), so the render starts with the first piece
 * instead of waiting for the whole text. Unlike a live session, nothing is late and nothing is
 * cut: pieces are laid end to end sample for sample (a piece's tail that does not fill a frame
 * waits for the next piece), so the sound, its length and the subtitle times are exactly TTS's,
 * as when the speech was made whole first.
 */
import type { PhonemeAlphabet } from '../avatar/visemes.js';
import type { PhonemeTiming } from '../engines/tts/tts.types.js';
import { buildCues, type Cue } from '../voice/subtitles.js';
import {
  wordsWithSentenceEnds,
  type SpeechPiece,
  type TimedSentence,
  type TtsService,
} from '../voice/tts.service.js';
import { SpeechTimeline } from './speech-timeline.js';
import { ttsRequest } from './video.create.js';
import type { TtsSpeech } from './video-param.js';
import { FrameLevels, visemeTrack } from './viseme-track.js';

/** What is known once TTS has ended. */
export interface SpokenSpeech {
  readonly durationMs: number;
  /** Frames the video has: every sample carried, at least one. */
  readonly frames: number;
  readonly cues: readonly Cue[];
}

export interface SpeechStreamEvents {
  /** A piece reached the timeline, which now covers frames up to (not including) `coveredTo`. */
  onPiece?(coveredTo: number): void;
  /** TTS ended: the whole length is known. */
  onEnd?(spoken: SpokenSpeech): void;
}

/**
 * A generous guess at how long text takes to say, for the disk check before a render whose
 * speech is still being made: a Han or kana character about 300 ms, any other about 80 ms (both
 * slower than our voices speak), scaled by the speed asked for.
 */
export function speechLengthGuessMs(speech: Pick<TtsSpeech, 'text' | 'speedRatio'>): number {
  const wide = speech.text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/gu);
  const wideCount = wide?.length ?? 0;
  const perChar = 300 * wideCount + 80 * (speech.text.length - wideCount);
  return perChar / (speech.speedRatio ?? 1);
}

/** Speech made ahead of the frame being drawn, at most: memory stays flat however long the text. */
const aheadSeconds = 20;

/** Phonemes kept behind a piece's start: their reach still shapes its first mouths. */
const coarticulationMs = 500;

export class SpeechStream {
  readonly timeline: SpeechTimeline;
  readonly voice: string;
  readonly warnings: readonly string[];
  /** Resolves once TTS has ended; rejects with its failure. */
  readonly ended: Promise<SpokenSpeech>;
  private spoken: SpokenSpeech | undefined;
  private failed = false;
  private waiters: (() => void)[] = [];
  /** The frame the render waits for, and TTS waiting for it to move on. */
  private asked = 0;
  private roomWaiters: (() => void)[] = [];
  private readonly alphabet: PhonemeAlphabet;
  /** Samples made and not yet placed (less than a frame), and the phonemes around them. */
  private pending = new Int16Array(0);
  private phonemes: PhonemeTiming[] = [];
  private readonly sentences: TimedSentence[] = [];
  private unitsDone = 0;
  private readonly units: number;
  private readonly abort = new AbortController();

  constructor(
    tts: TtsService,
    speech: TtsSpeech,
    target: { readonly appId: string; readonly fps: number; readonly signal: AbortSignal },
    private readonly events: SpeechStreamEvents = {},
  ) {
    const { chosen } = speech;
    const plan = tts.plan({
      ...ttsRequest(speech),
      ...(chosen ? { voice: chosen.voice } : {}),
      appId: target.appId,
    });
    this.timeline = new SpeechTimeline(plan.sampleRate, target.fps);
    this.voice = plan.voice.id;
    this.warnings = [chosen?.warning, plan.warning].filter((warning) => warning !== undefined);
    this.alphabet = plan.voice.engine === 'espeak' ? 'espeak' : 'arpabet';
    this.units = plan.units.length;
    const signal = AbortSignal.any([target.signal, this.abort.signal]);
    signal.addEventListener('abort', () => this.wakeTts(), { once: true });
    this.ended = this.run(tts.stream(plan, signal), signal);
    // A failure is seen by whoever waits (covered, ended); it is never unhandled.
    this.ended.catch(() => undefined);
  }

  /** TTS's outcome once it has ended. */
  get result(): SpokenSpeech | undefined {
    return this.spoken;
  }

  /** Resolves once frame `n` is covered by speech or TTS has ended; rejects if TTS failed. */
  async covered(n: number): Promise<void> {
    this.asked = Math.max(this.asked, n);
    this.wakeTts();
    while (!this.spoken && this.timeline.endFrame <= n) {
      // TTS's own failure, as it was thrown.
      if (this.failed) await this.ended;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The video's frames as far as can be told: exact once TTS has ended, else by the share of the text spoken. */
  estimatedFrames(): number {
    if (this.spoken) return this.spoken.frames;
    const share = this.unitsDone / Math.max(1, this.units);
    return Math.max(this.timeline.endFrame + 1, Math.ceil(this.timeline.endFrame / share));
  }

  /** Stops TTS (when the render failed) and waits for it to settle. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.ended.catch(() => undefined);
  }

  private async run(
    pieces: AsyncGenerator<SpeechPiece>,
    signal: AbortSignal,
  ): Promise<SpokenSpeech> {
    try {
      let samples = 0;
      for await (const piece of pieces) {
        samples += piece.pcm.length >> 1;
        this.take(piece);
        await this.room(signal);
      }
      this.placeWhole(true);
      const { timeline } = this;
      const spoken: SpokenSpeech = {
        durationMs: (samples / timeline.sampleRate) * 1000,
        frames: Math.max(1, timeline.endFrame),
        cues: buildCues(wordsWithSentenceEnds(this.sentences)),
      };
      this.spoken = spoken;
      this.events.onEnd?.(spoken);
      return spoken;
    } catch (error) {
      this.failed = true;
      throw error;
    } finally {
      this.wake();
    }
  }

  private take(piece: SpeechPiece): void {
    const pcm = new Int16Array(this.pending.length + (piece.pcm.length >> 1));
    pcm.set(this.pending);
    for (let i = this.pending.length; i < pcm.length; i++) {
      pcm[i] = piece.pcm.readInt16LE((i - this.pending.length) * 2);
    }
    this.pending = pcm;
    this.phonemes.push(...piece.phonemes);
    if (piece.sentence) this.sentences.push(piece.sentence);
    this.unitsDone++;
    this.placeWhole(false);
  }

  /** Places the whole frames made so far (and, at the end, the last part of one). */
  private placeWhole(last: boolean): void {
    const { timeline, pending } = this;
    const start = timeline.endFrame;
    const first = timeline.sampleAt(start);
    let frames = 0;
    while (timeline.sampleAt(start + frames + 1) - first <= pending.length) frames++;
    const take = last ? pending.length : timeline.sampleAt(start + frames) - first;
    if (take === 0) return;
    const pcm = pending.slice(0, take);
    this.pending = pending.slice(take);
    const startMs = (first / timeline.sampleRate) * 1000;
    const endMs = ((first + take) / timeline.sampleRate) * 1000;
    // The sounds timed from this part's own start, as it is placed on a frame of its own.
    const phonemes = this.phonemes
      .filter((p) => p.endMs > startMs - coarticulationMs && p.beginMs < endMs + coarticulationMs)
      .map((p) => ({ ...p, beginMs: p.beginMs - startMs, endMs: p.endMs - startMs }));
    this.phonemes = this.phonemes.filter((p) => p.endMs > endMs - coarticulationMs);
    const levels = new FrameLevels(timeline.sampleRate, timeline.fps);
    levels.push(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    const placed = timeline.place(
      {
        pcm,
        mouths: (count) =>
          visemeTrack(phonemes, this.alphabet, count, timeline.fps, levels.loudness(count)),
        scene: 0,
        utterance: 0,
      },
      start,
    );
    this.events.onPiece?.(placed.endFrame);
    this.wake();
  }

  /** Until the render comes within `aheadSeconds` of what is made (or TTS is stopped). */
  private async room(signal: AbortSignal): Promise<void> {
    const limit = aheadSeconds * this.timeline.fps;
    while (this.timeline.endFrame - this.asked > limit && !signal.aborted) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private wakeTts(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
