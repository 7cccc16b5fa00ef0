/**
 * Text to speech with libespeak-ng, run inside the eSpeak worker: plain voices speak the text
 * as it is; Mandarin goes through the pinyin front-end, Latin words inside it through an
 * English voice, and the pieces are joined with their times.
 */
import { mandarinRuns } from './mandarin.js';
import {
  initEspeak,
  normalWordsPerMinute,
  setRate,
  setVoice,
  synthRaw,
  textToPhonemes,
} from './espeak.lib.js';
import { eventTimings } from './espeak.timing.js';
import type { PhonemeTiming, WordTiming } from './tts.types.js';
import { writtenForms } from './written-forms.js';

export const mandarinVoice = 'cmn-latn-pinyin';
const englishInMandarin = 'en-us';
/** A run of punctuation alone (between languages) is a short breath. */
const punctuationPauseMs = 150;

export interface EspeakOutput {
  readonly pcm: Buffer;
  readonly sampleRate: number;
  readonly phonemes: PhonemeTiming[];
  readonly words: WordTiming[];
}

const round = (ms: number) => Math.round(ms);

export function synthesizeEspeak(text: string, engineVoice: string, rate: number): EspeakOutput {
  const sampleRate = initEspeak();
  setRate(normalWordsPerMinute * rate);
  if (engineVoice !== mandarinVoice) {
    setVoice(engineVoice);
    const raw = synthRaw(text, true);
    const timings = eventTimings(text, raw, sampleRate);
    const words = timings.words.map((word) => ({
      text: text.slice(word.start, word.end),
      beginMs: round(word.beginMs),
      endMs: round(word.endMs),
    }));
    return {
      pcm: raw.pcm,
      sampleRate,
      phonemes: timings.phonemes.map((p) => ({
        ...p,
        beginMs: round(p.beginMs),
        endMs: round(p.endMs),
      })),
      words: writtenForms(text, words),
    };
  }

  const runs = mandarinRuns(text);
  const pcm: Buffer[] = [];
  const phonemes: PhonemeTiming[] = [];
  const grouped = new Map<string, { start: number; end: number; beginMs: number; endMs: number }>();
  let samples = 0;
  runs.forEach((run, index) => {
    const offsetMs = (samples * 1000) / sampleRate;
    if (run.marks.length === 0) {
      const pause = Math.round((sampleRate * punctuationPauseMs) / 1000);
      pcm.push(Buffer.alloc(pause * 2));
      samples += pause;
      return;
    }
    setVoice(run.language === 'zh' ? mandarinVoice : englishInMandarin);
    // No end pause between languages inside a sentence: code-switching stays fluent.
    const endPause = /[.!?;:,]\s*$/.test(run.text) || index === runs.length - 1;
    const raw = synthRaw(run.text, endPause);
    const timings = eventTimings(run.text, raw, sampleRate);
    for (const p of timings.phonemes) {
      phonemes.push({
        symbol: p.symbol,
        beginMs: round(p.beginMs + offsetMs),
        endMs: round(p.endMs + offsetMs),
      });
    }
    const byCodePoint = new Map(run.marks.map((mark) => [mark.codePoint, mark]));
    for (const word of timings.words) {
      const first = [...run.text.slice(0, word.start)].length + 1;
      const last = first + Math.max(1, [...run.text.slice(word.start, word.end)].length);
      for (let codePoint = first; codePoint < last; codePoint++) {
        const mark = byCodePoint.get(codePoint);
        if (!mark) continue;
        const key = `${index}:${mark.key}`;
        const beginMs = word.beginMs + offsetMs;
        const endMs = word.endMs + offsetMs;
        const group = grouped.get(key);
        grouped.set(
          key,
          group
            ? {
                start: Math.min(group.start, mark.start),
                end: Math.max(group.end, mark.end),
                beginMs: Math.min(group.beginMs, beginMs),
                endMs: Math.max(group.endMs, endMs),
              }
            : { start: mark.start, end: mark.end, beginMs, endMs },
        );
      }
    }
    pcm.push(raw.pcm);
    samples += raw.samples;
  });
  const words = [...grouped.values()]
    .sort((a, b) => a.beginMs - b.beginMs)
    .map((group) => ({
      text: text.slice(group.start, group.end),
      beginMs: round(group.beginMs),
      endMs: round(group.endMs),
    }));
  return { pcm: Buffer.concat(pcm), sampleRate, phonemes, words: writtenForms(text, words) };
}

/** What espeak-ng -x prints for the text, through the same front-end (tones included). */
export function phonemizeEspeak(text: string, engineVoice: string): string {
  initEspeak();
  if (engineVoice !== mandarinVoice) {
    setVoice(engineVoice);
    return textToPhonemes(text);
  }
  return mandarinRuns(text)
    .filter((run) => run.marks.length > 0)
    .map((run) => {
      setVoice(run.language === 'zh' ? mandarinVoice : englishInMandarin);
      return textToPhonemes(run.text);
    })
    .join(' ');
}
