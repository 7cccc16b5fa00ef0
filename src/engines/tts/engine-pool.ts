import type { SynthesisOptions, SynthesisResult, TtsEngine } from './tts.types.js';

/**
 * Several copies of one engine (each its own warm process), a request going to the least busy:
 * concurrent sockets and tasks no longer wait in one queue when there are cores to spare.
 */
export class EnginePool implements TtsEngine {
  readonly name: string;
  private readonly busy: number[];

  constructor(private readonly engines: readonly TtsEngine[]) {
    if (engines.length === 0) throw new Error('an engine pool needs at least one engine');
    this.name = engines[0]?.name ?? 'pool';
    this.busy = engines.map(() => 0);
  }

  async synthesize(text: string, options: SynthesisOptions): Promise<SynthesisResult> {
    let index = 0;
    this.busy.forEach((count, candidate) => {
      if (count < (this.busy[index] ?? 0)) index = candidate;
    });
    const engine = this.engines[index] as TtsEngine;
    this.busy[index] = (this.busy[index] ?? 0) + 1;
    try {
      return await engine.synthesize(text, options);
    } finally {
      this.busy[index] = (this.busy[index] ?? 1) - 1;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((engine) => engine.close()));
  }
}
