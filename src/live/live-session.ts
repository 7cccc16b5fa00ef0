/**
 * One running live session: the script's scenes and pushed text spoken on one timeline, each frame
 * drawn (the avatar's own footage with its mouth) and sent to the one encoder at its deadline with
 * exactly its share of sound; the encoder fans out to HLS, WebRTC and RTMP.
 *
 * Where the picture is composed over the look's layers depends on the script:
 * - one look (the usual script): the encoder composes it itself, so each frame is drawn at its
 *   deadline and only the avatar's small frames cross a pipe (measured: a third less CPU);
 * - several looks: a compositor per look (compositor.ts) turns frames round, so each is drawn a few
 *   frames ahead, and one not composed in time repeats the previous picture (counted), never
 *   shifting time. One encoder cannot change its graph while it runs.
 */
import { startFfmpeg, type RunningProcess } from '../media/process.runner.js';
import type { FrameSource } from '../video/frame-source.js';
import type { CompositionSpec } from '../video/render.args.js';
import type { TtsService } from '../voice/tts.service.js';
import { Compositor } from './compositor.js';
import { FrameClock } from './live-clock.js';
import { buildLiveEncodeArgs, type LiveEncodeSpec } from './live-encode.args.js';
import { LiveSpeaker, type Utterance, type UtteranceRequest } from './live-speaker.js';
import { SpeechTimeline } from '../video/speech-timeline.js';

/** What a scene looks like: the avatar (its frame source) over its layers. */
export interface Look {
  /** Scenes with the same key share one compositor. */
  readonly key: string;
  readonly source: FrameSource;
  readonly composition: CompositionSpec;
}

export interface LiveSessionSpec {
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  readonly sampleRate: number;
  /** The look of each scene, by scene index. */
  readonly looks: readonly Look[];
  /** Loop the script, or end when its last scene has been said. */
  readonly recycle: boolean;
  /** The utterance that speaks scene `scene`. */
  readonly sceneUtterance: (scene: number, id: number) => Utterance;
  readonly encode: Omit<LiveEncodeSpec, 'width' | 'height' | 'fps' | 'sampleRate'>;
  /** Where the encoder's MPEG-TS goes (the RTMP relay), when it makes one. */
  readonly onTransport?: (chunk: Buffer) => void;
  /**
   * Who composes the picture: the encoder (one look only) or a compositor per look. By default
   * the encoder when every scene has the same look.
   */
  readonly composeIn?: 'encoder' | 'compositor';
}

export interface LiveEvents {
  /** The first frame went out: the stream is up. */
  onLive?(): void;
  /** The script ended (not recycled) and everything said: the session should close. */
  onScriptEnd?(): void;
  /** Something the session cannot go on without failed (the encoder, a compositor). */
  onFailure?(error: Error): void;
  onUtterance?(
    utterance: Utterance,
    outcome: 'started' | 'spoken' | 'cut' | 'failed',
    error?: unknown,
  ): void;
}

/** Frames drawn ahead of the one being sent: a compositor's time to turn a frame round. */
export const drawAhead = 3;
/**
 * With compositors, new speech (and a cut) may start this many frames after the frame being sent:
 * frames already drawn from there are drawn again, so an interrupt does not wait for what was
 * drawn ahead. When the encoder composes, each frame is drawn at its deadline: the next frame.
 */
export const redrawMargin = 2;
/**
 * When the encoder composes: a frame handed over while more than this many earlier ones still
 * wait in our pipe (ffmpeg's own input queue full behind them) leaves late, and is counted.
 */
const encoderSlackFrames = 1;
/** The next scene is asked for when less than this much speech is left to send. */
const sceneLeadMs = 1500;

export interface LiveCounters {
  readonly sent: number;
  /**
   * Frames that left late: their tick ran over a frame late (the clock could not keep up), or the
   * encoder had not yet taken the frames before them.
   */
  readonly late: number;
  /** Frames sent with the previous picture because theirs was not composed in time. */
  readonly repeated: number;
  /** Pictures composed too late to be sent. */
  readonly dropped: number;
  readonly worstLateMs: number;
}

