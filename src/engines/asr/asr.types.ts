import type { PhonemeTiming, WordTiming } from '../tts/tts.types.js';

export interface RecognitionResult {
  readonly text: string;
  readonly words: readonly WordTiming[];
}

export interface AlignmentResult extends RecognitionResult {
  readonly phonemes: readonly PhonemeTiming[];
}

/** A recognition in progress: audio goes in as it arrives, the result comes out at the end. */
export interface RecognitionStream {
  /** 16-bit little-endian mono PCM at the engine's sample rate. */
  write(pcm: Buffer): void;
  /** The best guess so far (for partial results). */
  partial(): Promise<string>;
  finish(): Promise<RecognitionResult>;
  abort(): void;
}

export interface AsrEngine {
  readonly name: string;
  readonly sampleRate: number;
  /** Canonical language tags (en-US) this engine recognises. */
  readonly languages: readonly string[];
  start(language: string): RecognitionStream;
  /** Times each word and phoneme of a known transcript in recorded speech. */
  align(pcm: Buffer, transcript: string, language: string): Promise<AlignmentResult>;
  close(): Promise<void>;
}
