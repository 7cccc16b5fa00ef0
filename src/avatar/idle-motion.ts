/**
 * Idle life for a face seen once (a photo): slow sway, nod and tilt of the head, and blinks, as a
 * loop that ends where it starts. The head moves by warping along the face outline (the image's
 * border and the shoulders stay put); eyes close by pulling the upper lids down to the lower.
 */
import { blinkProfile, closeEyes, eyes } from './blink.js';

export interface IdlePose {
  /** Head shift in pixels. */
  readonly dx: number;
  readonly dy: number;
  /** Head tilt in radians, about a point below the chin. */
  readonly roll: number;
  readonly scale: number;
  /** 0 = eyes open, 1 = closed. */
  readonly blink: number;
}

/**
 * `frames` poses that loop (every motion's period divides the loop), for a face `faceWidth`
 * pixels wide: about 2.5% of the face's width of sway, 1° of tilt, two blinks.
 */
export function idleMotion(frames: number, faceWidth: number): IdlePose[] {
  const blinks = new Map<number, number>();
  for (const at of [0.27, 0.78]) {
    const start = Math.round(at * frames);
    blinkProfile.forEach((level, offset) => blinks.set((start + offset) % frames, level));
  }
  return Array.from({ length: frames }, (_, index) => {
    const phase = (2 * Math.PI * index) / frames;
    return {
      dx: faceWidth * (0.02 * Math.sin(phase + 0.3) + 0.007 * Math.sin(2 * phase + 1.1)),
      dy: faceWidth * (0.01 * Math.sin(2 * phase + 2.2) + 0.005 * Math.sin(3 * phase + 0.4)),
      roll: 0.015 * Math.sin(phase + 2) + 0.005 * Math.sin(3 * phase + 0.7),
      scale: 1 + 0.004 * Math.sin(2 * phase + 0.5),
      blink: blinks.get(index) ?? 0,
    };
  });
}

/** The face's outline: it carries the head's motion to the warp. */
const faceOval = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
  176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];
const faceInside = [1, 33, 263, 61, 291, 168];

const at = (landmarks: Float32Array, index: number, axis: number) =>
  landmarks[index * 3 + axis] ?? 0;

/** The landmarks with the lids moved for a blink of `level` (0–1). */
export function blinkLandmarks(landmarks: Float32Array, level: number): Float32Array {
  const moved = Float32Array.from(landmarks);
  if (level <= 0) return moved;
  for (const eye of eyes) {
    eye.upper.forEach((upper, k) => {
      const lower = eye.lower[k] ?? upper;
      for (let axis = 0; axis < 2; axis++) {
        const u = at(landmarks, upper, axis);
        const l = at(landmarks, lower, axis);
        // The lids meet a little above the lower lid's line: the upper travels most of the way.
        moved[upper * 3 + axis] = u + level * 0.85 * (l - u);
        moved[lower * 3 + axis] = l + level * 0.15 * (u - l);
      }
    });
  }
  return moved;
}

/** The picture with both eyes closed to `level` (0–1): a copy, the lids slid down over the eyes. */
export function blinkImage(
  rgb: Uint8Array,
  width: number,
  height: number,
  landmarks: Float32Array,
  level: number,
): Uint8Array {
  const out = Uint8Array.from(rgb);
  closeEyes(out, width, height, landmarks, level);
  return out;
}

/** Where a point goes when the head takes `pose`, turning about `pivot`. */
function headTransform(
  pose: IdlePose,
  pivot: readonly [number, number],
): (x: number, y: number) => [number, number] {
  const cos = Math.cos(pose.roll) * pose.scale;
  const sin = Math.sin(pose.roll) * pose.scale;
  return (x, y) => {
    const dx = x - pivot[0];
    const dy = y - pivot[1];
    return [pivot[0] + cos * dx - sin * dy + pose.dx, pivot[1] + sin * dx + cos * dy + pose.dy];
  };
}

/** The frame's landmarks: the blink's lids, then the head's motion. */
export function posedLandmarks(landmarks: Float32Array, pose: IdlePose): Float32Array {
  const moved = blinkLandmarks(landmarks, pose.blink);
  const move = headTransform(pose, pivotOf(landmarks));
  for (let i = 0; i < moved.length / 3; i++) {
    const [x, y] = move(moved[i * 3] ?? 0, moved[i * 3 + 1] ?? 0);
    moved[i * 3] = x;
    moved[i * 3 + 1] = y;
    moved[i * 3 + 2] = (moved[i * 3 + 2] ?? 0) * pose.scale;
  }
  return moved;
}

/** The head turns about the neck: a little below the chin. */
function pivotOf(landmarks: Float32Array): [number, number] {
  const faceHeight = at(landmarks, 152, 1) - at(landmarks, 10, 1);
  return [at(landmarks, 152, 0), at(landmarks, 152, 1) + faceHeight * 0.15];
}

/**
 * The warp that moves the head (the face outline and points about it, hair included) by `pose`
 * and keeps the image's border and the shoulders where they are.
 */
export function headWarp(
  landmarks: Float32Array,
  pose: IdlePose,
  width: number,
  height: number,
): { src: number[]; dest: number[] } {
  const move = headTransform(pose, pivotOf(landmarks));
  const src: number[] = [];
  const dest: number[] = [];
  const xs = faceOval.map((index) => at(landmarks, index, 0));
  const ys = faceOval.map((index) => at(landmarks, index, 1));
  const faceWidth = Math.max(...xs) - Math.min(...xs);
  const faceHeight = Math.max(...ys) - Math.min(...ys);
  const centreX = (Math.max(...xs) + Math.min(...xs)) / 2;
  const top = Math.min(...ys);
  const chin = Math.max(...ys);
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x <= width && y <= height;
  const moving: [number, number][] = [
    ...[...faceOval, ...faceInside].map(
      (index) => [at(landmarks, index, 0), at(landmarks, index, 1)] as [number, number],
    ),
    // Hair above and beside the face goes with the head.
    [centreX, top - faceHeight * 0.3],
    [centreX - faceWidth * 0.45, top - faceHeight * 0.15],
    [centreX + faceWidth * 0.45, top - faceHeight * 0.15],
    [centreX - faceWidth * 0.75, top + faceHeight * 0.35],
    [centreX + faceWidth * 0.75, top + faceHeight * 0.35],
  ];
  for (const [x, y] of moving) {
    if (!inside(x, y)) continue;
    const [mx, my] = move(x, y);
    src.push(x, y);
    dest.push(mx, my);
  }
  const still: [number, number][] = [
    [centreX, chin + faceHeight * 0.55],
    [centreX - faceWidth * 0.9, chin + faceHeight * 0.45],
    [centreX + faceWidth * 0.9, chin + faceHeight * 0.45],
  ];
  for (let k = 0; k <= 8; k++) {
    still.push(
      [(width * k) / 8, 0],
      [(width * k) / 8, height],
      [0, (height * k) / 8],
      [width, (height * k) / 8],
    );
  }
  for (const [x, y] of still) {
    if (!inside(x, y)) continue;
    src.push(x, y);
    dest.push(x, y);
  }
  return { src, dest };
}
