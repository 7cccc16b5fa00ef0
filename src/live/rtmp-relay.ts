/**
 * The RTMP push of a live session: the encoder's MPEG-TS goes, copied, to an `rtmp://` ingest
 * through an `ffmpeg -c copy -f flv`. An ingest that refuses or drops is retried with back-off for
 * as long as the session runs. The session never waits for it: `write` returns at once, and what
 * the ingest cannot take (or what comes while it is away) is dropped in whole TS packets and counted.
 */
import { ProcessError, startFfmpeg, type RunningProcess } from '../media/process.runner.js';
import { buildRtmpPushArgs } from './live-encode.args.js';
import { firstPatOffset, TsPacketCutter } from './ts-packets.js';

export type RelayState = 'connecting' | 'live' | 'retrying' | 'closed';

export interface RtmpRelayOptions {
  /** An URL that passed `validatePushUrl`. */
  readonly url: string;
  /** Bytes waiting for ffmpeg beyond which new packets are dropped (about 3 s at 2.5 Mb/s). */
  readonly maxBufferedBytes?: number;
  /** Back-off between attempts: first wait, doubled after each failure up to the longest. */
  readonly retryFirstMs?: number;
  readonly retryLongestMs?: number;
  /** An attempt that is not live after this long, or a live one that stops moving, is ended. */
  readonly connectTimeoutMs?: number;
  readonly stallMs?: number;
  readonly onState?: (state: RelayState) => void;
}

export interface RelayStats {
  /** Times the ingest took the stream (each reconnect adds one). */
  readonly connects: number;
  /** ffmpeg runs started. */
  readonly attempts: number;
  /** Bytes handed to ffmpeg, and bytes dropped (ingest away, slow, or not yet at a PAT). */
  readonly bytes: number;
  readonly droppedBytes: number;
}

export const rtmpRelayDefaults = {
  maxBufferedBytes: 1024 * 1024,
  retryFirstMs: 1000,
  retryLongestMs: 8000,
  connectTimeoutMs: 10_000,
  stallMs: 5000,
} as const;

interface Attempt {
  readonly process: RunningProcess;
  readonly stop: AbortController;
  readonly startedAt: number;
  /** Whether the first packet given to it was a PAT (a clean start for its demuxer). */
  started: boolean;
  lastProgressAt: number;
  lastSize: number;
}

export class RtmpRelay {
  private current: Attempt | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failuresInARow = 0;
  private readonly cutter = new TsPacketCutter();
  private readonly counts = { connects: 0, attempts: 0, bytes: 0, droppedBytes: 0 };
  private stateNow: RelayState = 'connecting';
  private failure: string | undefined;
  private readonly settings: { -readonly [K in keyof typeof rtmpRelayDefaults]: number };

  /** Starts the first attempt at once (state `connecting`; onState reports changes from there). */
  constructor(private readonly options: RtmpRelayOptions) {
    const d = rtmpRelayDefaults;
    this.settings = {
      maxBufferedBytes: options.maxBufferedBytes ?? d.maxBufferedBytes,
      retryFirstMs: options.retryFirstMs ?? d.retryFirstMs,
      retryLongestMs: options.retryLongestMs ?? d.retryLongestMs,
      connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
      stallMs: options.stallMs ?? d.stallMs,
    };
    this.connect();
  }

  get state(): RelayState {
    return this.stateNow;
  }

  /** The last failure in words (ffmpeg's own, or a stall), kept after a reconnect. */
  get lastFailure(): string | undefined {
    return this.failure;
  }

  stats(): RelayStats {
    return { ...this.counts };
  }

  /** Takes the encoder's next bytes; never waits. */
  write(chunk: Buffer): void {
    if (this.stateNow === 'closed') return;
    const packets = this.cutter.push(chunk);
    const attempt = this.current;
    if (!attempt) return this.drop(packets.length);
    const now = Date.now();
    if (this.stuck(attempt, now)) return this.drop(packets.length);
    let start = 0;
    if (!attempt.started) {
      start = firstPatOffset(packets);
      if (start < 0) return this.drop(packets.length);
      attempt.started = true;
    }
    this.drop(start);
    if (attempt.process.stdin.writableLength > this.settings.maxBufferedBytes) {
      return this.drop(packets.length - start);
    }
    attempt.process.stdin.write(packets.subarray(start));
    this.counts.bytes += packets.length - start;
  }

