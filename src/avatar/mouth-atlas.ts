/**
 * Choosing the mouth atlas: for each viseme class, the frame of the clip whose lips best make
 * that shape, judged by lip geometry relative to this speaker's own range (people open their
 * mouths differently). A class the clip never shows clearly is marked as borrowed from the
 * nearest shape the clip does show.
 */
import type { TrackedFrame } from './face-track.js';
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

export interface AtlasChoice {
  readonly viseme: Viseme;
  /** The frame the mouth image is cut from. */
  readonly frame: number;
  /** How far the frame's lips are from the class's shape (0 = exactly). */
  readonly distance: number;
  /** The clip never shows this class: the nearest shown class stands in until it is synthesised. */
  readonly borrowedFrom?: Viseme;
}

function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))] ??
    0
  );
}

/** Where a frame's lips sit in this speaker's range. */
export function lipPosition(
  frames: readonly TrackedFrame[],
): (frame: TrackedFrame) => { open: number; width: number } {
  const opens = frames.map((frame) => frame.mouth.openNorm).sort((a, b) => a - b);
  const widths = frames.map((frame) => frame.mouth.widthNorm).sort((a, b) => a - b);
  const closed = percentile(opens, 5);
  const widest = Math.max(closed + 1e-3, percentile(opens, 98));
  const usual = percentile(widths, 50);
  const spread = Math.max(1e-3, (percentile(widths, 95) - percentile(widths, 5)) / 2);
  return (frame) => ({
    open: (frame.mouth.openNorm - closed) / (widest - closed),
    width: (frame.mouth.widthNorm - usual) / spread,
  });
}

export function chooseAtlas(frames: readonly TrackedFrame[]): AtlasChoice[] {
  if (frames.length === 0) throw new Error('no frames to choose mouths from');
  const position = lipPosition(frames);
  const positions = frames.map((frame) => position(frame));
  const shown = visemes.map((viseme) => {
    const target = targets[viseme];
    let best = 0;
    let bestDistance = Infinity;
    positions.forEach((point, index) => {
      const d = Math.hypot(point.open - target.open, point.width - target.width);
      if (d < bestDistance) {
        bestDistance = d;
        best = index;
      }
    });
    return { viseme, frame: frames[best]?.index ?? 0, distance: bestDistance };
  });
  return shown.map((choice) => {
    if (choice.distance <= maxDistance) return choice;
    const target = targets[choice.viseme];
    const nearest = shown
      .filter((other) => other.distance <= maxDistance)
      .sort(
        (a, b) =>
          Math.hypot(targets[a.viseme].open - target.open, targets[a.viseme].width - target.width) -
          Math.hypot(targets[b.viseme].open - target.open, targets[b.viseme].width - target.width),
      )[0];
    return nearest ? { ...nearest, viseme: choice.viseme, borrowedFrom: nearest.viseme } : choice;
  });
}
