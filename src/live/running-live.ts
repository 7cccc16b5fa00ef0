/**
 * A live session from start to end: its looks opened, its outputs up (HLS files, WebRTC, an RTMP
 * push), the stream running, pushes turned into utterances (checked at once), and the watch that
 * ends it: the script's end, its longest time, or nobody watching and nothing pushed for the idle
 * time. Closing it ends every process and socket and removes its files.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ModelStore } from '../avatar/model-store.js';
import { AppError } from '../errors/app-error.js';
import type { FileService, MediaRef } from '../files/file.service.js';
import type { TtsService } from '../voice/tts.service.js';
import { ttsRequest } from '../video/video.create.js';
import type { TtsSpeech } from '../video/video-param.js';
import type { LiveState } from './live.repository.js';
import { decodeToPcm, openLooks, sceneUtterance, type OpenedLooks } from './live-looks.js';
import { liveSlots, type LiveScript } from './live-script.js';
import { LiveSession } from './live-session.js';
import type { UtteranceRequest } from './live-speaker.js';

/**
 * The session's sound: 16 kHz mono, what the TTS voices speak natively (the outputs are 48 kHz,
 * resampled by the encoder). At 48 kHz three sessions on 2 cores no longer kept pace (NOTES.md).
 */
export const liveSampleRate = 16000;
/** A viewer of the HLS stream counts as watching this long after its last fetch. */
const hlsViewerMs = 10_000;

export interface PushRequest {
  readonly text?: string;
  readonly ssml?: boolean;
  /** tts_config for this push; the current scene's when absent. */
  readonly voice?: string;
  readonly language?: string;
  readonly speedRatio?: number;
  readonly audio?: MediaRef;
  readonly interrupt: boolean;
}

export interface LiveOutputsSpec {
  readonly workDir: string;
  readonly preset: string;
  readonly videoKbps: number;
  readonly pushUrl?: string;
}

