/**
 * What a live session does to its encoder, for the live tests and the encode bench: raw yuv420p
 * frames on stdin and s16le mono sound on pipe:3, each frame at its absolute deadline
 * (t0 + n / fps) with exactly its share of samples. The picture is a grey field with a white bar
 * that moves one step a frame; the sound a 440 Hz tone.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningProcess } from '../../src/media/process.runner.js';

export interface LiveFeedSpec {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly sampleRate: number;
  readonly seconds: number;
  /** Called just before frame n is written (the latency probe marks the time here). */
  readonly onFrame?: (n: number, at: number) => void;
  readonly signal?: AbortSignal;
  /** Frame n's yuv420p picture; the moving bar of buildTestFrame when absent. */
  readonly picture?: (n: number) => Buffer;
}

export interface LiveFeedResult {
  readonly frames: number;
  readonly samples: number;
  /** The most a write waited for the encoder to take the previous one (ms). */
  readonly longestWaitMs: number;
}

/** Frame n as yuv420p: Y grey with a white vertical bar at x = 8n (wrapping); U and V neutral. */
export function buildTestFrame(width: number, height: number, n: number): Buffer {
  const frame = Buffer.alloc((width * height * 3) / 2, 128);
  frame.fill(60, 0, width * height);
  const bar = (n * 8) % width;
  for (let y = 0; y < height; y += 1) {
    frame.fill(235, y * width + bar, y * width + Math.min(bar + 16, width));
  }
  return frame;
}

/** The samples of frame n: from floor(n·R/fps) up to floor((n+1)·R/fps), a 440 Hz tone. */
export function buildTestSound(sampleRate: number, fps: number, n: number): Buffer {
  const first = Math.floor((n * sampleRate) / fps);
  const end = Math.floor(((n + 1) * sampleRate) / fps);
  const sound = Buffer.alloc((end - first) * 2);
  for (let i = first; i < end; i += 1) {
    const value = Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
    sound.writeInt16LE(value, (i - first) * 2);
  }
  return sound;
}

async function writeAll(stream: NodeJS.WritableStream, bytes: Buffer): Promise<number> {
  if (stream.write(bytes)) return 0;
  const since = performance.now();
  await once(stream, 'drain');
  return performance.now() - since;
}

/** Feeds the encoder in real time, then ends both pipes (the encoder finishes its outputs). */
export async function feedLive(
  encoder: RunningProcess,
  spec: LiveFeedSpec,
): Promise<LiveFeedResult> {
  const sound = encoder.inputs[0];
  if (!sound) throw new Error('the encoder was started without its sound pipe (extraInputs: 1)');
  const total = Math.round(spec.seconds * spec.fps);
  const t0 = performance.now();
  let samples = 0;
  let longestWaitMs = 0;
  let n = 0;
  for (; n < total && !spec.signal?.aborted; n += 1) {
    const wait = t0 + (n * 1000) / spec.fps - performance.now();
    if (wait > 0) await sleep(wait);
    spec.onFrame?.(n, performance.now());
    const pcm = buildTestSound(spec.sampleRate, spec.fps, n);
    samples += pcm.length / 2;
    const waits = await Promise.all([
      writeAll(encoder.stdin, spec.picture?.(n) ?? buildTestFrame(spec.width, spec.height, n)),
      writeAll(sound, pcm),
    ]);
    longestWaitMs = Math.max(longestWaitMs, ...waits);
  }
  encoder.stdin.end();
  sound.end();
  return { frames: n, samples, longestWaitMs };
}
