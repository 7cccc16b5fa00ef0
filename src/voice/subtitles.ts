/** A word (or CJK character group) with its time in the audio, in milliseconds. */
export interface TimedWord {
  readonly text: string;
  readonly beginMs: number;
  readonly endMs: number;
  /** True for the last word of a sentence: a cue never runs across a sentence end. */
  readonly sentenceEnd?: boolean;
}

export interface Cue {
  readonly beginMs: number;
  readonly endMs: number;
  readonly text: string;
}

export interface CueOptions {
  /** Longest line for Latin text; CJK lines get about half, since each glyph is twice as wide. */
  readonly maxChars?: number;
  readonly maxDurationMs?: number;
}

const cjk = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/u;

function join(words: readonly TimedWord[]): string {
  let text = '';
  for (const word of words) {
    const glue =
      text === '' || cjk.test(word.text[0] ?? '') || cjk.test(text.at(-1) ?? '') ? '' : ' ';
    text += glue + word.text;
  }
  return text;
}

/** Groups timed words into readable cues: short lines, never across a sentence end. */
export function buildCues(words: readonly TimedWord[], options: CueOptions = {}): Cue[] {
  const maxChars = options.maxChars ?? 42;
  const maxDurationMs = options.maxDurationMs ?? 5000;
  const cues: Cue[] = [];
  let group: TimedWord[] = [];
  const flush = (): void => {
    const first = group[0];
    const last = group.at(-1);
    if (first && last) cues.push({ beginMs: first.beginMs, endMs: last.endMs, text: join(group) });
    group = [];
  };
  for (const word of words) {
    const first = group[0];
    const text = join([...group, word]);
    const limit = cjk.test(text) ? Math.ceil(maxChars / 2) : maxChars;
    if (first && ([...text].length > limit || word.endMs - first.beginMs > maxDurationMs)) flush();
    group.push(word);
    if (word.sentenceEnd) flush();
  }
  flush();
  return cues;
}

function clock(ms: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(total % 1000, 3)}`;
}

export function renderSrt(cues: readonly Cue[]): string {
  return cues
    .map(
      (cue, index) =>
        `${index + 1}\n${clock(cue.beginMs, ',')} --> ${clock(cue.endMs, ',')}\n${cue.text}\n`,
    )
    .join('\n');
}

export function renderWebVtt(cues: readonly Cue[]): string {
  const body = cues
    .map((cue) => `${clock(cue.beginMs, '.')} --> ${clock(cue.endMs, '.')}\n${cue.text}\n`)
    .join('\n');
  return `WEBVTT\n\n${body}`;
}
