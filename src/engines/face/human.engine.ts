/**
 * Faces with BlazeFace (detector) and the 468-point FaceMesh, whose weights ship inside the npm
 * package @vladmandic/human, on the tfjs WebAssembly backend: no native build, nothing fetched.
 * Human loads the models and runs the detector; the mesh runs here on a crop cut straight from
 * the frame (sub-pixel landmarks: Human rounds them, and a lip gap is 0–6 px at 360x288). Faces
 * are tracked: the next frame's region comes from this frame's landmarks, and the detector (the
 * slow part, ~50 ms) runs on the first frame, every `detectEvery` frames, or when a face is lost.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Face, FaceEngine, MouthMeasures, Point3 } from './face.types.js';
import { letterbox, sampleRegion, type Region } from './sampling.js';

const meshSize = 192;
const detectorSize = 256;
const landmarkCount = 468;

/** Mesh points the engine relies on (MediaPipe's canonical face mesh). */
export const meshPoints = {
  innerLipTop: 13,
  innerLipBottom: 14,
  outerLipTop: 0,
  outerLipBottom: 17,
  mouthCornerRight: 61,
  mouthCornerLeft: 291,
  innerCornerRight: 78,
  innerCornerLeft: 308,
  eyeOuterRight: 33,
  eyeOuterLeft: 263,
} as const;

export interface HumanEngineOptions {
  readonly maxFaces: number;
  /** Detector confidence to accept a face. */
  readonly minDetectScore: number;
  /** Mesh confidence below which a tracked face is lost. */
  readonly minMeshScore: number;
  /** Run the detector at least every this many frames (1: every frame, no tracking). */
  readonly detectEvery: number;
}

export const defaultHumanOptions: HumanEngineOptions = {
  maxFaces: 10,
  minDetectScore: 0.3,
  minMeshScore: 0.5,
  detectEvery: 10,
};

// The slice of tfjs and Human this engine uses.
interface Tensor {
  readonly shape: number[];
  data(): Promise<ArrayLike<number>>;
}
interface Tf {
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): Tensor;
  dispose(tensors: Tensor | Tensor[]): void;
}
interface GraphModel {
  execute(input: Tensor): Tensor | Tensor[];
}
interface DetectedFace {
  readonly boxRaw: [number, number, number, number];
  readonly mesh: number[][];
  readonly boxScore?: number;
  readonly score: number;
}
interface HumanInstance {
  load(): Promise<void>;
  detect(input: Tensor): Promise<{ face: DetectedFace[] }>;
  readonly tf: Tf;
  readonly models: { models: { facemesh?: GraphModel | null; blazeface?: unknown } };
  readonly config: { face: { mesh: { enabled: boolean } } };
}
type HumanConstructor = new (config: object) => HumanInstance;

interface Track extends Region {
  readonly fresh: boolean;
}

const distance = (a: Point3, b: Point3) => Math.hypot(a[0] - b[0], a[1] - b[1]);

export function mouthMeasures(landmarks: readonly Point3[]): MouthMeasures {
  const point = (index: number) => landmarks[index] ?? ([0, 0, 0] as const);
  const interOcular = distance(point(meshPoints.eyeOuterRight), point(meshPoints.eyeOuterLeft));
  const innerOpen = distance(point(meshPoints.innerLipTop), point(meshPoints.innerLipBottom));
  const width = distance(point(meshPoints.mouthCornerRight), point(meshPoints.mouthCornerLeft));
  return {
    innerOpen,
    outerOpen: distance(point(meshPoints.outerLipTop), point(meshPoints.outerLipBottom)),
    width,
    innerWidth: distance(point(meshPoints.innerCornerRight), point(meshPoints.innerCornerLeft)),
    interOcular,
    openNorm: interOcular > 0 ? innerOpen / interOcular : 0,
    widthNorm: interOcular > 0 ? width / interOcular : 0,
  };
}

/** Overlap of two regions as squares (rotation ignored). */
function overlap(a: Region, b: Region): number {
  const ax = a.cx - a.size / 2;
  const ay = a.cy - a.size / 2;
  const bx = b.cx - b.size / 2;
  const by = b.cy - b.size / 2;
  const ix = Math.max(0, Math.min(ax + a.size, bx + b.size) - Math.max(ax, bx));
  const iy = Math.max(0, Math.min(ay + a.size, by + b.size) - Math.max(ay, by));
  const inter = ix * iy;
  return inter / (a.size * a.size + b.size * b.size - inter);
}

