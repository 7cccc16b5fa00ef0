import { Worker } from 'node:worker_threads';
import { abortError } from '../../media/process.runner.js';
import type { AlignedWord, TimedToken } from './pocketsphinx.lib.js';
import type { SphinxRequest } from './pocketsphinx.worker.js';
import type {
  AlignmentResult,
  AsrEngine,
  RecognitionResult,
  RecognitionStream,
} from './asr.types.js';

interface Answer {
  readonly id: number;
  readonly text?: string;
  readonly words?: TimedToken[];
  readonly aligned?: AlignedWord[];
  readonly error?: string;
}

interface Pending {
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: Error) => void;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * PocketSphinx with the US English model, in its own worker thread (libpocketsphinx loaded
 * in-process through koffi). Audio is decoded as it arrives, so the result is ready right
 * after the end; the worker keeps loaded decoders for the next recognition.
 */
export class PocketSphinxEngine implements AsrEngine {
  readonly name = 'pocketsphinx';
  readonly sampleRate = 16000;
  readonly languages = ['en-US'] as const;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextStream = 1;

  start(): RecognitionStream {
    const stream = this.nextStream++;
    let open = true;
    this.post({ op: 'start', stream });
    return {
      write: (pcm) => {
        if (!open) return;
        // A copy the worker owns: the caller may reuse its buffer.
        const copy = new Uint8Array(pcm);
        this.post({ op: 'write', stream, pcm: copy }, [copy.buffer]);
      },
      partial: async () => (open ? ((await this.ask({ op: 'partial', stream })).text ?? '') : ''),
      finish: async (): Promise<RecognitionResult> => {
        if (!open) throw abortError(undefined);
        open = false;
        const answer = await this.ask({ op: 'finish', stream });
        return { text: answer.text ?? '', words: answer.words ?? [] };
      },
      abort: () => {
        if (!open) return;
        open = false;
        this.post({ op: 'abort', stream });
      },
    };
  }

  async align(pcm: Buffer, transcript: string): Promise<AlignmentResult> {
    const copy = new Uint8Array(pcm);
    const answer = await this.ask({ op: 'align', pcm: copy, transcript }, [copy.buffer]);
    const words = answer.aligned ?? [];
    return {
      text: words.map((word) => word.text).join(' '),
      words: words.map(({ text, beginMs, endMs }) => ({ text, beginMs, endMs })),
      phonemes: words.flatMap((word) => word.phonemes),
    };
  }

  private post(request: SphinxRequest, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().postMessage(request, transfer);
  }

  private ask(request: WithoutId<SphinxRequest>, transfer: ArrayBuffer[] = []): Promise<Answer> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    }).then((answer) => {
      if (answer.error !== undefined) throw new Error(answer.error);
      return answer;
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./pocketsphinx.worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      pending.resolve(answer);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the PocketSphinx worker stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
