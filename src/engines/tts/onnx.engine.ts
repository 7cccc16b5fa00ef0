/**
 * The neural voice slot: voices whose weights the operator supplies as ONNX models, run on the
 * CPU by ONNX Runtime (onnxruntime-node, from npm; nothing is fetched). Each voice is a directory
 * (see src/voice/onnx-voices.ts) with `model.onnx` and `voice.json`, the contract between the
 * model and us: which text symbols the model takes as input ids, the input and output names, the
 * sample rate, and the samples each symbol becomes (an output of [symbols, frameSamples]) or
 * none (an output that is the waveform, its time spread evenly over the symbols).
 */
import * as ort from 'onnxruntime-node';
import { resample } from '../../media/pcm.js';
import type {
  PhonemeTiming,
  SynthesisOptions,
  SynthesisResult,
  TtsEngine,
  WordTiming,
} from './tts.types.js';

export interface OnnxVoiceSpec {
  /** The model file. */
  readonly model: string;
  readonly sampleRate: number;
  /** Text symbol (one character of lower-cased text) → input id. */
  readonly symbols: Readonly<Record<string, number>>;
  readonly input: string;
  readonly output: string;
  /** Samples each symbol becomes; absent: the output is the waveform. */
  readonly frameSamples?: number;
}

/** Float samples in [-1, 1] → 16-bit PCM. */
function toPcm(samples: Float32Array): Buffer {
  const pcm = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i] ?? 0));
    pcm.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  return pcm;
}

export class OnnxEngine implements TtsEngine {
  readonly name = 'onnx';
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  /** `voices`: engine voice name → its spec. */
  constructor(private readonly voices: () => ReadonlyMap<string, OnnxVoiceSpec>) {}

  private session(name: string, spec: OnnxVoiceSpec): Promise<ort.InferenceSession> {
    let session = this.sessions.get(name);
    if (!session) {
      session = ort.InferenceSession.create(spec.model, {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        logSeverityLevel: 3,
      });
      session.catch(() => this.sessions.delete(name));
      this.sessions.set(name, session);
    }
    return session;
  }

  async synthesize(text: string, options: SynthesisOptions): Promise<SynthesisResult> {
    const spec = this.voices().get(options.engineVoice);
    if (!spec) throw new Error(`no ONNX voice ${options.engineVoice}`);
    const symbols = [...text.toLowerCase()].filter((symbol) => symbol in spec.symbols);
    const ids = BigInt64Array.from(symbols.map((symbol) => BigInt(spec.symbols[symbol] ?? 0)));
    const session = await this.session(options.engineVoice, spec);
    options.signal?.throwIfAborted();
    const outputs = await session.run({ [spec.input]: new ort.Tensor('int64', ids, [ids.length]) });
    const output = outputs[spec.output];
    if (!output || !(output.data instanceof Float32Array)) {
      throw new Error(`the model gave no float output named ${spec.output}`);
    }
    const samples = output.data;
    // Timing: each symbol's frame, or the waveform shared evenly among the symbols.
    const perSymbol = spec.frameSamples ?? samples.length / Math.max(1, symbols.length);
    const msOf = (sample: number) => (sample * 1000) / spec.sampleRate / options.rate;
    const phonemes: PhonemeTiming[] = symbols.map((symbol, k) => ({
      symbol,
      beginMs: Math.round(msOf(k * perSymbol)),
      endMs: Math.round(msOf((k + 1) * perSymbol)),
    }));
    const words: WordTiming[] = [];
    let word = '';
    let begin = 0;
    symbols.forEach((symbol, k) => {
      if (symbol.trim() === '') {
        if (word)
          words.push({ text: word, beginMs: begin, endMs: phonemes[k - 1]?.endMs ?? begin });
        word = '';
        return;
      }
      if (!word) begin = phonemes[k]?.beginMs ?? 0;
      word += symbol;
    });
    if (word) words.push({ text: word, beginMs: begin, endMs: phonemes.at(-1)?.endMs ?? begin });
    // The rate by resampling (a neural voice's own duration control is the model's business).
    const pcm = resample(toPcm(samples), spec.sampleRate * options.rate, spec.sampleRate);
    return {
      pcm,
      sampleRate: spec.sampleRate,
      durationMs: (pcm.length / 2 / spec.sampleRate) * 1000,
      phonemes,
      words,
    };
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) await (await session.catch(() => undefined))?.release();
  }
}
