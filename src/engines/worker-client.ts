import { Worker } from 'node:worker_threads';

/** A worker's request union without the `id` the client adds. */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** What every worker answer carries: the id of the request it answers, or an error. */
export interface WorkerAnswer {
  readonly id: number;
  readonly error?: string;
}

/**
 * The main-thread side of an engine's worker thread: started on first use, requests matched to
 * answers by id, the process kept alive only while an answer is awaited. If the worker dies,
 * every awaited answer fails with the reason and the next request starts a new worker.
 */
export class WorkerClient<Request extends object, Answer extends WorkerAnswer> {
  private worker: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (answer: Answer) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;

  /** `label` names the engine in errors ("eSpeak NG"). */
  constructor(
    private readonly script: URL,
    private readonly label: string,
  ) {}

  /** Sends a request that needs no answer (audio for a running recognition, say). */
  post(request: Request, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().postMessage(request, transfer);
  }

  /** Sends a request and resolves with its answer; an answer with an error rejects. */
  call(request: Request, transfer: ArrayBuffer[] = []): Promise<Answer> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      // Idle, it may be let go; a worker being terminated (no longer this.worker) is held until
      // it exits: an answer arriving during terminate() used to unref it, and a caller awaiting
      // terminate() was left with nothing keeping the process alive.
      if (this.pending.size === 0 && this.worker === worker) worker.unref();
      if (answer.error !== undefined) pending.reject(new Error(`${this.label}: ${answer.error}`));
      else pending.resolve(answer);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the ${this.label} worker stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    // An idle worker is unref'd; held while it stops, so a caller awaiting this keeps the process.
    worker.ref();
    await worker.terminate();
  }
}