export class LiveSession {
  readonly timeline: SpeechTimeline;
  readonly speaker: LiveSpeaker;
  private readonly clock: FrameClock;
  private encoder: RunningProcess | undefined;
  private readonly encoderAbort = new AbortController();
  /** The encoder composes the picture (one look); else a compositor per look does. */
  private readonly composedByEncoder: boolean;
  private readonly compositors = new Map<string, Compositor>();
  /** The look of the scene asked for last, whose compositor is kept while it warms up. */
  private nextLookKey: string | undefined;
  private readonly ready = new Map<number, Buffer>();
  private lastPicture: Buffer | undefined;
  private drawn = 0;
  /** Each drawing of a frame is numbered: a frame drawn again has its earlier picture ignored. */
  private draws = 0;
  private readonly frameOfDraw = new Map<number, number>();
  private readonly latestDraw = new Map<number, number>();
  private sent = 0;
  private repeated = 0;
  private dropped = 0;
  /** Frames handed to an encoder still behind with earlier ones. */
  private behind = 0;
  private encoderCaughtUp = false;
  private nextScene = 0;
  private nextUtterance = 1;
  private scriptDone = false;
  private ended = false;
  private readonly audio: Int16Array;
  /** The scene the stream is in now (of the frame last sent). */
  scene = 0;

  constructor(
    private readonly spec: LiveSessionSpec,
    tts: TtsService,
    private readonly events: LiveEvents = {},
  ) {
    this.clock = new FrameClock(spec.fps);
    this.timeline = new SpeechTimeline(spec.sampleRate, spec.fps);
    this.audio = new Int16Array(Math.ceil(spec.sampleRate / spec.fps) + 1);
    const oneLook = new Set(spec.looks.map((look) => look.key)).size === 1;
    this.composedByEncoder = (spec.composeIn ?? (oneLook ? 'encoder' : 'compositor')) === 'encoder';
    if (this.composedByEncoder && !oneLook) throw new Error('the encoder composes one look only');
    // What the speaker changes on the timeline from a frame already drawn is drawn again.
    this.timeline.onChange = (frame) => this.redrawFrom(frame);
    const margin = this.composedByEncoder ? 0 : redrawMargin;
    this.speaker = new LiveSpeaker(tts, this.timeline, () => this.sent + margin, {
      onStart: (utterance) => events.onUtterance?.(utterance, 'started'),
      onDone: (utterance, outcome, error) => events.onUtterance?.(utterance, outcome, error),
    });
  }

  counters(): LiveCounters {
    return {
      sent: this.sent,
      late: this.clock.late + this.behind,
      repeated: this.repeated,
      dropped: this.dropped,
      worstLateMs: Math.round(this.clock.worstLateMs),
    };
  }

  /** Seconds of stream sent. */
  get uptimeMs(): number {
    return (this.sent * 1000) / this.spec.fps;
  }

  /**
   * Starts the encoder, asks for the first scene, draws the first frames and, once the first is
   * composed (by a compositor), starts the clock. Resolves when the first frame has gone out.
   */
  async start(): Promise<void> {
    const { spec } = this;
    const encoder = startFfmpeg(
      buildLiveEncodeArgs({
        ...spec.encode,
        width: spec.width,
        height: spec.height,
        fps: spec.fps,
        sampleRate: spec.sampleRate,
        ...(this.composedByEncoder ? { composition: spec.looks[0]?.composition } : {}),
      }),
      { signal: this.encoderAbort.signal, extraInputs: 1 },
    );
    this.encoder = encoder;
    encoder.done.catch((error: Error) => {
      if (!this.ended) this.fail(error);
    });
    if (spec.onTransport) encoder.stdout.on('data', spec.onTransport);
    else encoder.stdout.resume();
    this.direct();
    if (!this.composedByEncoder) {
      this.drawUpTo(drawAhead);
      await this.firstPicture();
    }
    this.clock.start((n) => this.tick(n)).catch((error: Error) => this.fail(error));
  }

