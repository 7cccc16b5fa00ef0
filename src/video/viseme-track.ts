/**
 * From timed speech sounds to one mouth per video frame, with co-articulation: every phoneme pulls
 * the mouth toward its shape with a strength that rises and falls around its middle (a dominance
 * function, after Cohen and Massaro), so neighbouring sounds shape each other and the mouth glides
 * instead of flickering. Lips must meet for p, b and m: during those the mouth is closed, whatever
 * their neighbours want. Silence closes the mouth, gently.
 */
import type { PhonemeTiming } from '../engines/tts/tts.types.js';
import { visemeOf, type PhonemeAlphabet, type Viseme } from '../avatar/visemes.js';

/** One frame's mouth: a blend of two atlas classes, `mix` of the second. */
export interface MouthFrame {
  readonly from: Viseme;
  readonly to: Viseme;
  /** 0 = all `from`, 1 = all `to`. */
  readonly mix: number;
}

const silence = /^(pau|sil|h#|_+|SIL|)$/;
const bilabial = /^(p|b|m)\d?$/i;

interface Gesture {
  readonly viseme: Viseme;
  readonly centreMs: number;
  /** How far either side the gesture reaches (ms): its dominance falls off over this. */
  readonly reachMs: number;
  readonly strength: number;
  readonly beginMs: number;
  readonly endMs: number;
  readonly mustClose: boolean;
}

function gestures(phonemes: readonly PhonemeTiming[], alphabet: PhonemeAlphabet): Gesture[] {
  return phonemes.map((phoneme) => {
    const length = Math.max(10, phoneme.endMs - phoneme.beginMs);
    const quiet = silence.test(phoneme.symbol);
    const closes =
      !quiet &&
      (alphabet === 'arpabet' ? bilabial.test(phoneme.symbol) : /^[mpb]/.test(phoneme.symbol));
    const viseme = quiet ? 'closed' : visemeOf(phoneme.symbol, alphabet);
    return {
      viseme,
      centreMs: (phoneme.beginMs + phoneme.endMs) / 2,
      // Vowels reach further into their neighbours than consonants; long silences barely.
      reachMs: quiet ? Math.min(80, length / 2) : Math.max(45, length * 0.75),
      strength: quiet ? 0.6 : closes ? 2.5 : 1,
      beginMs: phoneme.beginMs,
      endMs: phoneme.endMs,
      mustClose: closes,
    };
  });
}

/**
 * `frames` mouths at `fps` for phonemes timed in ms from the start of the audio. Phonemes are in
 * the alphabet of the engine that timed them (Festival and PocketSphinx: ARPAbet; eSpeak NG).
 */
export function visemeTrack(
  phonemes: readonly PhonemeTiming[],
  alphabet: PhonemeAlphabet,
  frames: number,
  fps: number,
): MouthFrame[] {
  const all = gestures(phonemes, alphabet);
  const weights = new Map<Viseme, number>();
  const out: MouthFrame[] = [];
  let first = 0;
  for (let frame = 0; frame < frames; frame++) {
    const t = ((frame + 0.5) * 1000) / fps;
    while (first < all.length && (all[first]?.centreMs ?? 0) + 3 * (all[first]?.reachMs ?? 0) < t) {
      first++;
    }
    weights.clear();
    let closing = false;
    for (let i = first; i < all.length; i++) {
      const gesture = all[i] as Gesture;
      if (gesture.centreMs - 3 * gesture.reachMs > t) break;
      if (gesture.mustClose && t >= gesture.beginMs && t <= gesture.endMs) closing = true;
      const d = (t - gesture.centreMs) / gesture.reachMs;
      const w = gesture.strength * Math.exp(-d * d);
      weights.set(gesture.viseme, (weights.get(gesture.viseme) ?? 0) + w);
    }
    if (weights.size === 0 || closing) {
      out.push({ from: 'closed', to: 'closed', mix: 0 });
      continue;
    }
    const ranked = [...weights].sort((a, b) => b[1] - a[1]);
    const [top, second] = ranked;
    if (!top) continue;
    if (!second || second[1] <= 0) {
      out.push({ from: top[0], to: top[0], mix: 0 });
      continue;
    }
    out.push({ from: top[0], to: second[0], mix: second[1] / (top[1] + second[1]) });
  }
  return out;
}
