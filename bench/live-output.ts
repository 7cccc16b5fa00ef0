/**
 * Reading a live session's output back, not its counters: the MPEG-TS it sends to the RTMP relay,
 * watched as it arrives (each video frame's PTS and arrival time) and captured to a file that
 * ffmpeg decodes afterwards to find the white flashes and the 1 kHz beeps again.
 */
import fs from 'node:fs';
import { runFfmpeg, runProcess } from '../src/media/process.runner.js';
import { tsPacketBytes, TsPacketCutter } from '../src/live/ts-packets.js';
import type { SpeechTimeline } from '../src/video/speech-timeline.js';

/** The MPEG-TS of a session written to `file`, each video frame's PTS noted with its arrival. */
export class TransportCapture {
  private readonly cutter = new TsPacketCutter();
  private readonly out: fs.WriteStream;
  /** [PTS (90 kHz), performance.now() at arrival] of each video PES, in order. */
  readonly frames: [number, number][] = [];

  constructor(readonly file: string) {
    this.out = fs.createWriteStream(file);
  }

  readonly onChunk = (chunk: Buffer): void => {
    this.out.write(chunk);
    const at = performance.now();
    const packets = this.cutter.push(chunk);
    for (let offset = 0; offset < packets.length; offset += tsPacketBytes) {
      const pts = videoPts(packets, offset);
      if (pts !== undefined) this.frames.push([pts, at]);
    }
  };

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

/** The PTS of a video PES (stream id 0xE0) that starts in the packet at `offset`, if one does. */
function videoPts(bytes: Buffer, offset: number): number | undefined {
  if (((bytes[offset + 1] ?? 0) & 0x40) === 0) return undefined;
  const control = ((bytes[offset + 3] ?? 0) >> 4) & 3;
  const at = offset + (control & 2 ? 5 + (bytes[offset + 4] ?? 0) : 4);
  if (bytes[at] !== 0 || bytes[at + 1] !== 0 || bytes[at + 2] !== 1 || bytes[at + 3] !== 0xe0) {
    return undefined;
  }
  if (((bytes[at + 7] ?? 0) & 0x80) === 0) return undefined;
  const p = (k: number) => bytes[at + 9 + k] ?? 0;
  return (
    ((p(0) >> 1) & 7) * 2 ** 30 +
    ((p(1) << 7) | (p(2) >> 1)) * 2 ** 15 +
    ((p(3) << 7) | (p(4) >> 1))
  );
}

/**
 * How evenly frames came out: PTS steps other than one frame (a gap or a repeat in time), and
 * each frame's arrival against the first frame's plus n × 40 ms (spread above the earliest).
 */
export function regularity(frames: readonly [number, number][], fps: number) {
  const step = 90000 / fps;
  const first = frames[0];
  if (!first) return { frames: 0, badSteps: 0, lagMs: [] as number[] };
  let badSteps = 0;
  const lags: number[] = [];
  frames.forEach(([pts, at], k) => {
    const previous = frames[k - 1];
    if (previous && pts - previous[0] !== step) badSteps++;
    lags.push(at - first[1] - ((pts - first[0]) / 90000) * 1000);
  });
  const least = Math.min(...lags);
  return { frames: frames.length, badSteps, lagMs: lags.map((lag) => lag - least) };
}

const beepHz = 1000;
const beepLevel = 12000;

/**
 * Bench-only sound: on every frame where (n - shift) % period == 0 a 1 kHz beep fills the frame's
 * share of samples, and the two frames before it are silent, so its onset stands out of the
 * speech. Placed on the session's own timeline (every frame's sound comes from audioInto).
 */
export function beepOnFrames(timeline: SpeechTimeline, period: number, shift = 0): void {
  const speech = timeline.audioInto.bind(timeline);
  timeline.audioInto = (n: number, out: Int16Array): Int16Array => {
    speech(n, out);
    const k = (((n - shift) % period) + period) % period;
    if (k >= period - 2) out.fill(0);
    if (k === 0) {
      const first = timeline.sampleAt(n);
      for (let i = 0; i < out.length; i++) {
        out[i] = Math.round(
          beepLevel * Math.sin((2 * Math.PI * beepHz * (first + i)) / timeline.sampleRate),
        );
      }
    }
    return out;
  };
}

async function probeCsv(args: string[]): Promise<string[][]> {
  const { stdout } = await runProcess('ffprobe', ['-v', 'error', ...args, '-of', 'csv=p=0']);
  return stdout
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(','));
}

