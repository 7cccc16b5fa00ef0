/**
 * One look of a live session (an avatar over its layers) made into pictures: the avatar's frames
 * go in as they are drawn, the composed 4:2:0 frames of the output size come out in the same
 * order, each paired with the tag it was written with (which drawing of which frame). The graph is the video renderer's
 * (buildComposeArgs); only a few frames are ever inside, so a change of mouth shows at once.
 */
import { startFfmpeg, type RunningProcess } from '../media/process.runner.js';
import { buildComposeArgs, type CompositionSpec } from '../video/render.args.js';

export class Compositor {
  private readonly running: RunningProcess;
  private readonly abort = new AbortController();
  private readonly pending: number[] = [];
  private partial: Buffer | undefined;
  private filled = 0;
  private failure: Error | undefined;
  readonly frameBytes: number;

  constructor(
    readonly spec: CompositionSpec,
    /** Each composed frame, with the tag it was written with. */
    private readonly onFrame: (tag: number, yuv: Buffer) => void,
    onFailure: (error: Error) => void,
  ) {
    this.frameBytes = (spec.width * spec.height * 3) / 2;
    this.running = startFfmpeg(buildComposeArgs(spec), { signal: this.abort.signal });
    this.running.stdout.on('data', (chunk: Buffer) => this.take(chunk));
    this.running.done.then(
      () => undefined,
      (error: Error) => {
        if (this.abort.signal.aborted) return;
        this.failure = error;
        onFailure(error);
      },
    );
  }

  /** Frames written and not yet come back. */
  get inFlight(): number {
    return this.pending.length;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** An avatar's RGB picture; it comes back composed through onFrame with its `tag`. */
  write(tag: number, rgb: Uint8Array): void {
    this.pending.push(tag);
    // The pipe keeps the buffer until written: hand it a copy the caller may not reuse.
    this.running.stdin.write(Buffer.from(rgb));
  }

  /** Ends the process; frames still inside are dropped. */
  async close(): Promise<void> {
    this.running.stdin.end();
    this.abort.abort();
    await this.running.done.catch(() => undefined);
    this.pending.length = 0;
  }

  private take(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      this.partial ??= Buffer.allocUnsafe(this.frameBytes);
      const copied = chunk.copy(this.partial, this.filled, at);
      this.filled += copied;
      at += copied;
      if (this.filled < this.frameBytes) break;
      const tag = this.pending.shift();
      const yuv = this.partial;
      this.partial = undefined;
      this.filled = 0;
      if (tag !== undefined) this.onFrame(tag, yuv);
    }
  }
}
