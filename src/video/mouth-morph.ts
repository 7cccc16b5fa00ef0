/**
 * A mouth between two atlas shapes, as a morph: both images warped onto the lip contours halfway
 * (by `mix`) between theirs, then blended. Cross-fading the images as they are shows two lip
 * outlines at once (the closed mouth's seam through the open one's teeth); warped first, their
 * outlines lie on each other and only the colour inside changes. Between the lips the more open
 * shape's inside is taken whole, so teeth appear as the lips part. Models made before atlas images
 * carried their points fall back to the cross-fade.
 */
import { innerLipOutline, mouthPointIndices } from '../avatar/mouth-shapes.js';
import { polygonCoverage, remap, warpMap } from '../media/warp.js';
import { blendMouths, type MouthImage } from './mouth-paste.js';

/** Mixes are rounded to this many steps between two shapes, so morphs can be kept and reused. */
const mixSteps = 32;
/** Morphs kept (each size² × 3 bytes: 48 KiB at 128), least recently used dropped first. */
const kept = 160;
/** Points nearer the crop's edge than this share of it are left out: the edge does not move. */
const edgeShare = 0.08;

/** The crop's border, held where it is so the morph fades back into the face. */
function borderPoints(size: number): number[] {
  const out: number[] = [];
  for (let along = 0; along <= size; along += size / 16) {
    out.push(along, 0, along, size, 0, along, size, along);
  }
  return out;
}

const upperMiddle = mouthPointIndices.indexOf(13);
const lowerMiddle = mouthPointIndices.indexOf(14);

/** The gap between the inner lips' middles, in crop pixels. */
function lipGap(points: Float32Array): number {
  return Math.hypot(
    (points[lowerMiddle * 2] ?? 0) - (points[upperMiddle * 2] ?? 0),
    (points[lowerMiddle * 2 + 1] ?? 0) - (points[upperMiddle * 2 + 1] ?? 0),
  );
}

export class MouthMorph {
  private readonly cache = new Map<string, MouthImage>();
  private readonly border: number[];

  constructor(private readonly size: number) {
    this.border = borderPoints(size);
  }

  /** `mix` of the way from mouth `a` (named `aName`) to `b`. */
  between(aName: string, a: MouthImage, bName: string, b: MouthImage, mix: number): MouthImage {
    const step = Math.round(Math.min(1, Math.max(0, mix)) * mixSteps);
    if (step === 0 || a === b) return a;
    if (step === mixSteps) return b;
    const key = `${aName}>${bName}@${step}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const made = this.make(a, b, step / mixSteps);
    this.cache.set(key, made);
    if (this.cache.size > kept) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return made;
  }

  private make(a: MouthImage, b: MouthImage, t: number): MouthImage {
    const { size } = this;
    const pa = a.points;
    const pb = b.points;
    if (!pa || !pb || pa.length !== pb.length) {
      return blendMouths(a, b, t, new Uint8Array(size * size * 3));
    }
    const margin = size * edgeShare;
    const inside = (x: number, y: number) =>
      x > margin && y > margin && x < size - margin && y < size - margin;
    const between: number[] = [];
    const fromA: number[] = [];
    const fromB: number[] = [];
    for (let i = 0; i + 1 < pa.length; i += 2) {
      const [ax, ay, bx, by] = [pa[i] ?? 0, pa[i + 1] ?? 0, pb[i] ?? 0, pb[i + 1] ?? 0];
      const x = ax + (bx - ax) * t;
      const y = ay + (by - ay) * t;
      if (!inside(ax, ay) || !inside(bx, by) || !inside(x, y)) continue;
      between.push(x, y);
      fromA.push(ax, ay);
      fromB.push(bx, by);
    }
    if (between.length === 0) return blendMouths(a, b, t, new Uint8Array(size * size * 3));
    const dest = [...between, ...this.border];
    const warpedA = remap(a.rgb, size, size, warpMap(dest, [...fromA, ...this.border], size, size));
    const warpedB = remap(b.rgb, size, size, warpMap(dest, [...fromB, ...this.border], size, size));
    // Between the lips, the more open mouth's inside (teeth, the dark) as it is, squeezed into
    // the gap: the other's lips stretched across the gap would show its teeth through them.
    const mid = Float32Array.from(pa, (v, i) => v + ((pb[i] ?? 0) - v) * t);
    const gap = polygonCoverage(innerLipOutline(mid), size, size);
    const towardInside = lipGap(pb) >= lipGap(pa) ? 1 : 0;
    const out = warpedA;
    for (let i = 0; i < gap.length; i++) {
      const w = t + (towardInside - t) * (gap[i] ?? 0);
      for (let c = i * 3; c < i * 3 + 3; c++) {
        out[c] = ((warpedA[c] ?? 0) * (1 - w) + (warpedB[c] ?? 0) * w + 0.5) | 0;
      }
    }
    return { rgb: out, points: mid };
  }
}
