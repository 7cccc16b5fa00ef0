/**
 * Telling lip from what shows between the lips, by colour: lip is red and fairly bright; teeth
 * are paler (little red), the mouth's inside is dark. Judged against the same person's lip nearby,
 * so skin tone and light do not matter. Used to find where lips really part (the face mesh's
 * inner contour sits a pixel or two inside them) and to measure whether they meet.
 */

/** A pixel's redness (red over the mean of green and blue) and brightness (luma). */
export type LipTone = readonly [redness: number, brightness: number];

export function lipTone(r: number, g: number, b: number): LipTone {
  return [r - (g + b) / 2, 0.299 * r + 0.587 * g + 0.114 * b];
}

/** Whether `tone` is lip as `lip` (a tone taken on the lip) is: 75% as red, 70% as bright. */
export function looksLikeLip(tone: LipTone, lip: LipTone): boolean {
  return lip[0] > 20 && tone[0] >= lip[0] * 0.75 && tone[1] >= lip[1] * 0.7;
}
