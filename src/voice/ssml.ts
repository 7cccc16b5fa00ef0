import { AppError } from '../errors/app-error.js';

/** A stretch of text spoken with one rate and pitch, and the silence that follows it. */
export interface SpeechSegment {
  readonly text: string;
  /** Speaking rate factor (1 = normal, 2 = twice as fast). */
  readonly rate: number;
  /** Pitch shift in semitones. */
  readonly pitchSemitones: number;
  readonly pauseAfterMs: number;
}

interface Prosody {
  readonly rate: number;
  readonly pitch: number;
}

const rateWords: Record<string, number> = {
  'x-slow': 0.5,
  slow: 0.75,
  medium: 1,
  default: 1,
  fast: 1.3,
  'x-fast': 1.6,
};
const pitchWords: Record<string, number> = {
  'x-low': -6,
  low: -3,
  medium: 0,
  default: 0,
  high: 3,
  'x-high': 6,
};
const breakStrengths: Record<string, number> = {
  none: 0,
  'x-weak': 50,
  weak: 150,
  medium: 300,
  strong: 600,
  'x-strong': 1000,
};
const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const elements = new Set(['speak', 'p', 's', 'break', 'prosody', 'say-as', 'sub']);

function fail(reason: string): never {
  throw new AppError('ssmlInvalid', { reason });
}

function attributes(raw: string): Record<string, string> {
  const result: Record<string, string> = {};
  const pattern = /([a-zA-Z:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
  for (const match of raw.matchAll(pattern)) {
    if (match[1]) result[match[1]] = match[3] ?? match[4] ?? '';
  }
  if (raw.replace(pattern, '').trim() !== '') fail(`malformed attributes "${raw.trim()}"`);
  return result;
}

function decode(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    const value = entities[name.toLowerCase()];
    if (value === undefined) fail(`unknown entity ${whole}`);
    return value;
  });
}

export function parseRate(value: string): number {
  const word = rateWords[value];
  if (word !== undefined) return word;
  const percent = /^([+-]?\d+(?:\.\d+)?)%$/.exec(value);
  if (percent?.[1]) {
    const n = Number(percent[1]);
    return value.startsWith('+') || value.startsWith('-') ? 1 + n / 100 : n / 100;
  }
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value);
  return fail(`prosody rate "${value}" is not x-slow..x-fast, a percentage or a number`);
}

export function parsePitch(value: string): number {
  const word = pitchWords[value];
  if (word !== undefined) return word;
  const semitones = /^([+-]?\d+(?:\.\d+)?)st$/.exec(value);
  if (semitones?.[1]) return Number(semitones[1]);
  const percent = /^([+-]?\d+(?:\.\d+)?)%$/.exec(value);
  if (percent?.[1]) return 12 * Math.log2(Math.max(0.1, 1 + Number(percent[1]) / 100));
  return fail(`prosody pitch "${value}" is not x-low..x-high, semitones (+2st) or a percentage`);
}

function parseBreak(attrs: Record<string, string>): number {
  const time = attrs.time;
  if (time !== undefined) {
    const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(time);
    if (!match?.[1]) fail(`break time "${time}" is not like 500ms or 1s`);
    const ms = Number(match[1]) * (match[2] === 's' ? 1000 : 1);
    if (ms > 10_000) fail(`break time ${time} is longer than 10s`);
    return ms;
  }
  const strength = breakStrengths[attrs.strength ?? 'medium'];
  if (strength === undefined) fail(`break strength "${attrs.strength}" is unknown`);
  return strength;
}

function sayAs(text: string, interpretAs: string): string {
  switch (interpretAs) {
    case 'digits':
    case 'telephone':
      return text
        .replace(/\d/g, (digit) => ` ${digit} `)
        .replace(/\s+/g, ' ')
        .trim();
    case 'characters':
    case 'spell-out':
      return [...text.replace(/\s+/g, '')].join(' ');
    case 'cardinal':
    case 'number':
      return text;
    default:
      return fail(`say-as interpret-as="${interpretAs}" is not digits, characters or cardinal`);
  }
}

