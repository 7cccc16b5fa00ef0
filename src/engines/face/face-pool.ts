import { WorkerClient, type WithoutId } from '../worker-client.js';
import type { FaceAnswer, FaceRequest } from './face.worker.js';
import type { Face, FaceEngine } from './face.types.js';

/**
 * Face engines on several worker threads, frames dealt round-robin: each worker tracks every
 * n-th frame (80 ms apart with two workers at 25 fps, close enough to track). Callers keep
 * `parallel` frames in flight to use them all; answers come back in the order asked.
 */
export class FacePool implements FaceEngine {
  readonly name = 'human-facemesh-pool';
  private readonly workers: WorkerClient<WithoutId<FaceRequest>, FaceAnswer & { id: number }>[];
  private next = 0;

  constructor(readonly parallel: number) {
    this.workers = Array.from(
      { length: Math.max(1, parallel) },
      () => new WorkerClient(new URL('./face.worker.js', import.meta.url), 'face engine'),
    );
  }

  async detect(
    rgb: Uint8Array,
    width: number,
    height: number,
    options: { readonly handOver?: boolean } = {},
  ): Promise<Face[]> {
    const worker = this.workers[this.next++ % this.workers.length];
    if (!worker) throw new Error('the face pool has no workers');
    // Pixels handed over whole move to the worker; otherwise the worker gets a copy it owns.
    const whole =
      options.handOver === true &&
      rgb.byteOffset === 0 &&
      rgb.byteLength === rgb.buffer.byteLength &&
      rgb.buffer instanceof ArrayBuffer;
    const pixels = whole ? rgb : new Uint8Array(rgb);
    const answer = await worker.call({ op: 'detect', rgb: pixels, width, height }, [
      pixels.buffer as ArrayBuffer,
    ]);
    return answer.faces ?? [];
  }

  reset(): void {
    this.next = 0;
    for (const worker of this.workers) void worker.call({ op: 'reset' }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
