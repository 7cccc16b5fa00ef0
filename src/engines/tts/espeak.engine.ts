import { Worker } from 'node:worker_threads';
import { abortError } from '../../media/process.runner.js';
import type { EspeakOutput } from './espeak.synth.js';
import type { EspeakRequest } from './espeak.worker.js';
import type { SynthesisOptions, SynthesisResult, TtsEngine } from './tts.types.js';

interface Pending {
  readonly resolve: (value: EspeakAnswer) => void;
  readonly reject: (error: Error) => void;
}

interface EspeakAnswer {
  readonly id: number;
  readonly result?: Omit<EspeakOutput, 'pcm'> & { pcm: Uint8Array };
  readonly phonemes?: string;
  readonly error?: string;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<EspeakRequest>;

/**
 * The one thread that owns libespeak-ng in this process. The library keeps global state, so
 * every EspeakEngine shares it; it stops when the last engine closes. If it dies, pending
 * requests fail and the next request starts a new one.
 */
class EspeakThread {
  users = 0;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  call(request: Request): Promise<EspeakAnswer> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./espeak.worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (answer: EspeakAnswer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      if (answer.error !== undefined) pending.reject(new Error(`eSpeak NG: ${answer.error}`));
      else pending.resolve(answer);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`eSpeak NG worker stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

const thread = new EspeakThread();

/**
 * eSpeak NG kept warm in its worker thread (libespeak-ng loaded once, in-process through
 * koffi). Output is 22050 Hz, the engine's only rate; the TTS service resamples.
 */
export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak';
  private closed = false;

  constructor() {
    thread.users++;
  }

  async synthesize(text: string, options: SynthesisOptions): Promise<SynthesisResult> {
    if (options.signal?.aborted) throw abortError(options.signal);
    const answer = await thread.call({
      op: 'synthesize',
      text,
      voice: options.engineVoice,
      rate: options.rate,
    });
    if (options.signal?.aborted) throw abortError(options.signal);
    const result = answer.result;
    if (!result) throw new Error('eSpeak NG returned no audio');
    const pcm = Buffer.from(result.pcm.buffer, result.pcm.byteOffset, result.pcm.byteLength);
    return {
      pcm,
      sampleRate: result.sampleRate,
      durationMs: Math.round((pcm.length / 2 / result.sampleRate) * 1000),
      phonemes: result.phonemes,
      words: result.words,
    };
  }

  /** The phoneme string (espeak-ng -x) for text, through the same front-end as synthesis. */
  async phonemize(text: string, engineVoice: string): Promise<string> {
    const answer = await thread.call({ op: 'phonemize', text, voice: engineVoice });
    return answer.phonemes ?? '';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    thread.users--;
    if (thread.users === 0) await thread.terminate();
  }
}
