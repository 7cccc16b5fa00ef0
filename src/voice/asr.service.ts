import { AppError } from '../errors/app-error.js';
import type { AlignmentResult, AsrEngine, RecognitionStream } from '../engines/asr/asr.types.js';
import { normalizeLanguage } from './voices.js';

/** A recognition in progress, as callers see it. */
export type Recognition = RecognitionStream;

/** Speech to text for the socket and for recordings, over whichever engine serves a language. */
export class AsrService {
  private active = 0;

  /** `maxStreams` bounds live recognitions: each holds a loaded decoder (about 90 MB). */
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

  start(language: string): Recognition {
    const canonical = this.checkLanguage(language);
    if (this.active >= this.maxStreams) throw new AppError('asrBusy', { max: this.maxStreams });
    const stream = this.engine.start(canonical);
    this.active++;
    let ended = false;
    const end = () => {
      if (!ended) this.active--;
      ended = true;
    };
    return {
      write: (pcm) => stream.write(pcm),
      partial: () => stream.partial(),
      finish: () => {
        end();
        return stream.finish();
      },
      abort: () => {
        end();
        stream.abort();
      },
    };
  }

  /**
   * What a recording says, with word and phoneme times: recognised, then aligned to what was
   * heard. Undefined when no word is heard. Throws "busy" (7009) when live streams use every slot.
   */
  async transcribe(pcm: Buffer, language = 'en-US'): Promise<AlignmentResult | undefined> {
    const recognition = this.start(language);
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
