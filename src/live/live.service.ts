/**
 * Live sessions for the routes: create (the script checked at the door, limits enforced, the
 * stream started in the background), close, list, query, push, and viewers. Each running session
 * is watched: it ends when its script ends (not recycled), when it reaches its longest time, and
 * when nobody watches and nothing is pushed for the idle time. Status changes reach the
 * session's callbackUrl, signed like task callbacks.
 *
 * In a cluster (instances sharing a Redis) a session runs on one instance with live slots, the
 * least busy; whatever is asked of it on any other instance (push, close, query, viewers, HLS) is
 * passed to that one over the instance bus, and its answer passed back.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelStore } from '../avatar/model-store.js';
import type { Config } from '../config/config.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { FileService } from '../files/file.service.js';
import { BusUnreachable, type InstanceBus } from '../net/instance-bus.js';
import type { CallbackService } from '../tasks/callback.service.js';
import { newHexId, newSecretToken, sha256Hex } from '../util/ids.js';
import { checkVideoJob } from '../video/video.create.js';
import type { TtsService } from '../voice/tts.service.js';
import { hlsFileKind } from './hls-serve.js';
import type { LiveRepository } from './live.repository.js';
import { isRunningState, liveStatus, type LiveRecord, type LiveState } from './live.repository.js';
import { liveSlots, parseLiveScript, type LiveScript } from './live-script.js';
import { SegmentCache } from './segment-cache.js';
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
    | 'liveOrphanSeconds'
  >;
  readonly tts: TtsService;
  readonly files: FileService;
  readonly models: ModelStore;
  readonly repository: LiveRepository;
  readonly callbacks: CallbackService;
  readonly checkUrl: (url: string, field: string) => Promise<void>;
  readonly publicUrl: () => string;
  readonly outputs: LiveOutputFactories;
  /** Whether sessions run here: not on an API instance of a split cluster. */
  readonly hostsSessions: boolean;
  /** The other instances, when there are any (instances sharing a Redis). */
  readonly bus?: InstanceBus;
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

/** A session to start, as the instance that accepted it hands it to the one that will run it. */
interface StartRequest {
  readonly id: string;
  readonly appId: string;
  readonly tokenHash: string;
  readonly userData: string | null;
  readonly callbackUrl: string | null;
  readonly pushUrl: string | null;
  readonly createdAt: number;
  readonly script: LiveScript;
}

/** What the instance running a session answers about it now; null once it runs no longer. */
type Described = ({ state: LiveState } & ReturnType<RunningLive['describe']>) | null;

/** An HLS file: its content type and bytes. */
interface HlsFile {
  readonly type: string;
  readonly data: Buffer;
}

/** An HLS file as it crosses between instances (JSON). */
interface HlsBytes {
  readonly type: string;
  readonly base64: string;
}

/** Another instance running a session, and the bus that reaches it. */
interface Owner {
  readonly bus: InstanceBus;
  readonly instanceId: string;
}

/** How long the instance running a session has to answer for it. */
const askMs = { start: 15_000, viewer: 15_000, other: 10_000 } as const;

