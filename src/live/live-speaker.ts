/**
 * A live session's voice: utterances (a scene's text or recording, pushed text) spoken in turn,
 * each made piece by piece (a first phrase, then sentence by sentence) and placed on the
 * timeline as soon as it is made, so the first words are on their way before the rest is
 * synthesised. An interrupt cuts what is being said at the first frame not yet drawn, drops what
 * waits, and speaks the new text next.
 */
import type { PhonemeAlphabet } from '../avatar/visemes.js';
import { samplesOf } from '../media/pcm.js';
import { isAbortError } from '../media/process.runner.js';
import type { TtsService } from '../voice/tts.service.js';
import { ttsRequest } from '../video/video.create.js';
import type { TtsSpeech } from '../video/video-param.js';
import { FrameLevels, loudnessTrack, visemeTrack, type MouthFrame } from '../video/viseme-track.js';
import type { SpeechTimeline } from '../video/speech-timeline.js';

/** Something to say: text for TTS, or sound already decoded at the session's rate. */
export type Utterance = {
  readonly id: number;
  /** The scene whose look it is spoken in. */
  readonly scene: number;
  /** Where it came from, for the session's status: a scene of the script, or a push. */
  readonly origin: 'script' | 'push';
} & (
  | { readonly kind: 'tts'; readonly speech: TtsSpeech; readonly appId: string }
  | { readonly kind: 'pcm'; readonly pcm: () => Promise<Int16Array> }
);

/** An utterance before it is numbered (each member of the union without its id). */
export type UtteranceRequest = Utterance extends infer U
  ? U extends Utterance
    ? Omit<U, 'id'>
    : never
  : never;

export interface SpeakerEvents {
  /** An utterance's every piece is placed (or it failed, or was cut: `error`/`cut` say which). */
  onDone?(utterance: Utterance, outcome: 'spoken' | 'cut' | 'failed', error?: unknown): void;
  /** Its first piece reached the timeline, starting at `frame`. */
  onStart?(utterance: Utterance, frame: number): void;
}

export class LiveSpeaker {
  private readonly queue: Utterance[] = [];
  private current: { utterance: Utterance; abort: AbortController } | undefined;
  /** Each run of the queue; an interrupt starts a new one at once rather than await the old. */
  private generation = 0;
  private running: Promise<void> | undefined;
  private readonly runs = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly tts: TtsService,
    private readonly timeline: SpeechTimeline,
    /** The first frame not yet drawn: nothing is placed before it. */
    private readonly cursor: () => number,
    private readonly events: SpeakerEvents = {},
  ) {}

  /** Nothing being made and nothing waiting. */
  get idle(): boolean {
    return !this.current && this.queue.length === 0;
  }

  /** Says `utterance` after everything already asked. */
  say(utterance: Utterance): void {
    this.queue.push(utterance);
    this.pump();
  }

  /**
   * Stops now: what is being said fades and its mouth eases to rest, what waits is dropped (each
   * reported cut); then `next`, if given, is said.
   */
  interrupt(next?: Utterance): void {
    const dropped = this.queue.splice(0);
    for (const utterance of dropped) this.events.onDone?.(utterance, 'cut');
    this.timeline.cut(this.cursor());
    const current = this.current;
    if (current) {
      current.abort.abort();
      this.current = undefined;
      this.events.onDone?.(current.utterance, 'cut');
    }
    // The cut run may still be waiting on its engine: the next one does not wait for it.
    this.generation++;
    this.running = undefined;
    if (next) this.say(next);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.current?.abort.abort();
    await Promise.all(this.runs);
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const generation = this.generation;
    const run = this.run(generation).finally(() => {
      this.runs.delete(run);
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    this.runs.add(run);
  }

  private async run(generation: number): Promise<void> {
    const live = () => !this.closed && generation === this.generation;
    for (let next = this.queue.shift(); next; next = live() ? this.queue.shift() : undefined) {
      const abort = new AbortController();
      const job = { utterance: next, abort };
      this.current = job;
      try {
        await this.speak(next, abort.signal);
        if (this.current === job) this.events.onDone?.(next, 'spoken');
      } catch (error) {
        // A cut utterance was reported when it was cut.
        if (!abort.signal.aborted || !isAbortError(error)) {
          this.events.onDone?.(next, 'failed', error);
        }
      } finally {
        if (this.current === job) this.current = undefined;
      }
    }
  }

  private async speak(utterance: Utterance, signal: AbortSignal): Promise<void> {
    const { timeline } = this;
    let first = true;
    const place = (pcm: Int16Array, mouths: (frames: number) => readonly MouthFrame[]) => {
      signal.throwIfAborted();
      const placed = timeline.place(
        { pcm, mouths, scene: utterance.scene, utterance: utterance.id },
        this.cursor(),
      );
      if (first) this.events.onStart?.(utterance, placed.startFrame);
      first = false;
    };
    if (utterance.kind === 'pcm') {
      const pcm = await utterance.pcm();
      const levels = new FrameLevels(timeline.sampleRate, timeline.fps);
      levels.push(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      place(pcm, (frames) => loudnessTrack(levels.loudness(frames)));
      return;
    }
    const plan = this.tts.plan({
      ...ttsRequest(utterance.speech),
      ...(utterance.speech.chosen ? { voice: utterance.speech.chosen.voice } : {}),
      sampleRate: timeline.sampleRate,
      appId: utterance.appId,
    });
    const alphabet: PhonemeAlphabet = plan.voice.engine === 'espeak' ? 'espeak' : 'arpabet';
    for await (const piece of this.tts.stream(plan, signal)) {
      const levels = new FrameLevels(timeline.sampleRate, timeline.fps);
      levels.push(piece.pcm);
      // The piece's sounds timed from its own start, as it is placed on a frame of its own.
      const phonemes = piece.phonemes.map((p) => ({
        ...p,
        beginMs: p.beginMs - piece.beginMs,
        endMs: p.endMs - piece.beginMs,
      }));
      place(samplesOf(piece.pcm), (frames) =>
        visemeTrack(phonemes, alphabet, frames, timeline.fps, levels.loudness(frames)),
      );
    }
  }
}