/** A WebRTC fan-out of the encoder's RTP (webrtc.output.ts). */
export interface WebRtcFanout {
  readonly ports: { readonly video: number; readonly audio: number };
  readonly viewerCount: number;
  addViewer(offerSdp: string): Promise<{ id: string; answerSdp: string }>;
  removeViewer(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** An RTMP push fed with the encoder's MPEG-TS (rtmp-relay.ts). */
export interface RtmpPush {
  readonly state: string;
  write(chunk: Buffer): void;
  describe(): object;
  close(): Promise<void>;
}

export interface LiveOutputFactories {
  openWebRtc(): Promise<WebRtcFanout>;
  startRtmp(url: string, log: (state: string, detail?: string) => void): RtmpPush;
  /** The content type of an HLS file name that may be served, else undefined. */
  hlsType(name: string): string | undefined;
}

export interface RunningDeps {
  readonly tts: TtsService;
  readonly files: FileService;
  readonly models: ModelStore;
  readonly maxSeconds: number;
  readonly outputs: LiveOutputFactories;
}

export class RunningLive {
  state: LiveState = 'initialising';
  private readonly abort = new AbortController();
  private looks: OpenedLooks | undefined;
  private session: LiveSession | undefined;
  private webrtc: WebRtcFanout | undefined;
  private rtmp: RtmpPush | undefined;
  private lastActivity = Date.now();
  private lastHlsFetch = 0;
  private watch: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly identity: {
      readonly id: string;
      readonly appId: string;
      readonly script: LiveScript;
    },
    private readonly spec: LiveOutputsSpec,
    private readonly deps: RunningDeps,
    private readonly onState: (state: LiveState, reason?: string) => void,
  ) {}

  get id(): string {
    return this.identity.id;
  }

  get appId(): string {
    return this.identity.appId;
  }

  /** What the session takes of the server's live capacity (live-script.ts liveSlots). */
  get slots(): number {
    return liveSlots(this.identity.script);
  }

  get active(): boolean {
    return this.state === 'initialising' || this.state === 'live';
  }

  /** Starts in the background; a failure to start ends the session as failed, saying why. */
  begin(limits: { readonly maxMs: number; readonly idleMs: number }): void {
    this.start().then(
      () => {
        if (!this.active) return;
        this.setState('live');
        this.watch = setInterval(() => this.check(limits), 1000);
        this.watch.unref();
      },
      (error: unknown) => {
        void this.stop('failed', `it could not start: ${reason(error)}`);
      },
    );
  }

  /** Ends the session (once): the stream stops, every process and socket is closed. */
  stop(state: 'ended' | 'failed', why: string): Promise<void> {
    this.stopping ??= (async () => {
      if (this.watch) clearInterval(this.watch);
      this.abort.abort();
      await this.session?.close();
      await this.rtmp?.close();
      await this.webrtc?.close();
      this.looks?.close();
      await fs.rm(this.spec.workDir, { recursive: true, force: true });
      this.setState(state, why);
    })();
    return this.stopping;
  }

  push(request: PushRequest): { utteranceId: number | null } {
    const session = this.session;
    if (!session || this.state !== 'live')
      throw new AppError('liveNotReady', { sessionId: this.id });
    this.lastActivity = Date.now();
    if (!request.text && !request.audio) {
      session.stopSpeaking();
      return { utteranceId: null };
    }
    const utterance = this.utteranceOf(request, session.scene);
    return { utteranceId: session.push(utterance, request.interrupt).id };
  }

  async addViewer(offer: string) {
    if (!this.webrtc || this.state !== 'live') {
      throw new AppError('liveNotReady', { sessionId: this.id });
    }
    this.lastActivity = Date.now();
    return this.webrtc.addViewer(offer);
  }

  async removeViewer(id: string): Promise<boolean> {
    return (await this.webrtc?.removeViewer(id)) ?? false;
  }

  /** An HLS file that may be served: its path and content type, or undefined. */
  hlsFile(name: string): { file: string; type: string } | undefined {
    const type = this.deps.outputs.hlsType(name);
    if (!type) return undefined;
    this.lastHlsFetch = Date.now();
    return { file: path.join(this.spec.workDir, 'hls', name), type };
  }

  describe() {
    const session = this.session;
    const hlsWatching = Date.now() - this.lastHlsFetch < hlsViewerMs;
    return {
      scene: session?.scene ?? 0,
      uptimeMs: Math.round(session?.uptimeMs ?? 0),
      speaking: session
        ? !session.speaker.idle || session.timeline.busyFrom(session.counters().sent)
        : false,
      frames: session?.counters() ?? { sent: 0, late: 0, repeated: 0, dropped: 0, worstLateMs: 0 },
      viewers: { webrtc: this.webrtc?.viewerCount ?? 0, hls: hlsWatching ? 1 : 0 },
      outputs: {
        hls: true,
        webrtc: Boolean(this.webrtc),
        ...(this.rtmp ? { rtmp: this.rtmp.describe() } : {}),
      },
      startedAt: new Date(this.startedAt).toISOString(),
    };
  }

  private async start(): Promise<void> {
    const { id, appId, script } = this.identity;
    const signal = this.abort.signal;
    const hlsDir = path.join(this.spec.workDir, 'hls');
    await fs.mkdir(hlsDir, { recursive: true });
    this.looks = await openLooks(
      this.deps,
      script,
      { appId, sessionId: id },
      this.spec.workDir,
      signal,
    );
    this.webrtc = await this.deps.outputs.openWebRtc();
    const { pushUrl } = this.spec;
    const rtmp = pushUrl ? this.deps.outputs.startRtmp(pushUrl, () => undefined) : undefined;
    this.rtmp = rtmp;
    const session = new LiveSession(
      {
        fps: script.fps,
        width: this.looks.width,
        height: this.looks.height,
        sampleRate: liveSampleRate,
        looks: this.looks.looks,
        recycle: script.recycle,
        sceneUtterance: sceneUtterance(
          this.deps.files,
          script,
          { appId, sampleRate: liveSampleRate, maxSeconds: this.deps.maxSeconds },
          signal,
        ),
        encode: {
          preset: this.spec.preset,
          videoKbps: scaledKbps(this.spec.videoKbps, this.looks.width, this.looks.height),
          hls: { dir: hlsDir, segmentSeconds: 1 },
          rtp: { videoPort: this.webrtc.ports.video, audioPort: this.webrtc.ports.audio },
          transport: Boolean(rtmp),
        },
        ...(rtmp ? { onTransport: (chunk: Buffer) => rtmp.write(chunk) } : {}),
      },
      this.deps.tts,
      {
        onScriptEnd: () => void this.stop('ended', 'the script ended'),
        onFailure: (error) => void this.stop('failed', reason(error)),
      },
    );
    this.session = session;
    signal.throwIfAborted();
    await session.start();
  }

  private utteranceOf(request: PushRequest, scene: number): UtteranceRequest {
    const { appId, script } = this.identity;
    if (request.audio) {
      const audio = request.audio;
      return {
        scene,
        origin: 'push',
        kind: 'pcm',
        pcm: () =>
          decodeToPcm(
            this.deps.files,
            audio,
            { appId, sampleRate: liveSampleRate, maxSeconds: this.deps.maxSeconds },
            this.abort.signal,
          ),
      };
    }
    const sceneSpeech = script.scenes[scene]?.speech;
    const base: Partial<TtsSpeech> = sceneSpeech?.kind === 'tts' ? sceneSpeech : {};
    const speech: TtsSpeech = {
      kind: 'tts',
      text: request.text ?? '',
      ssml: request.ssml ?? false,
      ...((request.voice ?? base.voice) ? { voice: request.voice ?? base.voice } : {}),
      ...((request.language ?? base.language)
        ? { language: request.language ?? base.language }
        : {}),
      ...((request.speedRatio ?? base.speedRatio)
        ? { speedRatio: request.speedRatio ?? base.speedRatio }
        : {}),
    };
    // Checked now (voice, text, the 80-character rule): a bad push is refused, not spoken later.
    const plan = this.deps.tts.plan({ ...ttsRequest(speech), appId });
    return {
      scene,
      origin: 'push',
      kind: 'tts',
      appId,
      speech: { ...speech, chosen: { voice: plan.voice.id } },
    };
  }

  /** The watch: the longest time, and idleness (nothing pushed, nobody watching). */
  private check(limits: { readonly maxMs: number; readonly idleMs: number }): void {
    if (!this.active) return;
    const now = Date.now();
    if (now - this.startedAt > limits.maxMs) {
      void this.stop(
        'ended',
        `it reached the longest time a session may run (${Math.round(limits.maxMs / 60000)} min)`,
      );
      return;
    }
    const watched =
      (this.webrtc?.viewerCount ?? 0) > 0 || now - this.lastHlsFetch < hlsViewerMs || this.rtmp;
    if (watched) this.lastActivity = Math.max(this.lastActivity, now - 1000);
    if (now - this.lastActivity > limits.idleMs) {
      void this.stop(
        'ended',
        `nothing was pushed and nobody watched for ${Math.round(limits.idleMs / 1000)} s`,
      );
    }
  }

  private setState(state: LiveState, why?: string): void {
    if (this.state === state) return;
    this.state = state;
    this.onState(state, why);
  }
}

/** The configured rate is for 720p; other sizes get their share by pixel count (at least 300k). */
function scaledKbps(kbps720: number, width: number, height: number): number {
  return Math.max(300, Math.round((kbps720 * width * height) / (1280 * 720)));
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
