import { AppError } from '../errors/app-error.js';

/** Marks that let a reader breathe; the FAQ's 80-character rule counts the runs between them. */
const pauseMarks = /[.,!?;:。，！？；：、…\n]/u;
const maxUnpunctuatedRun = 80;

/** The longest run of characters without a pause mark. */
export function longestUnpunctuatedRun(text: string): number {
  let longest = 0;
  let current = 0;
  for (const char of text) {
    if (pauseMarks.test(char)) {
      current = 0;
    } else {
      current++;
      if (current > longest) longest = current;
    }
  }
  return longest;
}

/**
 * The hosted service refuses text with more than 80 characters in a row without punctuation
 * (its TTS backend buffer); we keep the rule, and say it when the request arrives.
 */
export function validateTtsText(text: string, maxChars: number): void {
  if (text.trim() === '') {
    throw new AppError('badParams', {}, { detail: [{ field: 'text', problem: 'is empty' }] });
  }
  if ([...text].length > maxChars) {
    throw new AppError('ttsTextTooLong', { maxChars });
  }
  if (longestUnpunctuatedRun(text) > maxUnpunctuatedRun) {
    throw new AppError('ttsTextUnpunctuated');
  }
}

const abbreviations = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'st',
  'prof',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'no',
  'jr',
  'sr',
]);

/**
 * Splits text into sentences at full stops, question and exclamation marks (Latin and CJK),
 * semicolons and line breaks. A Latin mark ends a sentence only before white space or the end,
 * and not after a common abbreviation, so "3.5", "e.g." and "Mr. Smith" stay whole. Sentences
 * longer than `maxChars` are split again at commas.
 */
export function splitSentences(text: string, maxChars = 160): string[] {
  const sentences: string[] = [];
  const chars = [...text];
  let current = '';
  const flush = (): void => {
    const trimmed = current.trim();
    if (trimmed !== '') sentences.push(...splitLong(trimmed, maxChars));
    current = '';
  };
  chars.forEach((char, index) => {
    current += char;
    const next = chars[index + 1];
    if (/[。！？；\n]/u.test(char)) return flush();
    if (/[.!?;]/.test(char) && (next === undefined || /\s/.test(next))) {
      const lastWord = /([\p{L}.]+)[.]$/u.exec(current)?.[1]?.toLowerCase() ?? '';
      if (char === '.' && abbreviations.has(lastWord)) return;
      flush();
    }
  });
  flush();
  return sentences;
}

function splitLong(sentence: string, maxChars: number): string[] {
  if ([...sentence].length <= maxChars) return [sentence];
  const parts = sentence.split(/(?<=[,:，：、])\s*/u).filter((part) => part.trim() !== '');
  const out: string[] = [];
  let current = '';
  for (const part of parts) {
    const joined =
      current === '' ? part : `${current}${/[\u3000-\u9fff]/u.test(part) ? '' : ' '}${part}`;
    if (current !== '' && [...joined].length > maxChars) {
      out.push(current);
      current = part;
    } else {
      current = joined;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

/**
 * The first phrase of a sentence (up to its first comma), synthesised alone so that audio starts
 * sooner; worth it only when enough of the sentence is left to be spoken after it.
 */
export function splitFirstPhrase(sentence: string, minRest = 12): [string, string] | [string] {
  const match = /^(.{1,}?[,，、:：])\s*(.+)$/su.exec(sentence);
  if (!match?.[1] || !match[2] || [...match[2]].length < minRest) return [sentence];
  return [match[1], match[2]];
}
