/**
 * Is the avatar filmed in front of a plain coloured wall (a green or blue screen, the GRID
 * corpus's blue)? Then, over a background, the wall is keyed out. The test looks at the frame's
 * border, above the shoulders: its chroma must be one clear colour (not a grey or white wall,
 * whose chroma the teeth and the eyes share), held by nearly all of the border.
 */
import type { AvatarFrames } from './avatar-frames.js';
import type { ChromaKey } from './render.args.js';

/** Chroma (BT.601, centred on 0) of an RGB pixel. */
function chroma(r: number, g: number, b: number): [number, number] {
  return [-0.1687 * r - 0.3313 * g + 0.5 * b, 0.5 * r - 0.4187 * g - 0.0813 * b];
}

/** The least chroma (of 0–181) a wall needs to be keyed: a clear colour, not a grey. */
const minSaturation = 24;
/** The share of border pixels that must lie near the wall's colour. */
const minShare = 0.9;
/** Near: this chroma distance from the median. */
const nearDistance = 20;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** The key for a frame's plain coloured wall, or undefined when the wall is not plain. */
export function backdropKey(rgb: Uint8Array, width: number, height: number): ChromaKey | undefined {
  const band = Math.max(2, Math.round(Math.min(width, height) * 0.05));
  const skip = 2; // a codec's or camera's dark edge line
  const samples: { u: number; v: number; rgb: [number, number, number] }[] = [];
  const take = (x: number, y: number) => {
    const at = (y * width + x) * 3;
    const r = rgb[at] ?? 0;
    const g = rgb[at + 1] ?? 0;
    const b = rgb[at + 2] ?? 0;
    const [u, v] = chroma(r, g, b);
    samples.push({ u, v, rgb: [r, g, b] });
  };
  for (let y = skip; y < skip + band; y++) for (let x = skip; x < width - skip; x += 2) take(x, y);
  for (let y = skip + band; y < Math.round(height * 0.45); y += 2) {
    for (let x = skip; x < skip + band; x++) take(x, y);
    for (let x = width - skip - band; x < width - skip; x++) take(x, y);
  }
  if (samples.length < 50) return undefined;
  const u = median(samples.map((s) => s.u));
  const v = median(samples.map((s) => s.v));
  if (Math.hypot(u, v) < minSaturation) return undefined;
  const distances = samples.map((s) => Math.hypot(s.u - u, s.v - v)).sort((a, b) => a - b);
  const near = distances.filter((d) => d <= nearDistance).length;
  if (near / samples.length < minShare) return undefined;
  // The key colour: the mean of the pixels nearest the median chroma.
  const close = samples.filter((s) => Math.hypot(s.u - u, s.v - v) <= nearDistance / 2);
  const mean = [0, 1, 2].map((c) =>
    Math.round(close.reduce((sum, s) => sum + (s.rgb[c] ?? 0), 0) / Math.max(1, close.length)),
  );
  const spread = distances[Math.floor(distances.length * 0.95)] ?? nearDistance;
  // ffmpeg's chromakey measures distance over 255·√2; keep a margin over the wall's own spread.
  const similarity = Math.min(0.15, Math.max(0.07, (spread * 1.6) / (255 * Math.SQRT2)));
  return {
    colour: ((mean[0] ?? 0) << 16) | ((mean[1] ?? 0) << 8) | (mean[2] ?? 0),
    similarity: Number(similarity.toFixed(3)),
    blend: 0.05,
  };
}

/** The key for an avatar's wall, judged on its first base frame. */
export function plainBackdrop(avatar: AvatarFrames): ChromaKey | undefined {
  const frame = new Uint8Array(avatar.width * avatar.height * 3);
  avatar.frames.read(0, frame);
  return backdropKey(frame, avatar.width, avatar.height);
}