  /** Says `utterance` after what is being said, or (interrupt) now, cutting what is said. */
  push(utterance: UtteranceRequest, interrupt: boolean): Utterance {
    const full: Utterance = { ...utterance, id: this.nextUtterance++ };
    if (interrupt) this.speaker.interrupt(full);
    else this.speaker.say(full);
    return full;
  }

  /** Stops speaking now, mouth easing to rest; the script goes on with its next scene. */
  stopSpeaking(): void {
    this.speaker.interrupt();
  }

  /** Ends the stream: the clock stops, the encoder finishes its files, every process ends. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.clock.stop();
    await this.speaker.close();
    await Promise.all([...this.compositors.values()].map((compositor) => compositor.close()));
    this.compositors.clear();
    this.ready.clear();
    const encoder = this.encoder;
    if (encoder) {
      encoder.stdin.end();
      for (const input of encoder.inputs) input.end();
      const finished = encoder.done.then(
        () => true,
        () => true,
      );
      const timer = new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), 3000).unref(),
      );
      if (!(await Promise.race([finished, timer]))) this.encoderAbort.abort();
      await encoder.done.catch(() => undefined);
    }
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.events.onFailure?.(error);
  }

  private async firstPicture(): Promise<void> {
    for (let waited = 0; !this.ready.has(0); waited += 10) {
      const failed = [...this.compositors.values()].find((compositor) => compositor.failed);
      if (failed?.failed) throw failed.failed;
      if (this.ended) throw new Error('the session was closed before it started');
      if (waited > 20_000) throw new Error('the first frame was not composed within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Frame n: its sound, then its picture (or the last one, counted), to the encoder. */
  private tick(n: number): void {
    const encoder = this.encoder;
    if (!encoder || this.ended) return;
    // Sound first: ffmpeg reads its inputs in turn, and must never wait on one held back.
    const audio = this.timeline.audioInto(n, this.audio.subarray(0, this.timeline.samplesIn(n)));
    encoder.inputs[0]?.write(
      Buffer.from(audio.buffer.slice(audio.byteOffset, audio.byteOffset + audio.byteLength)),
    );
    if (this.composedByEncoder) this.sendAvatar(n, encoder);
    else this.sendComposed(n, encoder);
    this.scene = this.timeline.latestBy(n)?.scene ?? this.scene;
    this.sent = n + 1;
    if (n === 0) this.events.onLive?.();
    this.timeline.forget(n - 1);
    // A producer behind the clock skips what can no longer be sent in time.
    if (this.drawn <= n) this.drawn = n + 1;
    if (!this.composedByEncoder) this.drawUpTo(n + 1 + drawAhead);
    this.direct();
  }

  /** Frame n drawn now and handed to the encoder, which composes it. */
  private sendAvatar(n: number, encoder: RunningProcess): void {
    const look = this.lookOf(n);
    if (!look) return;
    const waiting = encoder.stdin.writableLength > encoderSlackFrames * look.source.frameBytes;
    // Frames wait while ffmpeg starts; once it has caught up, a frame that waits is late.
    if (!waiting) this.encoderCaughtUp = true;
    else if (this.encoderCaughtUp) this.behind++;
    // The pipe keeps a buffer until it is written; then it is drawn into again (no garbage).
    const buffer = this.spare.pop() ?? Buffer.allocUnsafe(look.source.frameBytes);
    const rgb = look.source.render(n, this.timeline.mouthAt(n), buffer);
    if (rgb !== buffer) {
      this.spare.push(buffer);
      encoder.stdin.write(Buffer.from(rgb));
    } else encoder.stdin.write(buffer, () => this.spare.push(buffer));
  }

  /** Frame n's composed picture, or the last one (counted) when it has not come back in time. */
  private sendComposed(n: number, encoder: RunningProcess): void {
    let picture = this.ready.get(n);
    if (picture) this.lastPicture = picture;
    else {
      this.repeated++;
      picture = this.lastPicture;
    }
    for (const frame of this.ready.keys()) {
      if (frame > n) continue;
      if (frame < n) this.dropped++;
      this.ready.delete(frame);
    }
    if (picture) encoder.stdin.write(picture);
    this.latestDraw.delete(n - 2 * this.spec.fps);
  }

