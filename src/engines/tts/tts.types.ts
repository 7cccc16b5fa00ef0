/** One phoneme of synthesised speech, in the engine's own symbol set. */
export interface PhonemeTiming {
  readonly symbol: string;
  readonly beginMs: number;
  readonly endMs: number;
}

export interface WordTiming {
  readonly text: string;
  readonly beginMs: number;
  readonly endMs: number;
}

/** Speech for one piece of text: 16-bit mono PCM and the timing of everything in it. */
export interface SynthesisResult {
  readonly pcm: Buffer;
  /** The rate asked for where the engine can produce it, else its own. */
  readonly sampleRate: number;
  readonly durationMs: number;
  readonly phonemes: readonly PhonemeTiming[];
  readonly words: readonly WordTiming[];
}

export interface SynthesisOptions {
  /** The engine's own voice name (for example cmu_us_slt_arctic_hts, or cmn-latn-pinyin). */
  readonly engineVoice: string;
  readonly sampleRate: number;
  /** Speaking rate: 1 = normal, 2 = twice as fast. Pitch and volume are applied afterwards. */
  readonly rate: number;
  readonly signal?: AbortSignal;
}

/** A text-to-speech engine, kept warm by its implementation. */
export interface TtsEngine {
  readonly name: string;
  synthesize(text: string, options: SynthesisOptions): Promise<SynthesisResult>;
  close(): Promise<void>;
}
