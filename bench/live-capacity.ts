/**
 * Part 4 of bench/live: how many sessions at once the machine carries with no late or repeated
 * frame (each level for `seconds`, real avatar, TTS looping, HLS and RTP out), and beside it, in
 * the same run, the physical limit: how many of the encoder alone (the same arguments, fed raw
 * frames in real time by test/helpers/live-feed.ts) keep real time. CPU is this process's and its
 * ended children's (/proc/self/stat utime + stime + cutime + cstime) over each level.
 */
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/config.js';
import { buildLiveEncodeArgs } from '../src/live/live-encode.args.js';
import type { LiveCounters } from '../src/live/live-session.js';
import { liveSampleRate } from '../src/live/running-live.js';
import { runFfmpeg, startFfmpeg } from '../src/media/process.runner.js';
import { feedLive } from '../test/helpers/live-feed.js';
import {
  benchSession,
  fps,
  ms,
  percentile,
  sentences,
  ttsUtterance,
  type BenchSessionSpec,
  type Rig,
} from './live-rig.js';

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds of this process and the children it has waited for. */
function cpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return [11, 12, 13, 14].reduce((sum, k) => sum + Number(fields[k]), 0) / clockTicks;
}

const say = (text: string) => void process.stdout.write(`${text}\n`);

const settleSeconds = 5;

function minus(end: LiveCounters, start: LiveCounters | undefined): LiveCounters {
  if (!start) return end;
  return {
    sent: end.sent - start.sent,
    late: end.late - start.late,
    repeated: end.repeated - start.repeated,
    dropped: end.dropped - start.dropped,
    worstLateMs: end.worstLateMs,
  };
}

/**
 * A loopback UDP port that takes RTP (a WebRTC fan-out with no viewer) and notes when each video
 * frame's last packet (marker bit) came, against its RTP time: how far behind its pace each frame
 * left the encoder, measured on the output rather than from the session's own counters.
 */
