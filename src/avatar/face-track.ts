import type { Face, FaceBox, FaceEngine, MouthMeasures } from '../engines/face/face.types.js';
import { AppError } from '../errors/app-error.js';
import type { DecodedFrame } from '../media/decode.js';
import { LandmarkStore } from './landmark-store.js';
import type { SourceNames } from './source-check.js';

/** A face smaller than this (its landmarks' box, in pixels) gives a blurred mouth atlas. */
export const minFaceWidth = 64;
/** How far the landmarks may reach past the frame edge, as a share of the face's width. */
const edgeTolerance = 0.02;

/** What is kept of each tracked frame in memory (its landmarks go to a LandmarkStore). */
export interface FrameSummary {
  readonly index: number;
  readonly box: FaceBox;
  readonly mouth: MouthMeasures;
  readonly roll: number;
}

/** A frame with its landmarks: 468 × (x, y, z), flattened. */
export interface TrackedFrame extends FrameSummary {
  readonly landmarks: Float32Array;
}

export interface FaceTrack {
  readonly width: number;
  readonly height: number;
  readonly frames: readonly FrameSummary[];
  readonly landmarks: LandmarkStore;
}

/** One tracked frame with its landmarks read back (raw, not smoothed). */
export function frameAt(track: FaceTrack, index: number): TrackedFrame {
  const summary = track.frames[index];
  if (!summary) throw new RangeError(`no tracked frame ${index}`);
  return { ...summary, landmarks: track.landmarks.read(index) };
}

/** The one face a frame must show, or the error that says what is wrong with it. */
export function checkFrame(
  faces: readonly Face[],
  frame: { index: number; width: number; height: number },
  names: SourceNames,
): Face {
  const [face, ...others] = faces;
  if (!face) throw new AppError('avatarNoFace', { modelId: names.modelId, frame: frame.index });
  if (others.length > 0) {
    throw new AppError('avatarSeveralFaces', { frame: frame.index, count: faces.length });
  }
  if (face.box.width < minFaceWidth) {
    throw new AppError('avatarFaceTooSmall', {
      frame: frame.index,
      size: Math.round(face.box.width),
      min: minFaceWidth,
    });
  }
  const margin = face.box.width * edgeTolerance;
  const { x, y, width, height } = face.box;
  if (
    x < -margin ||
    y < -margin ||
    x + width > frame.width + margin ||
    y + height > frame.height + margin
  ) {
    throw new AppError('avatarFaceOutOfFrame', { frame: frame.index });
  }
  return face;
}

/**
 * Finds the one face on every frame, in order, failing at the first frame that has none, several,
 * one too small, or one leaving the picture. Frames are not kept: only their landmarks (in
 * `store`: give one on disk for long clips) and a summary.
 */
export async function trackFaces(
  frames: AsyncIterable<DecodedFrame>,
  engine: FaceEngine,
  names: SourceNames,
  onFrame?: (index: number) => void,
  store: LandmarkStore = LandmarkStore.inMemory(),
): Promise<FaceTrack> {
  engine.reset();
  const tracked: FrameSummary[] = [];
  let width = 0;
  let height = 0;
  // Up to `parallel` frames are in flight, answered in order.
  const window = Math.max(1, engine.parallel ?? 1);
  const inFlight: { index: number; width: number; height: number; faces: Promise<Face[]> }[] = [];
  const settle = async () => {
    const oldest = inFlight.shift();
    if (!oldest) return;
    const face = checkFrame(await oldest.faces, oldest, names);
    const landmarks = new Float32Array(face.landmarks.length * 3);
    face.landmarks.forEach((point, i) => {
      landmarks[i * 3] = point[0];
      landmarks[i * 3 + 1] = point[1];
      landmarks[i * 3 + 2] = point[2];
    });
    store.append(landmarks);
    tracked.push({ index: oldest.index, box: face.box, mouth: face.mouth, roll: face.roll });
    onFrame?.(oldest.index);
  };
  try {
    for await (const frame of frames) {
      width = frame.width;
      height = frame.height;
      // Frames are not kept: the engine may take the pixels.
      const faces = engine.detect(frame.rgb, frame.width, frame.height, { handOver: true });
      inFlight.push({ index: frame.index, width: frame.width, height: frame.height, faces });
      if (inFlight.length >= window) await settle();
    }
    while (inFlight.length > 0) await settle();
  } finally {
    // Answers still in flight after a refusal must not surface as unhandled rejections.
    for (const pending of inFlight) pending.faces.catch(() => undefined);
  }
  return { width, height, frames: tracked, landmarks: store };
}
