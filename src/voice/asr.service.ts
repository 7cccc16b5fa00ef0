import { AppError } from '../errors/app-error.js';
import type { AlignmentResult, AsrEngine, RecognitionStream } from '../engines/asr/asr.types.js';
import { normalizeLanguage } from './voices.js';

/** A recognition in progress, as callers see it. */
export type Recognition = RecognitionStream;

/** Speech to text for the socket and for recordings, over whichever engine serves a language. */
export class AsrService {
  constructor(private readonly engine: AsrEngine) {}

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

  start(language: string): Recognition {
    return this.engine.start(this.checkLanguage(language));
  }

  /** Word and phoneme times of a known transcript in recorded speech (16 kHz mono PCM). */
  align(pcm: Buffer, transcript: string, language = 'en-US'): Promise<AlignmentResult> {
    return this.engine.align(pcm, transcript, this.checkLanguage(language));
  }
}