async function rtpSink(): Promise<{
  port: number;
  /** Per frame: arrival (ms) minus its RTP time (ms), from `since` on; less is earlier. */
  lags: (since: number) => number[];
  close: () => Promise<void>;
}> {
  const socket = dgram.createSocket('udp4');
  const frames: { at: number; lag: number }[] = [];
  let first: number | undefined;
  socket.on('message', (packet) => {
    if (packet.length < 12 || (packet[1]! & 0x80) === 0) return;
    const at = performance.now();
    const stamp = packet.readUInt32BE(4);
    first ??= stamp;
    frames.push({ at, lag: at - ((stamp - first) >>> 0) / 90 });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    lags: (since) => frames.filter((f) => f.at >= since).map((f) => f.lag),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/**
 * How far behind its pace a frame may leave the encoder and still count as on time: what a
 * WebRTC player's jitter buffer absorbs without a visible stall (a few frames).
 */
const paceSlackMs = 120;

/** `count` sessions for `seconds`: whether every frame went out on time, and CPU per session. */
async function sessionLevel(
  rig: Rig,
  size: readonly [number, number],
  count: number,
  seconds: number,
  look: Pick<BenchSessionSpec, 'composeIn' | 'background'>,
) {
  const sinks = await Promise.all(Array.from({ length: count * 2 }, rtpSink));
  const sessions = Array.from({ length: count }, (_, k) =>
    benchSession(rig, {
      width: size[0],
      height: size[1],
      source: (avatar) => avatar,
      scene: (id) => ttsUtterance(sentences[(id + k) % 3] ?? '', id, 'script'),
      recycle: true,
      ...look,
      rtp: { videoPort: sinks[2 * k]?.port ?? 0, audioPort: sinks[2 * k + 1]?.port ?? 0 },
    }),
  );
  let cpuBefore = 0;
  let settled: LiveCounters[] = [];
  let settledAt = 0;
  let behind: number[] = [];
  try {
    await Promise.all(sessions.map((session) => session.start()));
    // Starting them all at once is a burst no steady level has: the level is judged after it.
    await sleep(settleSeconds * 1000);
    settled = sessions.map((session) => session.counters());
    cpuBefore = cpuSeconds();
    settledAt = performance.now();
    await sleep(seconds * 1000);
  } finally {
    // Each session's frames behind their pace: lag over the best lag the session's output had.
    behind = sessions.flatMap((_, k) => {
      const all = sinks[2 * k]?.lags(0) ?? [];
      const best = Math.min(...all);
      return (sinks[2 * k]?.lags(settledAt) ?? []).map((lag) => lag - best);
    });
    const ended = sessions.map((session) => session.counters());
    await Promise.all(sessions.map((session) => session.close()));
    await Promise.all(sinks.map((sink) => sink.close()));
    settled = ended.map((c, k) => minus(c, settled[k]));
  }
  const cpu = cpuSeconds() - cpuBefore;
  const sum = (key: 'late' | 'repeated' | 'dropped') =>
    settled.reduce((total, c) => total + c[key], 0);
  const behindOver = behind.filter((ms) => ms > paceSlackMs).length;
  const expected = Math.round(seconds * fps * count);
  const ok =
    sum('late') === 0 &&
    sum('repeated') === 0 &&
    behindOver === 0 &&
    behind.length >= expected - 2 * count;
  say(
    `  ${count} session(s), ${seconds} s after ${settleSeconds} s to settle: late ${sum('late')}, ` +
      `repeated ${sum('repeated')}, dropped ${sum('dropped')}; worst tick lateness over the whole run ` +
      `${Math.max(...sessions.map((s) => s.counters().worstLateMs))} ms; out of the encoder ` +
      `${behind.length} of ${expected} frames, behind pace p50 ${ms(percentile(behind, 0.5))}, ` +
      `p99 ${ms(percentile(behind, 0.99))}, max ${ms(Math.max(...behind))}, ` +
      `${behindOver} over ${paceSlackMs} ms; CPU ` +
      `${((100 * cpu) / seconds / count).toFixed(0)}% of a core per session → ` +
      `${ok ? 'carried' : 'not carried'}`,
  );
  return ok;
}

/**
 * Two seconds of the avatar's own footage at the output size, as yuv420p frames: what the encoder
 * alone is fed, so it codes a face as the sessions' encoders do, not an easy test pattern.
 */
async function avatarPictures(rig: Rig, size: readonly [number, number]): Promise<Buffer[]> {
  const [width, height] = size;
  const { stdout } = await runFfmpeg([
    ...['-i', path.join(rig.dir, 'model', 'avatar-base.mp4'), '-frames:v', String(2 * fps)],
    ...['-vf', `scale=-2:${height},pad=${width}:${height}:(ow-iw)/2:0`],
    ...['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
  ]);
  const bytes = (width * height * 3) / 2;
  return Array.from({ length: Math.floor(stdout.length / bytes) }, (_, k) =>
    stdout.subarray(k * bytes, (k + 1) * bytes),
  );
}

/** `count` encoders alone, fed in real time: whether each kept up (took its frames on time). */
async function encoderLevel(
  rig: Rig,
  size: readonly [number, number],
  count: number,
  seconds: number,
) {
  const { livePreset, liveVideoKbps } = loadConfig({});
  const pictures = await avatarPictures(rig, size);
  const cpuBefore = cpuSeconds();
  const results = await Promise.all(
    Array.from({ length: count }, async () => {
      const dir = fs.mkdtempSync(path.join(rig.dir, 'enc-'));
      const args = buildLiveEncodeArgs({
        width: size[0],
        height: size[1],
        fps,
        sampleRate: liveSampleRate,
        preset: livePreset,
        videoKbps: Math.max(300, Math.round((liveVideoKbps * size[0] * size[1]) / 921600)),
        hls: { dir, segmentSeconds: 1 },
        transport: false,
      });
      const encoder = startFfmpeg(args, { extraInputs: 1 });
      encoder.stdout.resume();
      const started = performance.now();
      const fed = await feedLive(encoder, {
        width: size[0],
        height: size[1],
        fps,
        sampleRate: liveSampleRate,
        seconds,
        picture: (n) => pictures[n % pictures.length] as Buffer,
      });
      // The last frame is due one frame before the end of `seconds`.
      const behindMs = performance.now() - started - (seconds * 1000 - 1000 / fps);
      await encoder.done;
      fs.rmSync(dir, { recursive: true, force: true });
      return { behindMs, longestWaitMs: fed.longestWaitMs };
    }),
  );
  const cpu = cpuSeconds() - cpuBefore;
  // Real time: the feed ended within a frame of its schedule (a slow encoder holds its writes back).
  const ok = results.every((r) => r.behindMs < 1000 / fps);
  const behind = Math.max(...results.map((r) => r.behindMs));
  say(
    `  ${count} encoder(s) alone: feed ended ${Math.round(behind)} ms behind schedule at worst, ` +
      `CPU ${((100 * cpu) / seconds / count).toFixed(0)}% of a core each → ${ok ? 'real time' : 'not real time'}`,
  );
  return ok;
}

export async function capacity(
  rig: Rig,
  options: {
    seconds: number;
    levels: readonly number[];
    sizes: readonly (readonly [number, number])[];
    /** Who composes, each measured in turn: the encoder itself, or a compositor per look. */
    composeIn: readonly ('encoder' | 'compositor')[];
    /** A picture behind the avatar, its wall keyed out; the avatar alone on black when absent. */
    background?: string;
  },
): Promise<void> {
  for (const size of options.sizes) {
    const carried: string[] = [];
    for (const composeIn of options.composeIn) {
      say(
        `capacity at ${size[0]}x${size[1]} ${fps} fps, ${options.seconds} s a level, ` +
          `composed by ${composeIn === 'encoder' ? 'the encoder' : 'a compositor'}, ` +
          (options.background ? 'over a background picture' : 'alone on black'),
      );
      let level = 0;
      for (const next of options.levels) {
        const look = {
          composeIn,
          ...(options.background ? { background: options.background } : {}),
        };
        if (!(await sessionLevel(rig, size, next, options.seconds, look))) break;
        level = next;
      }
      carried.push(`${level} composed by the ${composeIn}`);
    }
    let encoders = 0;
    for (const level of [...options.levels, ...options.levels.map((l) => l * 2)]) {
      if (level <= encoders) continue;
      if (!(await encoderLevel(rig, size, level, Math.min(20, options.seconds)))) break;
      encoders = level;
    }
    say(
      `  → sessions carried with no frame late or repeated: ${carried.join(', ')} (goal ≥ 4 at ` +
        `720p); ` +
        `the encoder alone keeps real time ${encoders} times over (fed the avatar's own footage)`,
    );
  }
}
