/**
 * From timed speech sounds to one mouth per video frame, with co-articulation: every phoneme pulls
 * the mouth toward its shape with a strength that rises and falls around its middle (a dominance
 * function, after Cohen and Massaro), so neighbouring sounds shape each other and the mouth glides
 * instead of flickering. Lips must meet for p, b and m: during those the mouth is closed, whatever
 * their neighbours want. Silence closes the mouth, gently.
 */
import type { PhonemeTiming } from '../engines/tts/tts.types.js';
import { closesLips, visemeOf, type PhonemeAlphabet, type Viseme } from '../avatar/visemes.js';

/** One frame's mouth: a blend of two atlas classes, `mix` of the second. */
export interface MouthFrame {
  readonly from: Viseme;
  readonly to: Viseme;
  /** 0 = all `from`, 1 = all `to`. */
  readonly mix: number;
}

const silence = /^(pau|sil|h#|_+|SIL|)$/;

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
    const closes = !quiet && closesLips(phoneme.symbol, alphabet);
    const viseme = quiet ? 'closed' : visemeOf(phoneme.symbol, alphabet);
    return {
      viseme,
      centreMs: (phoneme.beginMs + phoneme.endMs) / 2,
      // Vowels reach further into their neighbours than consonants; long silences barely.
      reachMs: quiet ? Math.min(80, length / 2) : Math.max(30, length * 0.5),
      strength: quiet ? 0.6 : closes ? 2.5 : 1,
      beginMs: phoneme.beginMs,
      endMs: phoneme.endMs,
      mustClose: closes,
    };
  });
}

/**
 * The lips meet a little before a p, b or m is heard (its closure is silent) and stay shut through
 * it: a frame is closed when a third of it or more falls inside the sound, its start brought
 * forward by this much, and so is the frame its middle falls in (a sound shorter than that).
 */
const closureLeadMs = 20;

function closesFrame(gesture: Gesture, frame: number, fps: number): boolean {
  const frameMs = 1000 / fps;
  const start = frame * frameMs;
  const overlap =
    Math.min(start + frameMs, gesture.endMs) - Math.max(start, gesture.beginMs - closureLeadMs);
  return overlap >= frameMs / 3 || Math.floor(gesture.centreMs / frameMs) === frame;
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
  loudness?: readonly number[],
): MouthFrame[] {
  const all = gestures(phonemes, alphabet);
  const weights = new Map<Viseme, number>();
  const out: MouthFrame[] = [];
  /** Frames whose lips must be shut (p, b, m): the pace limit leaves them as they are. */
  const shut: boolean[] = [];
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
      if (gesture.mustClose && closesFrame(gesture, frame, fps)) closing = true;
      const d = (t - gesture.centreMs) / gesture.reachMs;
      const w = gesture.strength * Math.exp(-d * d);
      weights.set(gesture.viseme, (weights.get(gesture.viseme) ?? 0) + w);
    }
    shut.push(closing);
    if (weights.size === 0 || closing) {
      out.push({ from: 'closed', to: 'closed', mix: 0 });
      continue;
    }
    const ranked = [...weights].sort((a, b) => b[1] - a[1]);
    const [top, second] = ranked;
    if (!top) continue;
    if (!second || second[1] <= 0) {
      out.push(dipWhenQuiet({ from: top[0], to: top[0], mix: 0 }, loudness?.[frame]));
      continue;
    }
    let mix = second[1] / (top[1] + second[1]);
    // Louder sound, wider jaw: between two shapes of different opening, lean toward the one the
    // loudness of this frame calls for.
    const level = loudness?.[frame];
    const gap = openness[second[0]] - openness[top[0]];
    if (level !== undefined && Math.abs(gap) > 0.15) {
      const wanted = (openingFor(level) - openness[top[0]]) / gap;
      mix = 0.2 * mix + 0.8 * Math.min(1, Math.max(0, wanted));
    }
    out.push(dipWhenQuiet({ from: top[0], to: second[0], mix }, loudness?.[frame]));
  }
  return limitPace(out, shut);
}

/**
 * The most the mouth opens or closes between two frames, on the square root of its openness (0
 * shut to 1 widest): near shut a little more jaw shows a lot more (lips part, teeth appear), so
 * parting takes two frames (to 0.12, then 0.49) and shut to wide three, as a speaker's does. On
 * the openness itself (0.4 a frame), a photo's lips jumped from shut to teeth showing in one
 * frame: pace 1.47x its speakers'. (0.4 on the square root: 1.25-1.31x; 0.35: 1.17x, and the
 * lowest lip sync 0.525 -> 0.492.)
 */
const maxStep = 0.35;

const openingOf = (mouth: MouthFrame): number =>
  openness[mouth.from] * (1 - mouth.mix) + openness[mouth.to] * mouth.mix;
const shapeOf = (mouth: MouthFrame): Viseme => (mouth.mix > 0.5 ? mouth.to : mouth.from);

/**
 * The opening held to `maxStep` a frame (on its square root), forward then backward (so the jaw starts closing before a
 * p, b or m rather than snapping shut on it); shut frames are left shut. A frame opened less than
 * its shape is its shape eased toward closed; one kept more open is eased toward its more open
 * neighbour's shape.
 */