export class LiveService {
  private readonly sessions = new Map<string, RunningLive>();
  /** HLS segments fetched from the instances running their sessions, for the next viewer. */
  private readonly segments = new SegmentCache<HlsFile | null>();
  /** Slots promised to sessions being recorded here, not yet in `sessions`. */
  private reserved = 0;
  /** State changes, recorded one after another in the order they happened. */
  private recorded: Promise<void> = Promise.resolve();
  private watch: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LiveServiceDeps) {
    if (deps.bus && deps.hostsSessions) this.answerForSessions(deps.bus);
  }

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
   * Keeps this instance's sign of life (and its live slots) fresh and ends sessions whose instance
   * has gone quiet for `deadAfterMs` (it died with them running): each ended once, by whichever
   * instance gets to it first, with its callback.
   */
  watchInstances(deadAfterMs: number): void {
    const slots = this.deps.hostsSessions ? this.deps.config.liveMaxSessions : 0;
    const check = async () => {
      const { repository } = this.deps;
      await repository.heartbeat(Date.now(), slots);
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

  /**
   * Checks everything that can be checked now, then starts the stream in the background: here,
   * or on the least busy instance with room.
   */
  async create(request: CreateLive) {
    const { deps } = this;
    const script = parseLiveScript(request.param);
    const checked = await this.checkScenes(script, request.appId);
    if (request.pushUrl !== undefined) {
      const checked = validatePushUrl(request.pushUrl);
      if (!checked.ok) throw new AppError('liveOutputInvalid', { problem: checked.problem });
    }
    if (request.callbackUrl) await deps.checkUrl(request.callbackUrl, 'callbackUrl');
    const token = newSecretToken();
    const start: StartRequest = {
      id: newHexId(),
      appId: request.appId,
      tokenHash: hashToken(token),
      userData: request.userData ?? null,
      callbackUrl: request.callbackUrl ?? null,
      pushUrl: request.pushUrl ?? null,
      createdAt: Date.now(),
      script: checked.script,
    };
    await this.place(start);
    return {
      ...this.addresses(start.id, token),
      status: liveStatus.initialising,
      sessionToken: token,
      warnings: [...script.warnings, ...checked.warnings],
    };
  }

  /** Ends a session of the app's now. */
  async close(appId: string, sessionId: string): Promise<void> {
    const record = await this.authorize(sessionId, { appId });
    if (!isRunningState(record.state)) return;
    await this.onOwner(record, 'live.close', {}, () => this.closeHere(sessionId));
  }

  /** The app's sessions still running, wherever they run. */
  async running(appId: string): Promise<{ sessionId: string; status: number }[]> {
    return (await this.deps.repository.runningOf(appId)).map((record) => ({
      sessionId: record.id,
      status: liveStatus[this.sessions.get(record.id)?.state ?? record.state],
    }));
  }

  /** A session's status, by its owner's app or its own token. */
  async query(sessionId: string, access: Access) {
    const record = await this.authorize(sessionId, access);
    let now: Described = null;
    if (isRunningState(record.state)) {
      try {
        now = await this.onOwner(record, 'live.describe', {}, () => this.describeHere(sessionId));
      } catch (error) {
        // Its instance is not answering: what the database recorded is the best answer.
        if (!isAppError(error) || error.key !== 'liveInstanceUnreachable') throw error;
      }
    }
    const { state: stateNow, ...described } = now ?? {};
    const state = stateNow ?? record.state;
    return {
      sessionId,
      status: liveStatus[state],
      state,
      ...(record.reason && !now ? { reason: record.reason } : {}),
      ...(now ? described : { scene: null, speaking: false, frames: record.counters }),
      userData: record.userData,
    };
  }

  /** Text or a recording for a running session to say; answers the utterance's id. */
  async push(sessionId: string, access: Access, request: PushRequest) {
    const record = stillRunning(await this.authorize(sessionId, access));
    return this.onOwner(record, 'live.push', { request }, async () =>
      (await this.live(sessionId)).push(request),
    );
  }

  /** A WebRTC viewer's offer → the answer (WHEP). */
  async addViewer(sessionId: string, access: Access, offer: string) {
    const record = stillRunning(await this.authorize(sessionId, access));
    return this.onOwner(record, 'live.addViewer', { offer }, () =>
      this.addViewerHere(sessionId, offer),
    );
  }

  async removeViewer(sessionId: string, access: Access, viewerId: string): Promise<boolean> {
    const record = await this.authorize(sessionId, access);
    if (!isRunningState(record.state)) return false;
    return this.onOwner(
      record,
      'live.removeViewer',
      { viewerId },
      async () => (await this.sessions.get(sessionId)?.removeViewer(viewerId)) ?? false,
    );
  }

  /** The HLS file `name` of a session (playlist or segment): its bytes and type; undefined if none. */
  async hlsFile(sessionId: string, access: Access, name: string): Promise<HlsFile | undefined> {
    const record = stillRunning(await this.authorize(sessionId, access));
    const owner = this.ownerElsewhere(record);
    if (!owner) return (await this.hlsHere(sessionId, name)) ?? undefined;
    const fetched = async () => {
      const found = await this.ask<HlsBytes | null>(owner, record, 'live.hls', { name });
      return found && { type: found.type, data: Buffer.from(found.base64, 'base64') };
    };
    // Fetched from another instance, segments are kept for the next viewer asking here; the
    // playlist is not (it changes each second, and asking for it keeps the session watched).
    const kind = hlsFileKind(name);
    const found =
      kind && kind !== 'playlist'
        ? await this.segments.get(`${sessionId}/${name}`, fetched)
        : await fetched();
    return found ?? undefined;
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

  /** What other instances may ask of the sessions running here. */
  private answerForSessions(bus: InstanceBus): void {
    type Named = { id: string };
    bus.answer('live.start', (body) => this.startHere(body as StartRequest));
    bus.answer('live.close', (body) => this.closeHere((body as Named).id));
    bus.answer('live.describe', (body) => this.describeHere((body as Named).id));
    bus.answer('live.push', async (body) => {
      const { id, request } = body as Named & { request: PushRequest };
      return (await this.live(id)).push(request);
    });
    bus.answer('live.addViewer', (body) => {
      const { id, offer } = body as Named & { offer: string };
      return this.addViewerHere(id, offer);
    });
    bus.answer('live.removeViewer', async (body) => {
      const { id, viewerId } = body as Named & { viewerId: string };
      return (await this.sessions.get(id)?.removeViewer(viewerId)) ?? false;
    });
    bus.answer('live.hls', async (body): Promise<HlsBytes | null> => {
      const { id, name } = body as Named & { name: string };
      const found = await this.hlsHere(id, name);
      return found && { type: found.type, base64: found.data.toString('base64') };
    });
  }

  /**
   * Does `here` when the session runs on this instance (or there is no other), else asks the
   * instance running it to do `method` with the session's id and `body` (what `here` closes
   * over, named as the handlers above read them).
   */
  private async onOwner<T>(
    record: LiveRecord,
    method: string,
    body: object,
    here: () => T | Promise<T>,
  ): Promise<T> {
    const owner = this.ownerElsewhere(record);
    return owner ? this.ask<T>(owner, record, method, body) : here();
  }

  /** The instance running the session when it is another one, and the bus that reaches it. */
  private ownerElsewhere(record: LiveRecord): Owner | undefined {
    const { bus } = this.deps;
    return bus && record.owner && record.owner !== bus.instanceId
      ? { bus, instanceId: record.owner }
      : undefined;
  }

  /** Asks the instance running the session to do `method` for it; 9008 if it cannot be reached. */
  private async ask<T>(
    { bus, instanceId }: Owner,
    record: LiveRecord,
    method: string,
    body: object,
  ): Promise<T> {
    const timeoutMs = method === 'live.addViewer' ? askMs.viewer : askMs.other;
    try {
      return await bus.ask<T>(instanceId, method, { id: record.id, ...body }, timeoutMs);
    } catch (error) {
      if (error instanceof BusUnreachable) {
        throw new AppError('liveInstanceUnreachable', { sessionId: record.id }, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Starts a session here, or on the least busy instance with room: an instance that is full or
   * not answering passes it on to the next. Refused when none takes it.
   */
  private async place(start: StartRequest): Promise<void> {
    const { bus, repository, config } = this.deps;
    if (!bus) return this.startHere(start);
    const hosts = await repository.sessionHosts(Date.now() - config.liveOrphanSeconds * 1000);
    if (hosts.length === 0) {
      throw new AppError('liveNoInstance', { problem: 'no instance with live slots is running' });
    }
    let full: AppError | undefined;
    for (const host of hosts) {
      try {
        await bus.ask(host.id, 'live.start', start, askMs.start);
        return;
      } catch (error) {
        if (isAppError(error) && error.key === 'liveServerFull') {
          full = error;
          continue;
        }
        if (!(error instanceof BusUnreachable)) throw error;
        // Not answered in time, it may still have started it: then it is its.
        if (await repository.find(start.id)) return;
        this.deps.log?.('warn', 'live session not started on an instance: passed on', {
          sessionId: start.id,
          instanceId: host.id,
          error: error.message,
        });
      }
    }
    throw (
      full ?? new AppError('liveNoInstance', { problem: 'no instance with live slots answered' })
    );
  }

  /** Starts a session on this instance, if it has room and its app is under its limit. */
  private async startHere(start: StartRequest): Promise<void> {
    const { deps } = this;
    const slots = liveSlots(start.script);
    this.checkRoom(slots);
    this.reserved += slots;
    try {
      // Ends recorded before this count (a session just closed no longer counts against its app).
      await this.recorded;
      await deps.repository.insert(
        {
          id: start.id,
          appId: start.appId,
          tokenHash: start.tokenHash,
          userData: start.userData,
          callbackUrl: start.callbackUrl,
          pushUrl: start.pushUrl,
          createdAt: start.createdAt,
        },
        deps.config.liveMaxPerApp,
      );
    } finally {
      this.reserved -= slots;
    }
    const running = new RunningLive(
      { id: start.id, appId: start.appId, script: start.script },
      this.outputsSpec(start.id, start.pushUrl ?? undefined),
      {
        tts: deps.tts,
        files: deps.files,
        models: deps.models,
        maxSeconds: deps.config.recordingMaxSeconds,
        outputs: deps.outputs,
      },
      (state, reason) => this.onState(start.id, state, reason),
    );
    this.sessions.set(start.id, running);
    running.begin({
      maxMs: deps.config.liveMaxMinutes * 60_000,
      idleMs: deps.config.liveIdleSeconds * 1000,
    });
  }

  private async closeHere(sessionId: string): Promise<void> {
    const running = this.sessions.get(sessionId);
    if (running) await running.stop('ended', 'closed by the client');
    await this.recorded;
  }

  private describeHere(sessionId: string): Described {
    const running = this.sessions.get(sessionId);
    return running ? { state: running.state, ...running.describe() } : null;
  }

  private async addViewerHere(sessionId: string, offer: string) {
    try {
      return await (await this.live(sessionId)).addViewer(offer);
    } catch (error) {
      if (error instanceof WhepOfferError) {
        throw new AppError('liveViewerRefused', { problem: error.text });
      }
      throw error;
    }
  }

  private async hlsHere(sessionId: string, name: string): Promise<HlsFile | null> {
    const found = (await this.live(sessionId)).hlsFile(name);
    const data = found ? await fs.promises.readFile(found.file).catch(() => undefined) : undefined;
    return found && data ? { type: found.type, data } : null;
  }

  /** The session running here, or liveSessionEnded (saying why, as recorded). */
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

  /** A new session taking `slots` of this instance's live capacity fits, or is refused. */
  private checkRoom(slots: number): void {
    const active = [...this.sessions.values()].filter((session) => session.active);
    const { liveMaxSessions } = this.deps.config;
    const taken = this.reserved + active.reduce((sum, session) => sum + session.slots, 0);
    if (!this.deps.hostsSessions || taken + slots > liveMaxSessions) {
      throw new AppError('liveServerFull', { max: liveMaxSessions });
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

/** The record of a session still running, or liveSessionEnded saying why it ended. */
function stillRunning(record: LiveRecord): LiveRecord {
  if (isRunningState(record.state)) return record;
  throw new AppError('liveSessionEnded', {
    sessionId: record.id,
    reason: record.reason ?? 'ended',
  });
}

/** Who asks: the app that owns the session, or a holder of its token (a viewer, the page). */
export type Access = { readonly appId: string } | { readonly token: string };
