import { FacePool } from './face-pool.js';

/**
 * Face pools kept warm between avatar builds: starting the workers and loading the face models is
 * paid once, not by every build (half a second on an idle 2-core machine, seconds on a busy one).
 * Each build borrows a pool for itself (tracking follows one clip frame to frame, so two builds
 * never share one); a pool comes back after a build that went well, and is closed after one that
 * failed (it may hold a dead or busy worker). Pools start on first use, so a server that builds
 * no avatar starts none.
 */
export class WarmFaces {
  private readonly idle: FacePool[] = [];
  private readonly lent = new Set<FacePool>();
  private closed = false;

  /** `workers`: face workers per pool (ANIMA_FACE_WORKERS). */
  constructor(private readonly workers: number) {}

  /** How many pools have started and are not closed (idle or lent): what tests look at. */
  get started(): number {
    return this.idle.length + this.lent.size;
  }

  /** Runs `use` with a pool of its own, warm when one is idle. */
  async use<T>(use: (engine: FacePool) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the face engines are closed');
    const pool = this.idle.pop() ?? new FacePool(this.workers);
    this.lent.add(pool);
    let kept = false;
    try {
      const result = await use(pool);
      kept = !this.closed;
      return result;
    } finally {
      this.lent.delete(pool);
      if (kept) this.idle.push(pool);
      else await pool.close();
    }
  }

  /** Closes the idle pools; a lent one closes when its build ends (the queue stops them first). */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((pool) => pool.close()));
  }
}