  /** Ends the push; resolves once its ffmpeg is gone. */
  async close(): Promise<void> {
    if (this.stateNow === 'closed') return;
    this.setState('closed');
    clearTimeout(this.retryTimer);
    const attempt = this.current;
    this.current = undefined;
    if (!attempt) return;
    attempt.stop.abort();
    await attempt.process.done.catch(() => undefined);
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.stateNow === 'closed') return;
    this.setState('connecting');
    const stop = new AbortController();
    const child = startFfmpeg(buildRtmpPushArgs(this.options.url), {
      signal: stop.signal,
      killGraceMs: 1000,
    });
    const now = Date.now();
    const attempt: Attempt = {
      process: child,
      stop,
      startedAt: now,
      started: false,
      lastProgressAt: now,
      lastSize: 0,
    };
    this.current = attempt;
    this.counts.attempts += 1;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => this.onProgress(attempt, text));
    child.done.then(
      () => this.onEnd(attempt, 'the ingest ended the stream'),
      (error: unknown) => this.onEnd(attempt, describe(error, attempt)),
    );
  }

  /** ffmpeg's `-progress` blocks: the output size growing means the ingest takes the stream. */
  private onProgress(attempt: Attempt, text: string): void {
    for (const match of text.matchAll(/^total_size=(\d+)$/gm)) {
      const size = Number(match[1]);
      if (size <= attempt.lastSize) continue;
      attempt.lastSize = size;
      attempt.lastProgressAt = Date.now();
      if (attempt === this.current && this.stateNow === 'connecting') {
        this.failuresInARow = 0;
        this.counts.connects += 1;
        this.setState('live');
      }
    }
  }

  /** An attempt that never got live, or stopped moving, is ended; its end schedules a retry. */
  private stuck(attempt: Attempt, now: number): boolean {
    const limit =
      this.stateNow === 'live'
        ? { since: attempt.lastProgressAt, ms: this.settings.stallMs, what: 'stopped taking' }
        : { since: attempt.startedAt, ms: this.settings.connectTimeoutMs, what: 'did not take' };
    if (now - limit.since <= limit.ms) return false;
    this.failure = `the ingest ${limit.what} the stream for ${Math.round(limit.ms / 1000)} s`;
    attempt.stop.abort();
    return true;
  }

  private onEnd(attempt: Attempt, failure: string): void {
    if (attempt !== this.current || this.stateNow === 'closed') return;
    this.current = undefined;
    if (!attempt.stop.signal.aborted) this.failure = failure;
    const wait = Math.min(
      this.settings.retryFirstMs * 2 ** this.failuresInARow,
      this.settings.retryLongestMs,
    );
    this.failuresInARow += 1;
    this.setState('retrying');
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  private drop(bytes: number): void {
    this.counts.droppedBytes += bytes;
  }

  private setState(state: RelayState): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    this.options.onState?.(state);
  }
}

/** ffmpeg's last words (the stderr tail), which name what the ingest did. */
function describe(error: unknown, attempt: Attempt): string {
  if (attempt.stop.signal.aborted) return 'the push was stopped';
  if (error instanceof ProcessError) {
    const words = error.stderr.trim().split('\n').slice(-2).join(' ').trim();
    return words || `ffmpeg exited with ${error.exitCode ?? error.signalName}`;
  }
  return String(error);
}

export const maxPushUrlLength = 1024;

export type PushUrlCheck = { readonly ok: true; readonly url: string } | PushUrlRefusal;
export interface PushUrlRefusal {
  readonly ok: false;
  /** What is wrong, in words for the client. */
  readonly problem: string;
}

/**
 * The RTMP target a client gives at create: rtmp:// or rtmps:// to a named host, with an
 * application and a stream key in its path, of bounded length, no spaces or control characters
 * (ffmpeg reads some URL text as options).
 */
export function validatePushUrl(input: unknown): PushUrlCheck {
  const refuse = (problem: string): PushUrlRefusal => ({ ok: false, problem });
  if (typeof input !== 'string' || input.trim() === '') return refuse('pushUrl is empty');
  const text = input.trim();
  if (text.length > maxPushUrlLength) {
    return refuse(`pushUrl is longer than ${maxPushUrlLength} characters`);
  }
  if (/[\s\p{Cc}]/u.test(text)) return refuse('pushUrl contains spaces or control characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('pushUrl is not a URL');
  }
  if (url.protocol !== 'rtmp:' && url.protocol !== 'rtmps:') {
    return refuse(`pushUrl must start with rtmp:// or rtmps://, not ${url.protocol}//`);
  }
  if (url.hostname === '') return refuse('pushUrl names no host');
  if (url.pathname.split('/').filter((part) => part !== '').length < 2) {
    return refuse('pushUrl needs an application and a stream key: rtmp://host/app/key');
  }
  return { ok: true, url: text };
}