/** Times (s, the stream's own) of decoded frames whose centre is white, between `from` and `to`. */
async function flashTimes(file: string, from: number, to: number): Promise<number[]> {
  const seek = Math.max(0, from - 2).toFixed(3);
  const graph = `movie=${file}:seek_point=${seek},trim=start=${from}:end=${to},crop=iw/4:ih/4,signalstats`;
  const rows = await probeCsv([
    ...['-f', 'lavfi', '-i', graph],
    ...['-show_entries', 'frame=pts_time:frame_tags=lavfi.signalstats.YAVG'],
  ]);
  return rows.filter(([, yavg]) => Number(yavg) > 200).map(([pts]) => Number(pts));
}

/** The decoded sound (48 kHz mono) and the time of its first sample. */
async function decodeSound(file: string): Promise<{ t0: number; pcm: Int16Array; rate: number }> {
  const [first] = await probeCsv([
    ...['-select_streams', 'a', '-read_intervals', '%+#1', '-show_entries', 'frame=pts_time'],
    file,
  ]);
  const rate = 48000;
  const { stdout } = await runFfmpeg(['-i', file, '-map', '0:a', '-ac', '1', '-f', 's16le', '-']);
  const pcm = new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length >> 1);
  return { t0: Number(first?.[0]), pcm: Int16Array.from(pcm), rate };
}

/** Share of the power of `pcm[from, from+n)` that is at 1 kHz (Goertzel). */
function toneShare(pcm: Int16Array, from: number, n: number, rate: number): number {
  const w = (2 * Math.PI * beepHz) / rate;
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (let i = from; i < from + n; i++) {
    const x = pcm[i] ?? 0;
    total += x * x;
    const s = x + 2 * Math.cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
  return total > 0 ? (2 * power) / (n * total) : 0;
}

/** The onset of the beep near `t` (±0.3 s): 20 ms of silence, then a loud, pure 1 kHz tone. */
function beepOnset(sound: { t0: number; pcm: Int16Array; rate: number }, t: number) {
  const { pcm, rate } = sound;
  const span = Math.round(0.02 * rate);
  const start = Math.max(0, Math.round((t - 0.3 - sound.t0) * rate));
  const end = Math.min(pcm.length - span, Math.round((t + 0.3 - sound.t0) * rate));
  let lastLoud = start - 1;
  for (let i = start; i < end; i++) {
    if (Math.abs(pcm[i] ?? 0) <= 1500) continue;
    const afterSilence = i - lastLoud > span;
    lastLoud = i;
    if (!afterSilence || toneShare(pcm, i, span, rate) < 0.7) continue;
    const peak = pcm.subarray(i, i + span).reduce((most, x) => Math.max(most, Math.abs(x)), 0);
    if (peak > beepLevel / 2) return sound.t0 + i / rate;
  }
  return undefined;
}

export interface AvOffsets {
  /** Sound minus picture, ms, one per flash found (positive: the sound is late). */
  readonly offsetsMs: number[];
  readonly flashes: number;
  /** Flashes with no beep found near them. */
  readonly unmatched: number;
  /** Flashes shown on more than one frame: the frame after was late and repeated the flash. */
  readonly repeated: number;
  /** Flashes missing (a gap of more than a period): the flash frame was late and not shown. */
  readonly missing: number;
}

/**
 * Each flash as its first frame: a late frame after a flash repeats it (a run of white frames),
 * and the flash is where it began. Counts the runs longer than a frame and the periods skipped.
 */
function flashOnsets(times: readonly number[], periodSeconds: number, fps: number) {
  const onsets: number[] = [];
  let repeated = 0;
  let missing = 0;
  let run = 0;
  times.forEach((t, k) => {
    const previous = times[k - 1];
    if (previous !== undefined && t - previous < 1.5 / fps) {
      if (++run === 2) repeated++;
      return;
    }
    run = 1;
    const last = onsets.at(-1);
    if (last !== undefined) missing += Math.round((t - last) / periodSeconds) - 1;
    onsets.push(t);
  });
  return { onsets, repeated, missing };
}

/** A/V offsets over the first or last `seconds` of the captured stream. */
export async function avOffsets(
  file: string,
  part: 'first' | 'last',
  seconds: number,
  periodSeconds: number,
  fps: number,
): Promise<AvOffsets> {
  const [format] = await probeCsv(['-show_entries', 'format=start_time,duration', file]);
  const [start, duration] = [Number(format?.[0]), Number(format?.[1])];
  const from = part === 'first' ? start : start + duration - seconds;
  const [times, sound] = await Promise.all([
    flashTimes(file, from, from + seconds),
    decodeSound(file),
  ]);
  const { onsets, repeated, missing } = flashOnsets(times, periodSeconds, fps);
  const offsetsMs: number[] = [];
  for (const t of onsets) {
    const onset = beepOnset(sound, t);
    if (onset !== undefined) offsetsMs.push((onset - t) * 1000);
  }
  return {
    offsetsMs,
    flashes: onsets.length,
    unmatched: onsets.length - offsetsMs.length,
    repeated,
    missing,
  };
}
