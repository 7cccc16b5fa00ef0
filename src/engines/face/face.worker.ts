/**
 * A face engine in a worker thread: its own models and tracks, frames posted to it. Several of
 * them let face tracking use every core.
 */
import { parentPort } from 'node:worker_threads';
import type { Face } from './face.types.js';
import { HumanFaceEngine } from './human.engine.js';

export type FaceRequest =
  | {
      readonly id: number;
      readonly op: 'detect';
      readonly rgb: Uint8Array;
      readonly width: number;
      readonly height: number;
    }
  | { readonly id: number; readonly op: 'reset' };

export interface FaceAnswer {
  readonly id: number;
  readonly faces?: Face[];
  readonly error?: string;
}

const engine = await HumanFaceEngine.load();

parentPort?.on('message', (request: FaceRequest) => {
  if (request.op === 'reset') {
    engine.reset();
    parentPort?.postMessage({ id: request.id, faces: [] } satisfies FaceAnswer);
    return;
  }
  engine.detect(request.rgb, request.width, request.height).then(
    (faces) => parentPort?.postMessage({ id: request.id, faces } satisfies FaceAnswer),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies FaceAnswer),
  );
});
