/**
 * Live sessions for the routes: create (the script checked at the door, limits enforced, the
 * stream started in the background), close, list, query, push, and viewers. Each running session
 * is watched: it ends when its script ends (not recycled), when it reaches its longest time, and
 * when nobody watches and nothing is pushed for the idle time. Status changes reach the
 * session's callbackUrl, signed like task callbacks.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelStore } from '../avatar/model-store.js';
import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import type { FileService } from '../files/file.service.js';
import type { CallbackService } from '../tasks/callback.service.js';
import { newHexId, newSecretToken, sha256Hex } from '../util/ids.js';
import { checkVideoJob } from '../video/video.create.js';
import type { TtsService } from '../voice/tts.service.js';
import type { LiveRepository } from './live.repository.js';
import { liveStatus, type LiveRecord, type LiveState } from './live.repository.js';
import { liveSlots, parseLiveScript, type LiveScript } from './live-script.js';
import { validatePushUrl } from './rtmp-relay.js';
import { WhepOfferError } from './whep.sdp.js';
import {
  RunningLive,
  type LiveOutputFactories,
  type LiveOutputsSpec,
  type PushRequest,
} from './running-live.js';

export interface LiveServiceDeps {
  readonly config: Pick<
    Config,
    | 'dataDir'
    | 'liveMaxSessions'
    | 'liveMaxPerApp'
    | 'liveMaxMinutes'
    | 'liveIdleSeconds'
    | 'livePreset'
    | 'liveVideoKbps'
    | 'recordingMaxSeconds'
    | 'fetchMaxBytes'
  >;
  readonly tts: TtsService;
  readonly files: FileService;
  readonly models: ModelStore;
  readonly repository: LiveRepository;
  readonly callbacks: CallbackService;
  readonly checkUrl: (url: string, field: string) => Promise<void>;
  readonly publicUrl: () => string;
  readonly outputs: LiveOutputFactories;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;
}

export interface CreateLive {
  readonly appId: string;
  readonly param: unknown;
  readonly userData?: string;
  readonly callbackUrl?: string;
  readonly pushUrl?: string;
}

const hashToken = (token: string) => sha256Hex(token);

export class LiveService {
  private readonly sessions = new Map<string, RunningLive>();
  /** State changes, recorded one after another in the order they happened. */
  private recorded: Promise<void> = Promise.resolve();
  private watch: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LiveServiceDeps) {}

  /**
   * Settles what a stop left: sessions recorded as running end (with their callback), and their
   * files go. Run at start, before any session can begin.
   */
  async recover(): Promise<void> {
    for (const record of await this.deps.repository.running()) {
      this.onState(record.id, 'ended', 'the server stopped while the session ran');
    }
    await this.recorded;
    fs.rmSync(path.join(this.deps.config.dataDir, 'live'), { recursive: true, force: true });
  }

  /**
   * Keeps this instance's sign of life fresh and ends sessions whose instance has gone quiet for
   * `deadAfterMs` (it died with them running): each ended once, by whichever instance gets to it
   * first, with its callback.
   */
  watchInstances(deadAfterMs: number): void {
    const check = async () => {
      const { repository } = this.deps;
      await repository.heartbeat(Date.now());
      for (const record of await repository.orphaned(Date.now() - deadAfterMs)) {
        const reason = 'the instance running the session stopped answering';
        const ended = await repository.endIfRunning(record.id, reason);
        if (!ended) continue;
        this.deps.log?.('warn', 'live session ended: its instance stopped', {
          sessionId: ended.id,
        });
        await this.notify(ended, 'ended', reason);
      }
    };
    const run = () =>
      void check().catch((error: unknown) =>
        this.deps.log?.('warn', 'live sessions not checked', { error: String(error) }),
      );
    this.watch = setInterval(run, Math.max(200, Math.floor(deadAfterMs / 4)));
    this.watch.unref();
    run();
  }

  /** Checks everything that can be checked now, then starts the stream in the background. */
  async create(request: CreateLive) {
    const { deps } = this;
    const script = parseLiveScript(request.param);
    const checked = await this.checkScenes(script, request.appId);
    if (request.pushUrl !== undefined) {
      const checked = validatePushUrl(request.pushUrl);
      if (!checked.ok) throw new AppError('liveOutputInvalid', { problem: checked.problem });
    }
    if (request.callbackUrl) await deps.checkUrl(request.callbackUrl, 'callbackUrl');
    this.checkLimits(request.appId, liveSlots(checked.script));
    const id = newHexId();
    const token = newSecretToken();
    await deps.repository.insert({
      id,
      appId: request.appId,
      tokenHash: hashToken(token),
      userData: request.userData ?? null,
      callbackUrl: request.callbackUrl ?? null,
      pushUrl: request.pushUrl ?? null,
      createdAt: Date.now(),
    });
    const running = new RunningLive(
      { id, appId: request.appId, script: checked.script },
      this.outputsSpec(id, request.pushUrl),
      {
        tts: deps.tts,
        files: deps.files,
        models: deps.models,
        maxSeconds: deps.config.recordingMaxSeconds,
        outputs: deps.outputs,
      },
      (state, reason) => this.onState(id, state, reason),
    );
    this.sessions.set(id, running);
    running.begin({
      maxMs: deps.config.liveMaxMinutes * 60_000,
      idleMs: deps.config.liveIdleSeconds * 1000,
    });
    return {
      ...this.addresses(id, token),
      status: liveStatus.initialising,
      sessionToken: token,
      warnings: [...script.warnings, ...checked.warnings],
    };
  }

  /** Ends a session of the app's now. */
  async close(appId: string, sessionId: string): Promise<void> {
    const record = await this.authorize(sessionId, { appId });
    const running = this.sessions.get(record.id);
    if (running) await running.stop('ended', 'closed by the client');
  }

  running(appId: string): { sessionId: string; status: number }[] {
    return [...this.sessions.values()]
      .filter((session) => session.appId === appId && session.active)
      .map((session) => ({ sessionId: session.id, status: liveStatus[session.state] }));
  }

  /** A session's status, by its owner's app or its own token. */
  async query(sessionId: string, access: Access) {
    const record = await this.authorize(sessionId, access);
    const running = this.sessions.get(sessionId);
    const state = running?.state ?? record.state;
    return {
      sessionId,
      status: liveStatus[state],
      state,
      ...(record.reason && !running?.active ? { reason: record.reason } : {}),
      ...(running ? running.describe() : { scene: null, speaking: false, frames: record.counters }),
      userData: record.userData,
    };
  }

  /** Text or a recording for a running session to say; answers the utterance's id. */
  async push(sessionId: string, access: Access, request: PushRequest) {
    await this.authorize(sessionId, access);
    return (await this.live(sessionId)).push(request);
  }

  /** A WebRTC viewer's offer → the answer (WHEP). */
  async addViewer(sessionId: string, access: Access, offer: string) {
    await this.authorize(sessionId, access);
    try {
      return await (await this.live(sessionId)).addViewer(offer);
    } catch (error) {
      if (error instanceof WhepOfferError) {
        throw new AppError('liveViewerRefused', { problem: error.text });
      }
      throw error;
    }
  }

  async removeViewer(sessionId: string, access: Access, viewerId: string): Promise<boolean> {
    await this.authorize(sessionId, access);
    return (await this.sessions.get(sessionId)?.removeViewer(viewerId)) ?? false;
  }

  /** The HLS file `name` of a session (playlist or segment), its path and type; undefined if none. */
  async hlsFile(sessionId: string, access: Access, name: string) {
    const record = await this.authorize(sessionId, access);
    const running = this.sessions.get(sessionId);
    if (!running)
      throw new AppError('liveSessionEnded', { sessionId, reason: record.reason ?? 'ended' });
    return running.hlsFile(name);
  }

  /** The session's token, checked (the page and players hold it, not the app's). */
  async authorize(sessionId: string, access: Access): Promise<LiveRecord> {
    const record = await this.deps.repository.find(sessionId);
    const allowed =
      record &&
      (('appId' in access && access.appId === record.appId) ||
        ('token' in access && hashToken(access.token) === record.tokenHash));
    if (!record || !allowed) throw new AppError('liveSessionNotFound', { sessionId });
    return record;
  }

  /** Ends every session (server stopping), their ends recorded. */
  async closeAll(): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    await Promise.all(
      [...this.sessions.values()].map((session) =>
        session.stop('ended', 'the server is shutting down'),
      ),
    );
    await this.recorded;
  }

  private async live(sessionId: string): Promise<RunningLive> {
    const running = this.sessions.get(sessionId);
    if (!running?.active) {
      const record = await this.deps.repository.find(sessionId);
      throw new AppError('liveSessionEnded', { sessionId, reason: record?.reason ?? 'ended' });
    }
    return running;
  }

  private async checkScenes(script: LiveScript, appId: string) {
    const door = {
      tts: this.deps.tts,
      files: this.deps.files,
      limits: this.deps.config,
    };
    const warnings: string[] = [];
    const scenes = [];
    for (const scene of script.scenes) {
      const checked = await checkVideoJob(
        door,
        { ...scene, format: 'mp4', fps: script.fps, burnSubtitles: false },
        appId,
      );
      warnings.push(...checked.warnings);
      scenes.push({ ...scene, speech: checked.payload.speech });
    }
    return { script: { ...script, scenes }, warnings };
  }

  /** A new session taking `slots` of the server's live capacity fits, or is refused. */
  private checkLimits(appId: string, slots: number): void {
    const active = [...this.sessions.values()].filter((session) => session.active);
    const { liveMaxSessions, liveMaxPerApp } = this.deps.config;
    const taken = active.reduce((sum, session) => sum + session.slots, 0);
    if (taken + slots > liveMaxSessions) {
      throw new AppError('liveServerFull', { max: liveMaxSessions });
    }
    if (active.filter((session) => session.appId === appId).length >= liveMaxPerApp) {
      throw new AppError('liveAppLimit', { max: liveMaxPerApp });
    }
  }

  private outputsSpec(id: string, pushUrl: string | undefined): LiveOutputsSpec {
    const { config } = this.deps;
    return {
      workDir: path.join(config.dataDir, 'live', id),
      preset: config.livePreset,
      videoKbps: config.liveVideoKbps,
      ...(pushUrl ? { pushUrl } : {}),
    };
  }

  private addresses(id: string, token: string) {
    const base = this.deps.publicUrl().replace(/\/$/, '');
    const query = `token=${encodeURIComponent(token)}`;
    return {
      sessionId: id,
      // The hosted RTC fields, filled with what a viewer of ours needs: WHEP at the channel.
      rtcAppId: 'anima-whep',
      rtcChannelId: id,
      rtcUid: 'viewer',
      rtcToken: token,
      pageUrl: `${base}/live/${id}?${query}`,
      whepUrl: `${base}/live/${id}/whep`,
      hlsUrl: `${base}/live/${id}/hls/index.m3u8?${query}`,
    };
  }

  /** A session's state changed: recorded (after any change before it), then its callback. */
  private onState(id: string, state: LiveState, reason?: string): void {
    const running = this.sessions.get(id);
    const counters = running ? { counters: running.describe().frames } : {};
    if (state === 'ended' || state === 'failed') this.sessions.delete(id);
    this.deps.log?.(state === 'failed' ? 'warn' : 'info', `live session ${state}`, {
      sessionId: id,
      ...(reason ? { reason } : {}),
    });
    this.recorded = this.recorded
      .then(async () => {
        const record = await this.deps.repository.update(id, state, {
          ...(reason ? { reason } : {}),
          ...counters,
        });
        if (record) await this.notify(record, state, reason);
      })
      .catch((error: unknown) =>
        this.deps.log?.('error', 'live session state not recorded', {
          sessionId: id,
          state,
          error: String(error),
        }),
      );
  }

  private async notify(record: LiveRecord, state: LiveState, reason?: string): Promise<void> {
    if (!record.callbackUrl) return;
    await this.deps.callbacks.enqueueEvent(record.appId, record.id, record.callbackUrl, {
      sessionId: record.id,
      status: liveStatus[state],
      state,
      ...(reason ? { reason } : {}),
      userData: record.userData,
    });
  }
}

/** Who asks: the app that owns the session, or a holder of its token (a viewer, the page). */
export type Access = { readonly appId: string } | { readonly token: string };
