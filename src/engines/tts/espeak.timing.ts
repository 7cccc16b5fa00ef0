import type { PhonemeTiming } from './tts.types.js';
import { eventType, type EspeakEvent, type RawSynthesis } from './espeak.lib.js';

/** A word as eSpeak saw it: its place in the input (UTF-16 offsets) and its time. */
export interface EventWord {
  readonly start: number;
  readonly end: number;
  readonly beginMs: number;
  readonly endMs: number;
}

const pause = /^_/;
const phonemeEnds = new Set<number>([
  eventType.phoneme,
  eventType.end,
  eventType.messageTerminated,
  eventType.sentence,
]);
const wordEnds = new Set<number>([eventType.word, eventType.end, eventType.messageTerminated]);

/**
 * Phoneme and word times from one synthesis's events. A phoneme ends where the next phoneme,
 * clause or message begins. A word's WORD event can fire tens of milliseconds before its first
 * sound, so a word runs from its first to its last non-pause phoneme (phoneme events carry
 * their word's text position), and never past the next word's start.
 */
export function eventTimings(
  text: string,
  raw: RawSynthesis,
  sampleRate: number,
): { phonemes: PhonemeTiming[]; words: EventWord[] } {
  const ms = (event: EspeakEvent) =>
    event.sample > 0 ? (event.sample * 1000) / sampleRate : event.audioPositionMs;
  const totalMs = (raw.samples * 1000) / sampleRate;
  const events = raw.events;
  const phonemes: (PhonemeTiming & { textPosition: number })[] = [];
  events.forEach((event, index) => {
    if (event.type !== eventType.phoneme) return;
    const boundary = events.slice(index + 1).find((next) => phonemeEnds.has(next.type));
    const beginMs = ms(event);
    const endMs = Math.max(beginMs, boundary ? ms(boundary) : totalMs);
    phonemes.push({
      symbol: event.phoneme ?? '',
      beginMs,
      endMs,
      textPosition: event.textPosition,
    });
  });

  // Code point index (espeak counts those) to UTF-16 offset (JavaScript strings use those).
  const offsets: number[] = [];
  let offset = 0;
  for (const char of text) {
    offsets.push(offset);
    offset += char.length;
  }
  offsets.push(offset);
  const at = (codePoint: number) =>
    offsets[Math.min(Math.max(0, codePoint), offsets.length - 1)] ?? 0;

  const words: EventWord[] = [];
  events.forEach((event, index) => {
    if (event.type !== eventType.word) return;
    const own = phonemes.filter(
      (phoneme) =>
        phoneme.textPosition === event.textPosition &&
        phoneme.beginMs >= ms(event) - 0.5 &&
        !pause.test(phoneme.symbol),
    );
    let beginMs = ms(event);
    let endMs: number;
    if (own.length > 0) {
      beginMs = own[0]?.beginMs ?? beginMs;
      endMs = Math.max(...own.map((phoneme) => phoneme.endMs));
    } else {
      const next = events.slice(index + 1).find((later) => wordEnds.has(later.type));
      endMs = next ? ms(next) : totalMs;
    }
    const first = event.textPosition - 1;
    words.push({
      start: at(first),
      end: at(first + event.length),
      beginMs,
      endMs: Math.max(beginMs, endMs),
    });
  });
  for (let index = 0; index + 1 < words.length; index++) {
    const word = words[index] as EventWord;
    const next = words[index + 1] as EventWord;
    if (word.endMs > next.beginMs)
      words[index] = { ...word, endMs: Math.max(word.beginMs, next.beginMs) };
  }
  return {
    // Zero-length markers (syllable boundaries "_|", clause ends "_") are not sounds.
    phonemes: phonemes
      .filter((phoneme) => !(pause.test(phoneme.symbol) && phoneme.endMs - phoneme.beginMs < 0.5))
      .map(({ symbol, beginMs, endMs }) => ({ symbol, beginMs, endMs })),
    words,
  };
}
