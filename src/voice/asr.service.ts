import { AppError } from '../errors/app-error.js';
import type { AlignmentResult, AsrEngine, RecognitionStream } from '../engines/asr/asr.types.js';
import { normalizeLanguage } from './voices.js';

/** A recognition in progress, as callers see it. */
export type Recognition = RecognitionStream;

/**
 * A socket's hold on one live recognition slot, from its accepted Starter to its close, so a
 * client is told "busy" when it starts rather than at its first audio.
 */
export interface AsrSlot {
  /** One recognition on this slot (one at a time: a socket recognises utterance by utterance). */
  start(language: string): Recognition;
  release(): void;
}

/** The rate the recogniser takes its sound at. */
export const asrSampleRate = 16000;

/**
 * Speech to text for the socket and for recordings, over whichever engine serves a language.
 *
 * Two budgets: sockets hold at most `maxStreams` slots (each may hold a loaded decoder, about
 * 90 MB), refused as busy beyond; recordings transcribed by tasks (videos from recordings, voice
 * training) take turns one at a time outside that budget, so idle sockets holding every slot
 * never fail a task, and tasks add at most one decoder.
 */
export class AsrService {
  private active = 0;
  /** The end of the last task transcription queued: the next one waits for it. */
  private taskTurn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: AsrEngine,
    private readonly maxStreams: number,
  ) {}

  get languages(): readonly string[] {
    return this.engine.languages;
  }

  /** The canonical language tag, or a "language not supported" error. */
  checkLanguage(language: string): string {
    const canonical = normalizeLanguage(language);
    if (!canonical || !this.engine.languages.includes(canonical)) {
      throw new AppError('languageNotSupported', {
        language,
        what: 'speech recognition',
        supported: this.engine.languages.join(', '),
      });
    }
    return canonical;
  }

  /** A live slot for `language`, or "busy" (7009) when sockets hold every one. */
  reserve(language: string): AsrSlot {
    this.checkLanguage(language);
    if (this.active >= this.maxStreams) throw new AppError('asrBusy', { max: this.maxStreams });
    this.active++;
    let held = true;
    return {
      start: (asked) => this.engine.start(this.checkLanguage(asked)),
      release: () => {
        if (held) this.active--;
        held = false;
      },
    };
  }

  /** One recognition on a slot of its own, given back when it finishes or is aborted. */
  start(language: string): Recognition {
    const slot = this.reserve(language);
    const stream = slot.start(language);
    return {
      write: (pcm) => stream.write(pcm),
      partial: () => stream.partial(),
      finish: () => {
        slot.release();
        return stream.finish();
      },
      abort: () => {
        slot.release();
        stream.abort();
      },
    };
  }

  /**
   * What a recording says (16-bit mono at `asrSampleRate`), with word and phoneme times:
   * recognised, then aligned to what was heard. Undefined when no word is heard. Task
   * transcriptions run one after another.
   */
  transcribe(pcm: Buffer, language = 'en-US'): Promise<AlignmentResult | undefined> {
    const canonical = this.checkLanguage(language);
    const turn = this.taskTurn.then(() => this.transcribeNow(pcm, canonical));
    this.taskTurn = turn.catch(() => undefined);
    return turn;
  }

  private async transcribeNow(pcm: Buffer, language: string) {
    const recognition = this.engine.start(language);
    try {
      recognition.write(pcm);
    } catch (error) {
      recognition.abort();
      throw error;
    }
    const heard = await recognition.finish();
    if (heard.words.length === 0) return undefined;
    return this.align(pcm, heard.text, language);
  }

  /** Word and phoneme times of a known transcript in recorded speech (16 kHz mono PCM). */
  align(pcm: Buffer, transcript: string, language = 'en-US'): Promise<AlignmentResult> {
    return this.engine.align(pcm, transcript, this.checkLanguage(language));
  }
}