  /** The look of the scene frame m belongs to. */
  private lookOf(m: number): Look | undefined {
    const scene = this.timeline.latestBy(m)?.scene ?? this.scene;
    return this.spec.looks[scene] ?? this.spec.looks[0];
  }

  /** Frames from `frame` on are drawn again (their new pictures replace the old as they come). */
  private redrawFrom(frame: number): void {
    if (frame >= this.drawn || this.ended || this.composedByEncoder) return;
    this.drawn = Math.max(frame, this.sent);
    this.drawUpTo(this.sent + 1 + drawAhead);
  }

  /** Draws frames up to (not including) `end`, each through its look's compositor. */
  private drawUpTo(end: number): void {
    while (this.drawn < end) {
      const m = this.drawn++;
      const look = this.lookOf(m);
      if (!look) return;
      const compositor = this.compositorFor(look);
      const rgb = look.source.render(m, this.timeline.mouthAt(m), this.rgb(look));
      const draw = ++this.draws;
      this.frameOfDraw.set(draw, m);
      this.latestDraw.set(m, draw);
      compositor.write(draw, rgb);
    }
  }

  private readonly rgbBuffers = new Map<string, Uint8Array>();
  /** Frames the encoder's pipe has written, to draw the next ones into (the encoder's one look). */
  private readonly spare: Buffer[] = [];

  private rgb(look: Look): Uint8Array {
    let buffer = this.rgbBuffers.get(look.key);
    if (!buffer) {
      buffer = new Uint8Array(look.source.frameBytes);
      this.rgbBuffers.set(look.key, buffer);
    }
    return buffer;
  }

  /**
   * A composed picture, ready for its frame; one drawn again since stands in only until the new
   * picture comes (it comes first), so a redraw late for its deadline is never a repeated frame.
   */
  private composed(draw: number, yuv: Buffer): void {
    const frame = this.frameOfDraw.get(draw);
    this.frameOfDraw.delete(draw);
    if (frame === undefined) return;
    const latest = this.latestDraw.get(frame) === draw;
    if (frame < this.sent) {
      if (latest) this.dropped++;
    } else if (latest || !this.ready.has(frame)) this.ready.set(frame, yuv);
  }

  /**
   * The look's compositor, started when first needed (or warmed by direct()); others with nothing
   * inside are ended, but for the next scene's, warming up.
   */
  private compositorFor(look: Look): Compositor {
    const compositor = this.startCompositor(look);
    for (const [key, other] of this.compositors) {
      if (key !== look.key && key !== this.nextLookKey && other.inFlight === 0) {
        this.compositors.delete(key);
        void other.close();
      }
    }
    return compositor;
  }

  private startCompositor(look: Look): Compositor {
    let compositor = this.compositors.get(look.key);
    if (!compositor) {
      compositor = new Compositor(
        look.composition,
        (draw, yuv) => this.composed(draw, yuv),
        (error) => this.fail(error),
      );
      this.compositors.set(look.key, compositor);
    }
    return compositor;
  }

  /** The script: the next scene is asked for when little speech is left; the end when all is said. */
  private direct(): void {
    if (this.scriptDone || this.ended || !this.speaker.idle) return;
    const leadFrames = Math.ceil((sceneLeadMs * this.spec.fps) / 1000);
    if (this.timeline.endFrame - this.drawn > leadFrames) return;
    if (this.nextScene >= this.spec.looks.length) {
      if (!this.spec.recycle) {
        if (this.timeline.endFrame <= this.sent) {
          this.scriptDone = true;
          this.events.onScriptEnd?.();
        }
        return;
      }
      this.nextScene = 0;
    }
    const scene = this.nextScene++;
    this.speaker.say(this.spec.sceneUtterance(scene, this.nextUtterance++));
    // A scene in another look: its compositor starts now, so its first picture is ready in time.
    const look = this.spec.looks[scene];
    if (!this.composedByEncoder && look) {
      this.nextLookKey = look.key;
      this.startCompositor(look);
    }
  }
}
