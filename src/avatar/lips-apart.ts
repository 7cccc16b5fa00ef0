/**
 * Whether lips meet, read from the picture: along three lines across the mouth (its middle and a
 * quarter of its width either side), each from the middle of the upper lip to the middle of the
 * lower as the face mesh places them, the longest run of pixels that are not lip (teeth, the dark
 * inside).
 * The mesh finds the lips; the pixels say whether anything shows between them. The mesh's own
 * inner-lip gap is a guess from the face's shape, and reads a smiling mouth as parted when its
 * lips are plainly shut.
 */
import { lipTone, looksLikeLip, type LipTone } from './lip-tone.js';

/** Mesh points per line: upper lip outer, upper inner, lower inner, lower outer. */
const lines = [
  [0, 13, 14, 17],
  [37, 82, 87, 84],
  [267, 312, 317, 314],
] as const;

/**
 * At most this much (of the face's height) of not-lip between the lips counts as shut: the dark
 * line where lips meet is a pixel or two at the sizes renders are made.
 */
export const shutShowing = 0.02;

/** Samples per pixel of a line's length. */
const density = 2;

/**
 * The longest run of not-lip along the mouth's lines, in pixels (the median of the three lines):
 * 0 to a pixel or so where the lips meet, the height of what shows where they part.
 */
export function insideShowing(
  rgb: Uint8Array,
  width: number,
  height: number,
  landmarks: readonly (readonly [number, number, ...number[]])[],
): number {
  const toneAt = (x: number, y: number): LipTone => {
    const px = Math.min(width - 1, Math.max(0, Math.round(x - 0.5)));
    const py = Math.min(height - 1, Math.max(0, Math.round(y - 0.5)));
    const at = (py * width + px) * 3;
    return lipTone(rgb[at] ?? 0, rgb[at + 1] ?? 0, rgb[at + 2] ?? 0);
  };
  const runs = lines.map((indices) => {
    const [top, innerTop, innerBottom, bottom] = indices.map((index) => landmarks[index]);
    if (!top || !innerTop || !innerBottom || !bottom) return NaN;
    const along = (a: readonly number[], b: readonly number[], t: number): [number, number] => [
      (a[0] ?? 0) + ((b[0] ?? 0) - (a[0] ?? 0)) * t,
      (a[1] ?? 0) + ((b[1] ?? 0) - (a[1] ?? 0)) * t,
    ];
    // From lip to lip: the outer edges (skin beside lip) are left out.
    const from = along(top, innerTop, 0.5);
    const to = along(innerBottom, bottom, 0.5);
    const upperLip = toneAt(...from);
    const lowerLip = toneAt(...to);
    const length = Math.hypot(to[0] - from[0], to[1] - from[1]);
    const samples = Math.max(2, Math.ceil(length * density));
    let longest = 0;
    let run = 0;
    for (let k = 0; k <= samples; k++) {
      const t = k / samples;
      const tone = toneAt(from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t);
      const lip = looksLikeLip(tone, upperLip) || looksLikeLip(tone, lowerLip);
      run = lip ? 0 : run + 1;
      longest = Math.max(longest, run);
    }
    return longest / density;
  });
  const sorted = runs.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? NaN;
}
