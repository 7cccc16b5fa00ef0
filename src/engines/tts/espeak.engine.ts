import { durationMs } from '../../media/pcm.js';
import { abortError } from '../../media/process.runner.js';
import { WorkerClient, type WithoutId, type WorkerAnswer } from '../worker-client.js';
import type { EspeakOutput } from './espeak.synth.js';
import type { EspeakRequest } from './espeak.worker.js';
import type { SynthesisOptions, SynthesisResult, TtsEngine } from './tts.types.js';

interface EspeakAnswer extends WorkerAnswer {
  readonly result?: Omit<EspeakOutput, 'pcm'> & { pcm: Uint8Array };
  readonly phonemes?: string;
}

/**
 * The one thread that owns libespeak-ng in this process. The library keeps global state, so
 * every EspeakEngine shares it; it stops when the last engine closes.
 */
const thread = new WorkerClient<WithoutId<EspeakRequest>, EspeakAnswer>(
  new URL('./espeak.worker.js', import.meta.url),
  'eSpeak NG',
);
let users = 0;

/**
 * eSpeak NG kept warm in its worker thread (libespeak-ng loaded once, in-process through
 * koffi). Output is 22050 Hz, the engine's only rate; the TTS service resamples.
 */
export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak';
  private closed = false;

  constructor() {
    users++;
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
      durationMs: durationMs(pcm, result.sampleRate),
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
    users--;
    if (users === 0) await thread.terminate();
  }
}
