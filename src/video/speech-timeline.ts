/**
 * A stream's one clock, as data: what every output frame carries (a live session's, and a video
 * task's as its speech is made). Sound is the master:
 * frame n carries samples [sampleAt(n), sampleAt(n + 1)) and nothing else, so pictures and sound
 * can never drift apart however late a frame is drawn. Speech is placed on it piece by piece
 * (a sentence, or a first phrase) at whole frames, each piece with the mouths of its frames;
 * where nothing is placed the avatar is silent with its mouth at rest.
 */
import type { MouthFrame } from './viseme-track.js';
import { restingMouth } from './frame-source.js';

/** A piece of speech placed on the timeline. */
export interface Placed {
  readonly startFrame: number;
  /** The frame after its last (its sound or its mouths, whichever ends later). */
  readonly endFrame: number;
  readonly pcm: Int16Array;
  readonly mouths: readonly MouthFrame[];
  /** Who asked for it: the scene it belongs to and the utterance it is part of. */
  readonly scene: number;
  readonly utterance: number;
}

/** Frames a cut mouth takes to ease to rest. */
export const easeFrames = 2;

export class SpeechTimeline {
  private placed: Placed[] = [];
  /** Told the first frame whose sound or mouth changed (a piece placed, a cut). */
  onChange: ((frame: number) => void) | undefined;

  constructor(
    readonly sampleRate: number,
    readonly fps: number,
  ) {}

  /** The first sample of frame `n`. */
  sampleAt(n: number): number {
    return Math.floor((n * this.sampleRate) / this.fps);
  }

  /** How many samples frame `n` carries. */
  samplesIn(n: number): number {
    return this.sampleAt(n + 1) - this.sampleAt(n);
  }

  /** The frames that `samples` samples starting at frame `start` cover. */
  framesFor(start: number, samples: number): number {
    const end = this.sampleAt(start) + samples;
    let frames = Math.max(
      0,
      Math.floor(((end - this.sampleAt(start)) * this.fps) / this.sampleRate),
    );
    while (this.sampleAt(start + frames) < end) frames++;
    return frames;
  }

  /** The frame after everything placed (0 when nothing is). */
  get endFrame(): number {
    return this.placed.at(-1)?.endFrame ?? 0;
  }

  /** Whether anything is placed at or after frame `n`. */
  busyFrom(n: number): boolean {
    return this.endFrame > n;
  }

  /**
   * Places a piece after everything placed and not before `notBefore` (the first frame not yet
   * drawn); `mouths(frames)` gives the mouth of each of its frames. Returns where it went.
   */
  place(
    piece: {
      readonly pcm: Int16Array;
      readonly mouths: (frames: number) => readonly MouthFrame[];
      readonly scene: number;
      readonly utterance: number;
    },
    notBefore: number,
  ): Placed {
    const startFrame = Math.max(notBefore, this.endFrame);
    const frames = Math.max(1, this.framesFor(startFrame, piece.pcm.length));
    const placed: Placed = {
      startFrame,
      endFrame: startFrame + frames,
      pcm: piece.pcm,
      mouths: piece.mouths(frames),
      scene: piece.scene,
      utterance: piece.utterance,
    };
    this.placed.push(placed);
    this.onChange?.(startFrame);
    return placed;
  }

  /** The piece frame `n` belongs to, if any. */
  at(n: number): Placed | undefined {
    return this.placed.find((piece) => piece.startFrame <= n && n < piece.endFrame);
  }

  /** The last piece that began at or before frame `n` (what scene the stream is in). */
  latestBy(n: number): Placed | undefined {
    return this.placed.findLast((piece) => piece.startFrame <= n);
  }

  mouthAt(n: number): MouthFrame {
    const piece = this.at(n);
    return piece ? (piece.mouths[n - piece.startFrame] ?? restingMouth) : restingMouth;
  }

  /** Frame `n`'s samples into `out` (samplesIn(n) long): the speech there, silence elsewhere. */
  audioInto(n: number, out: Int16Array): Int16Array {
    out.fill(0);
    const first = this.sampleAt(n);
    const count = this.samplesIn(n);
    for (const piece of this.placed) {
      if (piece.endFrame <= n || piece.startFrame > n) continue;
      const offset = first - this.sampleAt(piece.startFrame);
      const end = Math.min(count, piece.pcm.length - offset);
      for (let i = Math.max(0, -offset); i < end; i++) out[i] = piece.pcm[offset + i] ?? 0;
    }
    return out;
  }

  /**
   * Stops all speech from frame `at` (the first not yet drawn): the piece being spoken fades out
   * over that frame and its mouth eases to rest over the next few; everything later is dropped.
   * Returns the utterances that lost something.
   */
  cut(at: number): Set<number> {
    const cutOff = new Set<number>();
    const kept: Placed[] = [];
    for (const piece of this.placed) {
      if (piece.startFrame >= at) {
        cutOff.add(piece.utterance);
        continue;
      }
      if (piece.endFrame <= at) {
        kept.push(piece);
        continue;
      }
      cutOff.add(piece.utterance);
      kept.push(this.truncated(piece, at));
    }
    this.placed = kept;
    if (cutOff.size > 0) this.onChange?.(at);
    return cutOff;
  }

  /** Forgets pieces that ended before frame `n` (already sent). */
  forget(n: number): void {
    this.placed = this.placed.filter((piece) => piece.endFrame > n);
  }

  private truncated(piece: Placed, at: number): Placed {
    const fadeFrom = this.sampleAt(at) - this.sampleAt(piece.startFrame);
    const fadeEnd = this.sampleAt(at + 1) - this.sampleAt(piece.startFrame);
    const pcm = piece.pcm.slice(0, Math.min(piece.pcm.length, fadeEnd));
    for (let i = fadeFrom; i < pcm.length; i++) {
      pcm[i] = Math.round((pcm[i] ?? 0) * (1 - (i - fadeFrom) / Math.max(1, fadeEnd - fadeFrom)));
    }
    const last = piece.mouths[at - 1 - piece.startFrame] ?? restingMouth;
    const shape = last.mix > 0.5 ? last.to : last.from;
    const kept = piece.mouths.slice(0, at - piece.startFrame);
    for (let k = 1; k <= easeFrames; k++) {
      kept.push({ from: shape, to: 'closed', mix: k / easeFrames });
    }
    return { ...piece, pcm, mouths: kept, endFrame: at + easeFrames };
  }
}
