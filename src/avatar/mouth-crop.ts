import { sampleRegion, type Region } from '../engines/face/sampling.js';
import type { TrackedFrame } from './face-track.js';

const lipPoints = [0, 17, 61, 291];
const rightEye = 33;
const leftEye = 263;

/**
 * The square around the mouth, turned with the head: about the lips, as wide as the eyes are
 * apart times 1.1, so lips, corners and the top of the chin are in.
 */
export function mouthRegion(frame: TrackedFrame): Region {
  const at = (index: number, axis: 0 | 1) => frame.landmarks[index * 3 + axis] ?? 0;
  const cx = lipPoints.reduce((sum, index) => sum + at(index, 0), 0) / lipPoints.length;
  const cy = lipPoints.reduce((sum, index) => sum + at(index, 1), 0) / lipPoints.length;
  const interOcular = Math.hypot(
    at(leftEye, 0) - at(rightEye, 0),
    at(leftEye, 1) - at(rightEye, 1),
  );
  // A little below the lips' centre, along the face's own down direction: chin in, nose out.
  const shift = interOcular * 0.12;
  return {
    cx: cx - Math.sin(frame.roll) * shift,
    cy: cy + Math.cos(frame.roll) * shift,
    size: interOcular * 1.1,
    angle: frame.roll,
  };
}

/** The mouth of one frame as a size×size RGB image. */
export function cutMouth(
  rgb: Uint8Array,
  width: number,
  height: number,
  frame: TrackedFrame,
  size = 128,
): Uint8Array {
  const floats = new Float32Array(size * size * 3);
  sampleRegion(rgb, width, height, mouthRegion(frame), size, floats, {});
  const bytes = new Uint8Array(floats.length);
  for (let i = 0; i < floats.length; i++)
    bytes[i] = Math.round(Math.min(1, Math.max(0, floats[i] ?? 0)) * 255);
  return bytes;
}

/**
 * The landmarks of a frame in its mouth crop's pixels (x, y pairs, 468 of them), so shapes can
 * be warped in the crop along the same points.
 */
export function cropPoints(frame: TrackedFrame, size = 128): Float32Array {
  const region = mouthRegion(frame);
  const scale = size / region.size;
  const cos = Math.cos(region.angle);
  const sin = Math.sin(region.angle);
  const count = frame.landmarks.length / 3;
  const points = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const dx = (frame.landmarks[i * 3] ?? 0) - region.cx;
    const dy = (frame.landmarks[i * 3 + 1] ?? 0) - region.cy;
    points[i * 2] = (dx * cos + dy * sin) * scale + size / 2;
    points[i * 2 + 1] = (-dx * sin + dy * cos) * scale + size / 2;
  }
  return points;
}
