/**
 * Choosing the mouth atlas: for each viseme class, the frame of the clip whose lips best make
 * that shape, judged by lip geometry relative to this speaker's own range (people open their
 * mouths differently). A class the clip never shows clearly is made by warping the nearest
 * shape the clip does show (mouth-shapes.ts).
 */
import type { FrameSummary } from './face-track.js';
import { visemes, type Viseme } from './visemes.js';

/**
 * Each class as a point in (opening, width) space: opening 0 = this speaker closed, 1 = widest
 * open; width 0 = their usual width, +1 = spread, −1 = pursed.
 */
const targets: Readonly<Record<Viseme, { open: number; width: number }>> = {
  closed: { open: 0, width: 0 },
  slight: { open: 0.2, width: 0 },
  mid: { open: 0.55, width: 0.1 },
  open: { open: 1, width: 0 },
  wide: { open: 0.25, width: 1 },
  round: { open: 0.6, width: -0.8 },
  pucker: { open: 0.15, width: -1 },
  fv: { open: 0.1, width: 0 },
  tongue: { open: 0.35, width: 0 },
};

/** Further than this from its target, a frame does not show the class. */
const maxDistance = 0.35;
/**
 * A frame heard as the class wins over the nearest in shape only when its lips are not much
 * further from the class's shape: the sound breaks near-ties (f against a silent frame), it does
 * not bring in a visibly worse mouth.
 */
const heardSlack = 0.1;

export interface AtlasChoice {
  readonly viseme: Viseme;
  /** The frame the mouth image is cut from. */
  readonly frame: number;
  /** How far the frame's lips are from the class's shape (0 = exactly). */
  readonly distance: number;
  /** The clip never shows this class: it is warped from the mouth of this nearest shown class. */
  readonly warpedFrom?: Viseme;
  /** The frame's sound calls for this class too (speech aligned), not only its lips. */
  readonly heard?: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))] ??
    0
  );
}

/** How this speaker's lips move: the gap closed and widest open, their usual width and its spread. */
export interface SpeakerRange {
  readonly closed: number;
  readonly widest: number;
  readonly usual: number;
  readonly spread: number;
}

export function speakerRange(frames: readonly FrameSummary[]): SpeakerRange {
  const opens = frames.map((frame) => frame.mouth.openNorm).sort((a, b) => a - b);
  const widths = frames.map((frame) => frame.mouth.widthNorm).sort((a, b) => a - b);
  const closed = percentile(opens, 5);
  return {
    closed,
    widest: Math.max(closed + 1e-3, percentile(opens, 98)),
    usual: percentile(widths, 50),
    spread: Math.max(1e-3, (percentile(widths, 95) - percentile(widths, 5)) / 2),
  };
}

/**
 * The range assumed for a face seen once (a photo): lips that meet when closed and open about as
 * far as the GRID speakers' (0.08–0.14 of the eye distance) beyond what the photo shows, at the photo's own width (a smile
 * stays a smile), rounding a little more than theirs (their sentences barely purse the lips).
 */
export function assumedRange(mouth: { openNorm: number; widthNorm: number }): SpeakerRange {
  return {
    closed: 0.005,
    widest: Math.max(0.13, mouth.openNorm + 0.06),
    usual: mouth.widthNorm,
    spread: 0.12,
  };
}

/** A class's lip measures for this speaker, in MouthMeasures' face-size units. */
export function shapeOf(
  viseme: Viseme,
  range: SpeakerRange,
): { openNorm: number; widthNorm: number } {
  const target = targets[viseme];
  return {
    openNorm: range.closed + target.open * (range.widest - range.closed),
    widthNorm: range.usual + target.width * range.spread,
  };
}

/** Where a frame's lips sit in this speaker's range. */
export function lipPosition(
  frames: readonly FrameSummary[],
): (frame: FrameSummary) => { open: number; width: number } {
  const { closed, widest, usual, spread } = speakerRange(frames);
  return (frame) => ({
    open: (frame.mouth.openNorm - closed) / (widest - closed),
    width: (frame.mouth.widthNorm - usual) / spread,
  });
}

/**
 * The atlas: for each class, the frame whose lips are nearest its shape. With `heard` (frame →
 * the viseme its sound calls for), frames where sound and lips agree come first: among the frames
 * heard as the class, the nearest in shape wins if it is nearly as close as any frame.
 */
export function chooseAtlas(
  frames: readonly FrameSummary[],
  heard?: ReadonlyMap<number, Viseme>,
): AtlasChoice[] {
  if (frames.length === 0) throw new Error('no frames to choose mouths from');
  const position = lipPosition(frames);
  const positions = frames.map((frame) => position(frame));
  const nearest = (viseme: Viseme, accept: (index: number) => boolean) => {
    const target = targets[viseme];
    let best = -1;
    let bestDistance = Infinity;
    positions.forEach((point, index) => {
      if (!accept(index)) return;
      const d = Math.hypot(point.open - target.open, point.width - target.width);
      if (d < bestDistance) {
        bestDistance = d;
        best = index;
      }
    });
    return { index: best, distance: bestDistance };
  };
  const shown = visemes.map((viseme): AtlasChoice => {
    const seen = nearest(viseme, () => true);
    if (heard) {
      const agreed = nearest(viseme, (index) => heard.get(frames[index]?.index ?? -1) === viseme);
      if (
        agreed.index >= 0 &&
        agreed.distance <= maxDistance &&
        agreed.distance <= seen.distance + heardSlack
      ) {
        return {
          viseme,
          frame: frames[agreed.index]?.index ?? 0,
          distance: agreed.distance,
          heard: true,
        };
      }
    }
    return { viseme, frame: frames[seen.index]?.index ?? 0, distance: seen.distance };
  });
  return shown.map((choice) => {
    if (choice.distance <= maxDistance) return choice;
    const target = targets[choice.viseme];
    const stand = shown
      .filter((other) => other.distance <= maxDistance)
      .sort(
        (a, b) =>
          Math.hypot(targets[a.viseme].open - target.open, targets[a.viseme].width - target.width) -
          Math.hypot(targets[b.viseme].open - target.open, targets[b.viseme].width - target.width),
      )[0];
    return stand
      ? {
          viseme: choice.viseme,
          frame: stand.frame,
          distance: stand.distance,
          warpedFrom: stand.viseme,
        }
      : choice;
  });
}

/**
 * The frames whose lips are nearest `viseme`'s shape (at most `count`, each within the distance a
 * frame may be and still show the class), nearest first: the ones worth cutting to look at when
 * the geometry alone cannot tell (a closed mouth's lips meeting or showing a hair of gap).
 */
export function nearestFrames(
  frames: readonly FrameSummary[],
  viseme: Viseme,
  count: number,
): { frame: number; distance: number }[] {
  const position = lipPosition(frames);
  const target = targets[viseme];
  return frames
    .map((frame) => {
      const point = position(frame);
      const distance = Math.hypot(point.open - target.open, point.width - target.width);
      return { frame: frame.index, distance };
    })
    .filter((candidate) => candidate.distance <= maxDistance)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, count);
}