function rollOf(landmarks: readonly Point3[]): number {
  const right = landmarks[meshPoints.eyeOuterRight] ?? [0, 0, 0];
  const left = landmarks[meshPoints.eyeOuterLeft] ?? [0, 0, 0];
  return Math.atan2(left[1] - right[1], left[0] - right[0]);
}

/** The next frame's region: the landmarks' box in the face's own axes, 1.5 times as large. */
function regionFromLandmarks(landmarks: readonly Point3[]): Region {
  const angle = rollOf(landmarks);
  const cos = Math.cos(-angle);
  const sin = Math.sin(-angle);
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [px, py] of landmarks) {
    const x = px * cos - py * sin;
    const y = px * sin + py * cos;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const mx = (x0 + x1) / 2;
  const my = (y0 + y1) / 2;
  return {
    cx: mx * Math.cos(angle) - my * Math.sin(angle),
    cy: mx * Math.sin(angle) + my * Math.cos(angle),
    size: Math.max(x1 - x0, y1 - y0) * 1.5,
    angle,
  };
}

function toFace(landmarks: Point3[], score: number): Face {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of landmarks) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return {
    box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    score,
    landmarks,
    mouth: mouthMeasures(landmarks),
    roll: rollOf(landmarks),
  };
}

/** Loads Human's bundle by path (its package exports map refuses subpath imports). */
function loadHumanClass(): { Human: HumanConstructor; modelsDir: string; wasmDir: string } {
  const require = createRequire(import.meta.url);
  const humanDir = path.dirname(path.dirname(require.resolve('@vladmandic/human')));
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const bundle = require(path.join(humanDir, 'dist', 'human.node-wasm.js')) as {
    Human: HumanConstructor;
  };
  return { Human: bundle.Human, modelsDir: path.join(humanDir, 'models'), wasmDir };
}

/**
 * Human fetches its model files through the global fetch, which has no file:// in Node. For the
 * load only, the models' file:// URLs are answered from disk (the package's own files); every
 * other request passes through untouched, since other code in the process may be fetching.
 */
async function loadFromDisk(human: HumanInstance, modelsUrl: string): Promise<void> {
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(modelsUrl)) return original(input, init);
    const bytes = await fs.promises.readFile(fileURLToPath(url));
    const type = url.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    return new Response(bytes, { status: 200, headers: { 'content-type': type } });
  };
  try {
    await human.load();
  } finally {
    globalThis.fetch = original;
  }
}

export class HumanFaceEngine implements FaceEngine {
  readonly name = 'human-facemesh';
  private tracks: Track[] = [];
  private sinceDetect = Infinity;
  private readonly detectorInput = new Float32Array(detectorSize * detectorSize * 3);
  private readonly meshInput = new Float32Array(meshSize * meshSize * 3);
  private readonly scratch: { buffer?: Float32Array } = {};

  private constructor(
    private readonly human: HumanInstance,
    private readonly mesh: GraphModel,
    private readonly options: HumanEngineOptions,
  ) {}