function limitPace(track: readonly MouthFrame[], shut: readonly boolean[]): MouthFrame[] {
  const wanted = track.map(openingOf);
  const held = wanted.map(Math.sqrt);
  const clamp = (value: number, near: number) =>
    Math.min(near + maxStep, Math.max(near - maxStep, value));
  for (let n = 1; n < held.length; n++) {
    if (!shut[n]) held[n] = clamp(held[n] ?? 0, held[n - 1] ?? 0);
  }
  for (let n = held.length - 2; n >= 0; n--) {
    if (!shut[n]) held[n] = clamp(held[n] ?? 0, held[n + 1] ?? 0);
  }
  for (let n = 0; n < held.length; n++) held[n] = (held[n] ?? 0) ** 2;
  return track.map((mouth, n) => {
    const want = wanted[n] ?? 0;
    const have = held[n] ?? want;
    if (shut[n] || Math.abs(have - want) < 1e-6) return mouth;
    const shape = shapeOf(mouth);
    if (have < want) return openness[shape] > 0 ? shapeOpenedTo(shape, have) : mouth;
    const neighbours = [track[n - 1], track[n + 1]].flatMap((m) => (m ? [shapeOf(m)] : []));
    const wide = neighbours.sort((a, b) => openness[b] - openness[a])[0] ?? shape;
    const [low, high] = [openness[shape], openness[wide]];
    if (high <= low) return mouth;
    return { from: shape, to: wide, mix: Math.min(1, Math.max(0, (have - low) / (high - low))) };
  });
}

/**
 * The opening a frame's loudness calls for. Loudness is a level (decibels, 0–1 within the
 * speech's own range), the jaw follows the sound's amplitude: the level is raised to a power, so
 * a syllable's quiet edges close the mouth much more than its loud middle does. (Linear in level,
 * quiet frames kept shapes open: lip sync 0.42–0.52 on bench/mouth; as amplitude, 0.52–0.60.)
 */
function openingFor(level: number): number {
  return (0.1 + 0.9 * level) ** 2.2;
}

/**
 * A frame quieter than its shape's opening calls for (the dip between two syllables that the
 * phoneme times smear together) closes the mouth that far toward closed: the jaw follows the
 * syllables' beat. Louder frames keep their shape (p, b, m and silence are closed already).
 */
function dipWhenQuiet(mouth: MouthFrame, level: number | undefined): MouthFrame {
  if (level === undefined) return mouth;
  const wanted = openingFor(level);
  if (openingOf(mouth) <= wanted) return mouth;
  return shapeOpenedTo(shapeOf(mouth), wanted);
}

/** `shape` eased toward shut until it opens `opening` (of the jaw's range; its own at most). */
function shapeOpenedTo(shape: Viseme, opening: number): MouthFrame {
  const full = openness[shape];
  const mix = full > 0 ? Math.min(1, Math.max(0, 1 - opening / full)) : 0;
  return { from: shape, to: 'closed', mix };
}

/** How far each shape opens the jaw, 0–1 (as the atlas's targets). */
const openness: Readonly<Record<Viseme, number>> = {
  closed: 0,
  slight: 0.2,
  fv: 0.1,
  tongue: 0.35,
  pucker: 0.15,
  wide: 0.25,
  mid: 0.55,
  round: 0.6,
  open: 1,
};

/** The level (dB) of each video frame's samples, measured as 16-bit mono PCM streams past. */
export class FrameLevels {
  private readonly perFrame: number;
  private readonly levels: number[] = [];
  private sum = 0;
  private count = 0;

  constructor(sampleRate: number, fps: number) {
    this.perFrame = Math.round(sampleRate / fps);
  }

  push(pcm: Buffer): void {
    for (let i = 0; i + 1 < pcm.length; i += 2) {
      this.sum += pcm.readInt16LE(i) ** 2;
      if (++this.count === this.perFrame) this.close();
    }
  }

  /**
   * Loudness per frame for `frames` frames, 0–1 within this speech (its 20th to 95th percentile
   * of level): what the viseme track leans on to open louder syllables wider.
   */
  loudness(frames: number): number[] {
    if (this.count > 0) this.close();
    const levels = Array.from({ length: frames }, (_, i) => this.levels[i] ?? 0);
    const sorted = [...levels].sort((a, b) => a - b);
    const low = sorted[Math.floor(sorted.length * 0.2)] ?? 0;
    const high = sorted[Math.floor(sorted.length * 0.95)] ?? 1;
    return levels.map((level) => Math.min(1, Math.max(0, (level - low) / Math.max(1, high - low))));
  }

  private close(): void {
    this.levels.push(10 * Math.log10(this.sum / Math.max(1, this.count) + 1));
    this.sum = 0;
    this.count = 0;
  }
}

/** From closed to wide open: the shapes a mouth driven by loudness alone moves through. */
const byOpening: readonly Viseme[] = ['closed', 'slight', 'mid', 'open'];

/**
 * Mouths from loudness alone (speech whose sounds cannot be told: a language the recogniser does
 * not know): quiet closes the mouth, louder opens it, smoothed over three frames so it does not
 * flicker.
 */
export function loudnessTrack(loudness: readonly number[]): MouthFrame[] {
  return loudness.map((_, frame) => {
    const near = [loudness[frame - 1], loudness[frame], loudness[frame + 1]].filter(
      (v): v is number => v !== undefined,
    );
    const level = near.reduce((sum, v) => sum + v, 0) / near.length;
    const at = Math.min(
      byOpening.length - 1,
      Math.max(0, (level - 0.15) / 0.85) * (byOpening.length - 1),
    );
    const low = Math.floor(at);
    return {
      from: byOpening[low] ?? 'closed',
      to: byOpening[Math.min(byOpening.length - 1, low + 1)] ?? 'closed',
      mix: at - low,
    };
  });
}
