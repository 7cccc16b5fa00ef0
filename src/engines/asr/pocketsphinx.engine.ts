import { abortError } from '../../media/process.runner.js';
import { WorkerClient, type WithoutId, type WorkerAnswer } from '../worker-client.js';
import type { AlignedWord, TimedToken } from './pocketsphinx.lib.js';
import type { SphinxRequest } from './pocketsphinx.worker.js';
import type {
  AlignmentResult,
  AsrEngine,
  RecognitionResult,
  RecognitionStream,
} from './asr.types.js';

interface Answer extends WorkerAnswer {
  readonly text?: string;
  readonly words?: TimedToken[];
  readonly aligned?: AlignedWord[];
}

/**
 * PocketSphinx with the US English model, in its own worker thread (libpocketsphinx loaded
 * in-process through koffi). Audio is decoded as it arrives, so the result is ready right
 * after the end; the worker keeps loaded decoders for the next recognition.
 */
export class PocketSphinxEngine implements AsrEngine {
  readonly name = 'pocketsphinx';
  readonly sampleRate = 16000;
  readonly languages = ['en-US'] as const;
  private readonly worker = new WorkerClient<WithoutId<SphinxRequest>, Answer>(
    new URL('./pocketsphinx.worker.js', import.meta.url),
    'PocketSphinx',
  );
  private nextStream = 1;

  start(): RecognitionStream {
    const stream = this.nextStream++;
    let open = true;
    this.worker.post({ op: 'start', stream });
    return {
      write: (pcm) => {
        if (!open) return;
        // A copy the worker owns: the caller may reuse its buffer.
        const copy = new Uint8Array(pcm);
        this.worker.post({ op: 'write', stream, pcm: copy }, [copy.buffer]);
      },
      partial: async () =>
        open ? ((await this.worker.call({ op: 'partial', stream })).text ?? '') : '',
      finish: async (): Promise<RecognitionResult> => {
        if (!open) throw abortError(undefined);
        open = false;
        const answer = await this.worker.call({ op: 'finish', stream });
        return { text: answer.text ?? '', words: answer.words ?? [] };
      },
      abort: () => {
        if (!open) return;
        open = false;
        this.worker.post({ op: 'abort', stream });
      },
    };
  }

  async align(pcm: Buffer, transcript: string): Promise<AlignmentResult> {
    const copy = new Uint8Array(pcm);
    const answer = await this.worker.call({ op: 'align', pcm: copy, transcript }, [copy.buffer]);
    const words = answer.aligned ?? [];
    return {
      text: words.map((word) => word.text).join(' '),
      words: words.map(({ text, beginMs, endMs }) => ({ text, beginMs, endMs })),
      phonemes: words.flatMap((word) => word.phonemes),
    };
  }

  close(): Promise<void> {
    return this.worker.terminate();
  }
}
