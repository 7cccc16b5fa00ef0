/**
 * Mandarin text for eSpeak NG's `cmn-latn-pinyin` voice: numbers read as Chinese, characters
 * turned into tone-numbered pinyin (pinyin-pro, whose dictionaries ship inside the npm package),
 * Latin words kept for an English voice, and every spoken syllable mapped back to the original
 * text so that word times show the characters the user wrote.
 */
import { OutputFormat, segment } from 'pinyin-pro';

const digitNames = '零一二三四五六七八九';
const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;

export function hasHan(text: string): boolean {
  return han.test(text);
}

export function digitsToChinese(digits: string): string {
  return [...digits].map((char) => digitNames[Number(char)] ?? char).join('');
}

/** 0–9999 without the section's own leading zero. */
function section(value: number): string {
  const units = ['', '十', '百', '千'];
  let out = '';
  let pendingZero = false;
  for (let power = 3; power >= 0; power--) {
    const digit = Math.floor(value / 10 ** power) % 10;
    if (digit === 0) {
      if (out !== '') pendingZero = true;
      continue;
    }
    if (pendingZero) out += '零';
    pendingZero = false;
    out += `${digitNames[digit] ?? ''}${units[power] ?? ''}`;
  }
  return out;
}

/** A non-negative integer written in digits (up to 16) as a Chinese cardinal: 10010 → 一万零一十. */
export function integerToChinese(digits: string): string {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  if (trimmed.length > 16) return digitsToChinese(trimmed);
  let rest = BigInt(trimmed);
  if (rest === 0n) return '零';
  const bigUnits = ['', '万', '亿', '万亿'];
  const sections: number[] = [];
  while (rest > 0n) {
    sections.push(Number(rest % 10000n));
    rest /= 10000n;
  }
  let out = '';
  for (let index = sections.length - 1; index >= 0; index--) {
    const value = sections[index] ?? 0;
    if (value === 0) {
      if (out !== '' && !out.endsWith('零')) out += '零';
      continue;
    }
    if (out !== '' && value < 1000 && !out.endsWith('零')) out += '零';
    out += section(value) + (bigUnits[index] ?? '');
  }
  out = out.replace(/零+$/, '');
  return out.startsWith('一十') ? out.slice(1) : out;
}

/** A decimal number (may hold "," thousands and a leading minus) as Chinese: -3.25 → 负三点二五. */
export function numberToChinese(number: string): string {
  let text = number.replace(/,/g, '');
  let sign = '';
  if (/^[-−]/.test(text)) {
    sign = '负';
    text = text.slice(1);
  }
  const [whole = '0', fraction] = text.split('.');
  return `${sign}${integerToChinese(whole || '0')}${fraction ? `点${digitsToChinese(fraction)}` : ''}`;
}

/** A piece of the input: its original text and what is spoken for it. */
export interface TextUnit {
  readonly original: string;
  readonly spoken: string;
  readonly isNumber: boolean;
}

const measureWordsForLiang = /^[个位只条本张次种件台辆名家岁块杯碗双对间层斤]/u;

/**
 * Splits text into units, numbers written out in Chinese the way they are read: times (10:30),
 * phone-like digit groups, years before 年 digit by digit, codes with leading zeros digit by
 * digit, percentages, decimals, ranges (3-5天), and 两 for 2 before a measure word.
 */
export function normalizeChineseNumbers(text: string): TextUnit[] {
  const units: TextUnit[] = [];
  const pattern =
    /(\d{1,2}):(\d{2})(?!\d)|(\+?\d{2,4}(?:-\d{3,8}){1,3})(?!\d)|(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)(%|％)?/gu;
  const plain = (chunk: string) => {
    for (const char of chunk) units.push({ original: char, spoken: char, isNumber: false });
  };
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index;
    const end = index + match[0].length;
    plain(text.slice(last, index));
    const after = text.slice(end);
    let start = index;
    let spoken: string;
    if (match[1] !== undefined && match[2] !== undefined) {
      const minutes = Number(match[2]);
      const minutePart =
        minutes === 0 ? '整' : `${minutes < 10 ? '零' : ''}${integerToChinese(match[2])}分`;
      spoken = `${integerToChinese(match[1])}点${minutePart}`;
    } else if (match[3] !== undefined) {
      spoken = match[3].replace(/^\+/, '加').split('-').map(digitsToChinese).join('，');
    } else {
      let number = match[4] ?? '';
      if (number.startsWith('-') && /[\d\p{L}]$/u.test(text.slice(0, index))) {
        // "3-5": a range, not a minus sign.
        units.push({ original: '-', spoken: '到', isNumber: false });
        number = number.slice(1);
        start++;
      }
      const digitsOnly = /^\d+$/.test(number);
      if (match[5]) spoken = `百分之${numberToChinese(number)}`;
      else if (digitsOnly && number.length === 4 && /^\s*年/u.test(after))
        spoken = digitsToChinese(number);
      else if (digitsOnly && (number.length >= 11 || (number.length > 1 && number.startsWith('0'))))
        spoken = digitsToChinese(number);
      else if (number === '2' && measureWordsForLiang.test(after)) spoken = '两';
      else spoken = numberToChinese(number);
    }
    units.push({ original: text.slice(start, end), spoken, isNumber: true });
    last = end;
  }
  plain(text.slice(last));
  return units;
}