  /** Loads the models from the npm package (about 0.3 s and 50 MB). */
  static async load(options: Partial<HumanEngineOptions> = {}): Promise<HumanFaceEngine> {
    const settings = { ...defaultHumanOptions, ...options };
    const { Human, modelsDir, wasmDir } = loadHumanClass();
    const modelsUrl = pathToFileURL(modelsDir + path.sep).href;
    const human = new Human({
      backend: 'wasm',
      wasmPath: pathToFileURL(wasmDir + path.sep).href,
      wasmPlatformFetch: false,
      modelBasePath: modelsUrl,
      cacheSensitivity: 0,
      cacheModels: false,
      warmup: 'none',
      debug: false,
      async: false,
      filter: { enabled: false },
      face: {
        enabled: true,
        detector: {
          enabled: true,
          rotation: false,
          maxDetected: settings.maxFaces,
          skipFrames: 0,
          skipTime: 0,
          minConfidence: settings.minDetectScore,
          iouThreshold: 0.1,
          scale: 1.4,
          return: false,
        },
        mesh: { enabled: true },
        iris: { enabled: false },
        attention: { enabled: false },
        emotion: { enabled: false },
        description: { enabled: false },
        antispoof: { enabled: false },
        liveness: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
    });
    await loadFromDisk(human, modelsUrl);
    const mesh = human.models.models.facemesh;
    if (!mesh || !human.models.models.blazeface) throw new Error('the face models did not load');
    // From here Human runs the detector only; the mesh runs in this engine.
    human.config.face.mesh.enabled = false;
    return new HumanFaceEngine(human, mesh, settings);
  }

  reset(): void {
    this.tracks = [];
    this.sinceDetect = Infinity;
  }

  async detect(rgb: Uint8Array, width: number, height: number): Promise<Face[]> {
    if (rgb.length !== width * height * 3) {
      throw new Error(
        `expected ${width}x${height} RGB (${width * height * 3} bytes), got ${rgb.length}`,
      );
    }
    this.sinceDetect++;
    if (this.tracks.length === 0 || this.sinceDetect >= this.options.detectEvery) {
      const found = await this.runDetector(rgb, width, height);
      this.sinceDetect = 0;
      // A tracked face keeps its region (from landmarks, finer than the detector's).
      const kept = this.tracks.filter((track) => found.some((face) => overlap(track, face) > 0.3));
      this.tracks = kept.concat(
        found.filter((face) => !kept.some((track) => overlap(track, face) > 0.3)),
      );
    }
    const faces: Face[] = [];
    const next: Track[] = [];
    for (const track of this.tracks) {
      let result = await this.runMesh(rgb, width, height, track);
      if (result && track.fresh) {
        // The detector's region is coarse: a second pass on the landmark region settles it.
        result =
          (await this.runMesh(rgb, width, height, regionFromLandmarks(result.landmarks))) ?? result;
      }
      if (!result) continue;
      const face = toFace(result.landmarks, result.score);
      const region = regionFromLandmarks(result.landmarks);
      if (next.some((other) => overlap(other, region) > 0.5)) continue;
      faces.push(face);
      next.push({ ...region, fresh: false });
    }
    this.tracks = next.slice(0, this.options.maxFaces);
    return faces;
  }

  private async runDetector(rgb: Uint8Array, width: number, height: number): Promise<Track[]> {
    const { scale, padX, padY } = letterbox(rgb, width, height, detectorSize, this.detectorInput);
    const tf = this.human.tf;
    const input = tf.tensor4d(this.detectorInput, [1, detectorSize, detectorSize, 3], 'float32');
    let found: DetectedFace[];
    try {
      found = (await this.human.detect(input)).face;
    } finally {
      tf.dispose(input);
    }
    return found.map((face) => {
      // boxRaw: the detector's enlarged square box, normalised to the 256 canvas.
      const [bx, by, bw, bh] = face.boxRaw;
      const eyes = face.mesh;
      const angle =
        eyes.length >= 2
          ? Math.atan2(
              (eyes[1]?.[1] ?? 0) - (eyes[0]?.[1] ?? 0),
              (eyes[1]?.[0] ?? 0) - (eyes[0]?.[0] ?? 0),
            )
          : 0;
      return {
        cx: ((bx + bw / 2) * detectorSize - padX) / scale,
        cy: ((by + bh / 2) * detectorSize - padY) / scale,
        size: (Math.max(bw, bh) * detectorSize) / scale,
        angle,
        fresh: true,
      };
    });
  }

  private async runMesh(
    rgb: Uint8Array,
    width: number,
    height: number,
    region: Region,
  ): Promise<{ score: number; landmarks: Point3[] } | undefined> {
    sampleRegion(rgb, width, height, region, meshSize, this.meshInput, this.scratch);
    const tf = this.human.tf;
    const input = tf.tensor4d(this.meshInput, [1, meshSize, meshSize, 3], 'float32');
    const outputs = this.mesh.execute(input);
    tf.dispose(input);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    try {
      const confidence = list.find((tensor) => tensor.shape.at(-1) === 1);
      const points = list.find((tensor) => tensor.shape.at(-1) === landmarkCount * 3);
      if (!confidence || !points) throw new Error('the face mesh model gave unexpected outputs');
      const score = (await confidence.data())[0] ?? 0;
      if (score < this.options.minMeshScore) return undefined;
      const raw = await points.data();
      const s = region.size / meshSize;
      const cos = Math.cos(region.angle);
      const sin = Math.sin(region.angle);
      const half = meshSize / 2;
      const landmarks: Point3[] = [];
      for (let i = 0; i < landmarkCount; i++) {
        const u = ((raw[3 * i] ?? 0) - half) * s;
        const v = ((raw[3 * i + 1] ?? 0) - half) * s;
        landmarks.push([
          region.cx + u * cos - v * sin,
          region.cy + u * sin + v * cos,
          (raw[3 * i + 2] ?? 0) * s,
        ]);
      }
      return { score, landmarks };
    } finally {
      tf.dispose(list);
    }
  }

  /** Human keeps its models for the thread's life; closing only forgets the tracks. */
  close(): Promise<void> {
    this.reset();
    return Promise.resolve();
  }
}
