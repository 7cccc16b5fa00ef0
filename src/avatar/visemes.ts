/**
 * Mouth shapes (visemes): the classes an avatar's mouth atlas holds, and the shape each speech
 * sound makes. Speech engines name sounds in their own symbols: Festival's US voices and
 * PocketSphinx use ARPAbet (lower and upper case); eSpeak NG its own mnemonics.
 */
export const visemes = [
  /** Lips together: silence, p, b, m. */
  'closed',
  /** Lips slightly apart, teeth close: t, d, n, s, z, k, g, h, and the schwa. */
  'slight',
  /** Jaw dropped: aa as in "father", aw, ay. */
  'open',
  /** Half open, relaxed: ae, eh, ah, ey. */
  'mid',
  /** Spread, corners back: iy as in "see", ih, y. */
  'wide',
  /** Rounded and open: ow, ao, oy, er, r. */
  'round',
  /** Pursed: uw as in "blue", uh, w, and sh, ch, jh, zh. */
  'pucker',
  /** Lower lip to the upper teeth: f, v. */
  'fv',
  /** Tongue between or behind the teeth: th, dh, l. */
  'tongue',
] as const;

export type Viseme = (typeof visemes)[number];

const arpabet: Readonly<Record<string, Viseme>> = {
  pau: 'closed',
  sil: 'closed',
  h$: 'closed',
  p: 'closed',
  b: 'closed',
  m: 'closed',
  t: 'slight',
  d: 'slight',
  n: 'slight',
  ng: 'slight',
  s: 'slight',
  z: 'slight',
  k: 'slight',
  g: 'slight',
  hh: 'slight',
  ax: 'slight',
  ix: 'slight',
  aa: 'open',
  aw: 'open',
  ay: 'open',
  ae: 'mid',
  eh: 'mid',
  ah: 'mid',
  ey: 'mid',
  iy: 'wide',
  ih: 'wide',
  y: 'wide',
  ow: 'round',
  ao: 'round',
  oy: 'round',
  er: 'round',
  axr: 'round',
  r: 'round',
  uw: 'pucker',
  uh: 'pucker',
  w: 'pucker',
  sh: 'pucker',
  zh: 'pucker',
  ch: 'pucker',
  jh: 'pucker',
  f: 'fv',
  v: 'fv',
  th: 'tongue',
  dh: 'tongue',
  l: 'tongue',
};

/** eSpeak NG mnemonics, by their leading symbol (vowels carry length and tone marks after it). */
function espeakViseme(symbol: string): Viseme {
  if (/^_/.test(symbol)) return 'closed';
  if (/^[mpb]/.test(symbol)) return 'closed';
  if (/^[fv]/.test(symbol)) return 'fv';
  if (/^(T|D|l)/.test(symbol)) return 'tongue';
  if (/^(a|A)/.test(symbol)) return 'open';
  if (/^(e|E|3|V)/.test(symbol)) return 'mid';
  if (/^(i|I|j)/.test(symbol)) return 'wide';
  if (/^(o|O|0|r)/.test(symbol)) return 'round';
  if (/^(u|U|w|y|S|Z|tS|dZ)/.test(symbol)) return 'pucker';
  return 'slight';
}

/** Which symbols a phoneme is written in: ARPAbet (Festival, PocketSphinx) or eSpeak NG's. */
export type PhonemeAlphabet = 'arpabet' | 'espeak';

/** Whether the lips must meet for this sound: p, b and m (with eSpeak's aspirated and marked forms). */
export function closesLips(phoneme: string, alphabet: PhonemeAlphabet): boolean {
  return alphabet === 'arpabet' ? /^(p|b|m)\d?$/i.test(phoneme) : /^[mpb]/.test(phoneme);
}

/** The mouth shape of one speech sound. eSpeak's "S" is sh and ARPAbet's "S" is s: say which. */
export function visemeOf(phoneme: string, alphabet: PhonemeAlphabet): Viseme {
  if (alphabet === 'espeak') return espeakViseme(phoneme);
  // PocketSphinx writes upper case and marks stress with a digit (AH0).
  return arpabet[phoneme.toLowerCase().replace(/\d$/, '')] ?? 'slight';
}
