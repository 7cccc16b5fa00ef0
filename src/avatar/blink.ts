/**
 * Blinks drawn on a picture. Each eye's upper lid slides down over the eye, column by column: the
 * skin above the lid stretches down to the lid's new edge, the eye below it is covered from the
 * top (not squashed), and the lower lid rises a little to meet it. A pure remap of the picture's
 * own pixels, so a closed lid is the person's lid skin with their lash line at its edge, never a
 * see-through smear of the eye.
 */
import { polyline } from '../util/polyline.js';

/** Mesh points: each eye's upper and lower lid, outer corner to inner, and its brow. */
export const eyes = [
  {
    upper: [246, 161, 160, 159, 158, 157, 173],
    lower: [7, 163, 144, 145, 153, 154, 155],
    corners: [33, 133],
    brow: [70, 63, 105, 66, 107],
  },
  {
    upper: [466, 388, 387, 386, 385, 384, 398],
    lower: [249, 390, 373, 374, 380, 381, 382],
    corners: [263, 362],
    brow: [300, 293, 334, 296, 336],
  },
] as const;

/** How a blink closes and opens, frame by frame at 25 fps (about a quarter of a second). */
export const blinkProfile: readonly number[] = [0.35, 0.8, 1, 0.75, 0.4, 0.12];

/** Of the lids' gap, how much the upper lid travels to close it; the lower lid rises the rest. */
const upperShare = 0.85;
/** Skin above the lid that stretches down with it (short of the brow), and below the lower lid, in eye widths. */
const lidReach = 0.25;
const underReach = 0.3;
/**
 * The mesh's lid contours sit a little inside the eye: the opening is taken this much (of the
 * eye's width) wider each way, or a line of white stays under the closed lid.
 */
const lidMargin = 0.05;

type Landmarks = ArrayLike<number>;

const xy = (landmarks: Landmarks, index: number): [number, number] => [
  landmarks[index * 3] ?? 0,
  landmarks[index * 3 + 1] ?? 0,
];

/** How open the eyes are: the lids' gap over the eye's width, both eyes' mean. */
export function eyeOpenness(landmarks: Landmarks): number {
  let sum = 0;
  for (const eye of eyes) {
    const [a, b] = eye.corners.map((index) => xy(landmarks, index));
    const width = Math.hypot((b?.[0] ?? 0) - (a?.[0] ?? 0), (b?.[1] ?? 0) - (a?.[1] ?? 0)) || 1;
    const gaps = eye.upper.map((upper, k) => {
      const [ux, uy] = xy(landmarks, upper);
      const [lx, ly] = xy(landmarks, eye.lower[k] ?? upper);
      return Math.hypot(lx - ux, ly - uy);
    });
    sum += gaps.reduce((total, gap) => total + gap, 0) / gaps.length / width;
  }
  return sum / eyes.length;
}

/** Whether frames' eye openness shows a blink: a dip below 60% of the usual. */
export function showsBlink(openness: readonly number[]): boolean {
  const sorted = [...openness].sort((a, b) => a - b);
  const usual = sorted[sorted.length >> 1] ?? 0;
  return usual > 0 && (sorted[0] ?? usual) < usual * 0.6;
}

/**
 * Both eyes of `rgb` (packed RGB, width × height, changed in place) closed to `level` (0 open, 1
 * shut), the picture's own landmarks (x, y, z per mesh point, in its pixels) saying where.
 */
export function closeEyes(
  rgb: Uint8Array,
  width: number,
  height: number,
  landmarks: Landmarks,
  level: number,
): void {
  if (level <= 0) return;
  const column = new Uint8Array(height * 3);
  for (const eye of eyes) {
    const [outer, inner] = eye.corners.map((index) => xy(landmarks, index));
    if (!outer || !inner) continue;
    const upperY = polyline([outer, ...eye.upper.map((index) => xy(landmarks, index)), inner]);
    const lowerY = polyline([outer, ...eye.lower.map((index) => xy(landmarks, index)), inner]);
    const eyeWidth = Math.hypot(inner[0] - outer[0], inner[1] - outer[1]);
    if (eyeWidth < 3) continue;
    const x0 = Math.max(0, Math.floor(Math.min(outer[0], inner[0])));
    const x1 = Math.min(width - 1, Math.ceil(Math.max(outer[0], inner[0])));
    for (let x = x0; x <= x1; x++) {
      const lidUpper = upperY(x + 0.5);
      const lidLower = lowerY(x + 0.5);
      const opening = lidLower - lidUpper;
      if (opening < 0.3) continue;
      // Near the corners, where the lids meet, the margin shrinks with the opening.
      const margin = Math.min(lidMargin * eyeWidth, opening / 2);
      const u = lidUpper - margin;
      const l = lidLower + margin;
      const gap = l - u;
      const movedUpper = u + level * upperShare * gap;
      const movedLower = l - level * (1 - upperShare) * gap;
      const top = Math.max(0, u - lidReach * eyeWidth);
      const bottom = Math.min(height, l + underReach * eyeWidth);
      const rowFrom = Math.max(0, Math.floor(top));
      const rowTo = Math.min(height - 1, Math.ceil(bottom));
      for (let y = rowFrom; y <= rowTo; y++) {
        const at = (y * width + x) * 3;
        column[y * 3] = rgb[at] ?? 0;
        column[y * 3 + 1] = rgb[at + 1] ?? 0;
        column[y * 3 + 2] = rgb[at + 2] ?? 0;
      }
      for (let y = rowFrom; y <= rowTo; y++) {
        const at = y + 0.5;
        let from: number;
        if (at < top || at > bottom) continue;
        if (at < movedUpper) from = top + ((at - top) * (u - top)) / (movedUpper - top || 1);
        else if (at < movedLower) from = at + (l - movedLower);
        else from = l + ((at - movedLower) * (bottom - l)) / (bottom - movedLower || 1);
        const fy = Math.min(rowTo, Math.max(rowFrom, from - 0.5));
        const y0 = Math.min(rowTo - 1, Math.floor(fy));
        const k = fy - y0;
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const a = column[y0 * 3 + c] ?? 0;
          const b = column[(y0 + 1) * 3 + c] ?? 0;
          rgb[o + c] = Math.round(a + (b - a) * k);
        }
      }
    }
  }
}

/** Seconds between blinks, in turn: people blink every 3 to 6 s, never on a metronome. */
const blinkGaps = [3.4, 4.8, 3.9, 5.6, 3.1, 4.3];
const firstBlink = 1.6;

/**
 * The blink level at output frame `n` (0 open): blinks every 3 to 6 s from 1.6 s on, the gaps
 * repeating every 25 s.
 */
export function blinkAt(n: number, fps: number): number {
  const period = blinkGaps.reduce((sum, gap) => sum + gap, 0);
  let t = (n / fps - firstBlink) % period;
  if (t < 0) return 0;
  for (const gap of [0, ...blinkGaps]) {
    t -= gap;
    const frame = Math.round(t * fps);
    if (frame >= 0 && frame < blinkProfile.length) return blinkProfile[frame] ?? 0;
    if (t < 0) return 0;
  }
  return 0;
}