/** Chinese and full-width punctuation as eSpeak understands it: sentence and clause breaks. */
const punctuation: Readonly<Record<string, string>> = {
  '。': '.',
  '．': '.',
  '！': '!',
  '？': '?',
  '，': ',',
  '、': ',',
  '；': ';',
  '：': ':',
  '…': '.',
  '—': ',',
  '～': ',',
  '（': ',',
  '）': ',',
  '【': ',',
  '】': ',',
  '(': ',',
  ')': ',',
  '[': ',',
  ']': ',',
  '!': '!',
  '?': '?',
  '.': '.',
  ',': ',',
  ';': ';',
  ':': ':',
  '’': "'",
};
const latin = /[A-Za-z\u00C0-\u024F'’-]/u;
const syllable = /^[a-zü]+[0-5]$/u;
const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

/** Where a spoken syllable or Latin character came from: a word (for timing) and a place. */
export interface SpokenMark {
  /** 1-based code point index in the segment's text, as eSpeak reports text positions. */
  readonly codePoint: number;
  /** Words sharing a key are timed as one (a dictionary word, a number, a Latin word). */
  readonly key: string;
  /** UTF-16 range in the original text. */
  readonly start: number;
  readonly end: number;
}

export interface SpeechRun {
  readonly language: 'zh' | 'en';
  readonly text: string;
  readonly marks: readonly SpokenMark[];
}

/**
 * Mandarin (with embedded Latin words) as runs for eSpeak: tone-numbered pinyin for the
 * `cmn-latn-pinyin` voice, Latin runs for an English voice. Polyphones are resolved by
 * pinyin-pro in context; word boundaries for timing come from ICU's Chinese segmenter.
 */
export function mandarinRuns(text: string): SpeechRun[] {
  const units = normalizeChineseNumbers(text);
  let spoken = '';
  const unitOfChar: number[] = [];
  const origin: { start: number; end: number }[] = [];
  let position = 0;
  units.forEach((unit, index) => {
    origin.push({ start: position, end: position + unit.original.length });
    position += unit.original.length;
    for (let k = 0; k < unit.spoken.length; k++) unitOfChar.push(index);
    spoken += unit.spoken;
  });
  const wordOfChar = new Int32Array(spoken.length + 1);
  let wordIndex = 0;
  for (const word of segmenter.segment(spoken)) {
    wordOfChar.fill(wordIndex++, word.index, word.index + word.segment.length);
  }

  const runs: { language: 'zh' | 'en'; text: string; marks: SpokenMark[]; codePoints: number }[] =
    [];
  let run: (typeof runs)[number] | undefined;
  const open = (language: 'zh' | 'en') => {
    if (run?.language === language) return run;
    run = { language, text: '', marks: [], codePoints: 0 };
    runs.push(run);
    return run;
  };
  const append = (target: (typeof runs)[number], piece: string, key?: string, unit?: number) => {
    const place = unit === undefined ? undefined : origin[unit];
    if (key !== undefined && place) {
      target.marks.push({
        codePoint: target.codePoints + 1,
        key,
        start: place.start,
        end: place.end,
      });
    }
    target.text += piece;
    target.codePoints += [...piece].length;
  };

  let at = 0;
  for (const word of segment(spoken, { toneType: 'num', format: OutputFormat.AllArray })) {
    for (const item of word) {
      const unit = unitOfChar[at] ?? 0;
      const char = item.origin;
      const isNumber = units[unit]?.isNumber ?? false;
      const pinyin = item.result !== char && syllable.test(item.result) ? item.result : undefined;
      const key = isNumber ? `n${unit}` : `w${wordOfChar[at] ?? 0}`;
      if (pinyin) {
        // cmn-latn-pinyin takes 0 (not 5) for the neutral tone, and ü as written.
        const target = open('zh');
        append(target, pinyin.replace(/5$/, '0'), key, unit);
        append(target, ' ');
      } else if (latin.test(char) && !(char === '-' && run?.language !== 'en')) {
        append(open('en'), char === '’' ? "'" : char, `e${wordOfChar[at] ?? 0}`, unit);
      } else if (/\d/.test(char)) {
        append(run ?? open('en'), char, `e${wordOfChar[at] ?? 0}`, unit);
      } else {
        const target = run ?? open('zh');
        const mark = punctuation[char] ?? ' ';
        append(target, target.language === 'zh' && /[.,!?;:]/.test(mark) ? `${mark} ` : mark);
      }
      at += char.length;
    }
  }
  return runs.map(({ language, text: runText, marks }) => ({ language, text: runText, marks }));
}