/** Parses the SSML subset into segments; plain text (no leading "<") is one segment. */
export function parseSsml(input: string): SpeechSegment[] {
  const source = input.trim();
  if (!source.startsWith('<'))
    return [{ text: source, rate: 1, pitchSemitones: 0, pauseAfterMs: 0 }];
  const segments: Array<{
    text: string;
    rate: number;
    pitchSemitones: number;
    pauseAfterMs: number;
  }> = [];
  const stack: Array<{ name: string; prosody: Prosody; interpretAs?: string; alias?: string }> = [];
  const prosody = (): Prosody => stack.at(-1)?.prosody ?? { rate: 1, pitch: 0 };
  const emit = (text: string): void => {
    const { rate, pitch } = prosody();
    const last = segments.at(-1);
    if (last && last.rate === rate && last.pitchSemitones === pitch && last.pauseAfterMs === 0)
      last.text += text;
    else segments.push({ text, rate, pitchSemitones: pitch, pauseAfterMs: 0 });
  };
  const pause = (ms: number): void => {
    const last = segments.at(-1);
    if (last) last.pauseAfterMs += ms;
    else segments.push({ text: '', rate: 1, pitchSemitones: 0, pauseAfterMs: ms });
  };
  const token =
    /<(\/?)([a-zA-Z-]+)((?:\s+[^<>]*?)?)\s*(\/?)>|<\?xml[^>]*\?>|<!--[\s\S]*?-->|([^<]+)|(<)/g;
  let sawSpeak = false;
  for (const match of source.matchAll(token)) {
    const [, closing, rawName, rawAttrs, selfClosing, text, stray] = match;
    if (stray !== undefined) fail('a "<" that starts no tag (write &lt; in text)');
    if (text !== undefined) {
      if (stack.length === 0) fail('text outside <speak>');
      const top = stack.at(-1);
      if (top?.alias !== undefined) continue;
      const decoded = decode(text);
      emit(top?.interpretAs ? sayAs(decoded, top.interpretAs) : decoded);
      continue;
    }
    if (rawName === undefined) continue; // xml declaration or comment
    const name = rawName.toLowerCase();
    if (!elements.has(name)) fail(`<${rawName}> is not supported`);
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name) fail(`</${rawName}> closes <${open?.name ?? 'nothing'}>`);
      if (name === 'sub' && open.alias) emit(open.alias);
      if (name === 's' || name === 'p') pause(name === 'p' ? 400 : 200);
      continue;
    }
    if (stack.length === 0 && name !== 'speak') fail('the document must start with <speak>');
    if (name === 'speak') {
      if (sawSpeak) fail('<speak> may appear only once');
      sawSpeak = true;
    }
    const attrs = attributes(rawAttrs ?? '');
    if (name === 'break') {
      if (!selfClosing) fail('<break> must be self-closing: <break time="500ms"/>');
      pause(parseBreak(attrs));
      continue;
    }
    const current = prosody();
    const entry: { name: string; prosody: Prosody; interpretAs?: string; alias?: string } = {
      name,
      prosody: {
        rate:
          name === 'prosody' && attrs.rate ? current.rate * parseRate(attrs.rate) : current.rate,
        pitch:
          name === 'prosody' && attrs.pitch
            ? current.pitch + parsePitch(attrs.pitch)
            : current.pitch,
      },
    };
    if (name === 'say-as')
      entry.interpretAs = attrs['interpret-as'] ?? fail('<say-as> needs interpret-as');
    if (name === 'sub') entry.alias = attrs.alias ?? fail('<sub> needs alias');
    if (selfClosing) fail(`<${rawName}/> must hold text`);
    stack.push(entry);
  }
  if (stack.length > 0) fail(`<${stack.at(-1)?.name ?? ''}> is never closed`);
  const result = segments
    .map((segment) => ({ ...segment, text: segment.text.replace(/\s+/g, ' ').trim() }))
    .filter((segment) => segment.text !== '' || segment.pauseAfterMs > 0);
  if (!result.some((segment) => segment.text !== '')) fail('there is no text to speak');
  return result;
}
