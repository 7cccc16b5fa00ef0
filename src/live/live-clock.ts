/**
 * The pace of a live session: frame n is due at t0 + n × (1000 / fps) ms, absolute deadlines, so a
 * late tick never shifts the ones after it. What a tick does is the session's; the clock counts
 * ticks that ran more than a frame late (the machine could not keep up).
 */
import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

export class FrameClock {
  private t0 = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Ticks that ran more than one frame period after their deadline. */
  late = 0;
  /** The worst lateness seen, ms. */
  worstLateMs = 0;

  constructor(readonly fps: number) {}

  get periodMs(): number {
    return 1000 / this.fps;
  }

  /** When frame `n` is due, in performance.now() time. */
  due(n: number): number {
    return this.t0 + n * this.periodMs;
  }

  /** Ms since frame 0 was due. */
  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  /** Calls `tick(n)` for n = 0, 1, 2, … each at its deadline, until stop() (or tick throws). */
  start(tick: (n: number) => void): Promise<void> {
    this.t0 = performance.now();
    this.running = (async () => {
      for (let n = 0; !this.stopped; n++) {
        const wait = this.due(n) - performance.now();
        // Behind, it still lets I/O in between ticks (composed frames arrive as I/O).
        if (wait > 1) await sleep(wait);
        else await yieldToIo();
        if (this.stopped) break;
        const lateMs = performance.now() - this.due(n);
        if (lateMs > this.worstLateMs) this.worstLateMs = lateMs;
        if (lateMs > this.periodMs) this.late++;
        tick(n);
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
