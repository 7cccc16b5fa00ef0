import type { WordTiming } from './tts.types.js';

/**
 * Engines name a word without the punctuation around it ("Mr" for "Mr."), and not always
 * consistently; subtitles want the text as written. Each token is found in the input in order
 * and widened over the punctuation that touches it.
 */
export function writtenForms(text: string, words: readonly WordTiming[]): WordTiming[] {
  let cursor = 0;
  return words.map((word) => {
    const at = text.indexOf(word.text, cursor);
    if (word.text === '' || at < 0) return word;
    let begin = at;
    let end = at + word.text.length;
    while (begin > cursor && /[\p{P}\p{S}]/u.test(text[begin - 1] ?? '')) begin--;
    while (end < text.length && /[\p{P}\p{S}]/u.test(text[end] ?? '')) end++;
    cursor = end;
    return { ...word, text: text.slice(begin, end) };
  });
}
