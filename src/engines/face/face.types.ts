/** A point of the face mesh in frame pixels; z is relative depth on the same scale. */
export type Point3 = readonly [number, number, number];

/** Lip measures in pixels, and normalised by the distance between the outer eye corners. */
export interface MouthMeasures {
  /** Gap between the inner lips (mesh points 13 and 14). */
  readonly innerOpen: number;
  /** Outer lips, top to bottom (0 and 17). */
  readonly outerOpen: number;
  /** Mouth corners (61 and 291). */
  readonly width: number;
  /** Inner corners (78 and 308). */
  readonly innerWidth: number;
  /** Outer eye corners (33 and 263): the face's size, which the jaw does not change. */
  readonly interOcular: number;
  readonly openNorm: number;
  readonly widthNorm: number;
}

export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Face {
  /** The tight box around the landmarks, in frame pixels. */
  readonly box: FaceBox;
  /** The mesh model's confidence that this is a face, 0–1. */
  readonly score: number;
  /** 468 points of the MediaPipe face mesh. */
  readonly landmarks: readonly Point3[];
  readonly mouth: MouthMeasures;
  /** Head roll in radians (eye line against the horizontal). */
  readonly roll: number;
}

/**
 * Finds faces and their landmarks in a stream of frames. Implementations may track faces from
 * one frame to the next, so frames of one clip go in order and `reset` starts a new clip.
 */
export interface FaceEngine {
  readonly name: string;
  /** Frames that can be in flight at once (an engine on several threads); 1 if absent. */
  readonly parallel?: number;
  /**
   * `rgb`: packed RGB, width × height × 3 bytes. With `handOver`, the caller gives the pixels up
   * (it will not read them again): an engine on another thread may then take them without a copy.
   */
  detect(
    rgb: Uint8Array,
    width: number,
    height: number,
    options?: { readonly handOver?: boolean },
  ): Promise<Face[]>;
  reset(): void;
  close(): Promise<void>;
}
