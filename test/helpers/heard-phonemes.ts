import type { PhonemeTiming } from '../../src/engines/tts/tts.types.js';
import type { TtsService } from '../../src/voice/tts.service.js';

/**
 * `tts`, noting every streamed piece's speech sounds into `heard` on their way to whoever speaks
 * them (a render): the phoneme times that render was given, to judge its mouth by. eSpeak's times
 * differ a little from one synthesis of the same text to the next, so a second one will not do.
 */
export function notingPhonemes(tts: TtsService, heard: PhonemeTiming[]): TtsService {
  return Object.assign(Object.create(tts) as TtsService, {
    async *stream(...args: Parameters<TtsService['stream']>) {
      for await (const piece of tts.stream(...args)) {
        heard.push(...piece.phonemes);
        yield piece;
      }
    },
  });
}
