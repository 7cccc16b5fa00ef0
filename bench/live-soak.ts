/**
 * Parts 1 and 2 of bench/live: one 720p25 session over time (its counters, and what came out of
 * its encoder: frame regularity and the A/V offset of flashes and beeps), and interrupts timed
 * from the push call to the first RTP packet of the new text's first frame.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LiveSession } from '../src/live/live-session.js';
import { parseRtp, udpCollector } from '../test/helpers/live-probe.js';
import { avOffsets, beepOnFrames, regularity, TransportCapture } from './live-output.js';
import {
  benchSession,
  flashingSource,
  fps,
  ms,
  percentile,
  sentences,
  ttsUtterance,
  type Rig,
} from './live-rig.js';

const say = (text: string) => void process.stdout.write(`${text}\n`);

function sayCounters(session: LiveSession): void {
  const c = session.counters();
  say(
    `  counters: ${c.sent} frames sent, late ${c.late}, repeated ${c.repeated}, dropped ` +
      `${c.dropped} (goal 0 each); worst lateness ${ms(c.worstLateMs)} (a frame is 40 ms)`,
  );
}

function sayOffsets(label: string, result: Awaited<ReturnType<typeof avOffsets>>): void {
  const { offsetsMs: o } = result;
  const mean = o.reduce((sum, x) => sum + x, 0) / Math.max(1, o.length);
  say(
    `  A/V offset, ${label}: ${o.length} flash/beep pairs (of ${result.flashes} flashes), sound ` +
      `minus picture mean ${mean.toFixed(1)} ms, min ${Math.min(...o).toFixed(1)}, max ` +
      `${Math.max(...o).toFixed(1)} (goal |offset| < 40 ms); on the output ${result.repeated} flash(es) ` +
      `shown twice (the next frame late, repeated) and ${result.missing} missing (late, not shown)`,
  );
}

/** The scene: the three sentences in turn, looped. */
const loopedSpeech = (id: number) => ttsUtterance(sentences[id % 3] ?? '', id, 'script');

/** Part 1: `minutes` at 1280x720 25 fps, speech looping, a flash and a beep every second. */
export async function soak(rig: Rig, minutes: number, beepShift: number): Promise<void> {
  say(`soak: 1280x720 ${fps} fps, GRID avatar, TTS looping, ${minutes} min`);
  const capture = new TransportCapture(path.join(rig.dir, 'soak.ts'));
  const session = benchSession(rig, {
    width: 1280,
    height: 720,
    source: (avatar) => flashingSource(avatar, fps),
    scene: loopedSpeech,
    recycle: true,
    onTransport: capture.onChunk,
  });
  beepOnFrames(session.timeline, fps, beepShift);
  try {
    await session.start();
    await sleep(minutes * 60_000);
  } finally {
    await session.close();
    await capture.close();
  }
  sayCounters(session);
  const even = regularity(capture.frames, fps);
  say(
    `  output (MPEG-TS as it arrived): ${even.frames} frames, PTS steps other than 40 ms: ` +
      `${even.badSteps}; arrival behind the steady pace p50 ${ms(percentile(even.lagMs, 0.5))}, ` +
      `p95 ${ms(percentile(even.lagMs, 0.95))}, max ${ms(Math.max(...even.lagMs))}`,
  );
  const seconds = Math.min(10, minutes * 30);
  sayOffsets(`first ${seconds} s`, await avOffsets(capture.file, 'first', seconds, 1, fps));
  sayOffsets(`last ${seconds} s`, await avOffsets(capture.file, 'last', seconds, 1, fps));
}

interface Interrupt {
  readonly pushedAt: number;
  startedAt?: number;
  frame?: number;
  /** Frames already sent when it was placed: its first frame is due (frame − sent) × 40 ms later. */
  sentThen?: number;
}

/** Part 2: interrupts with text while the avatar speaks, to the new text's first RTP packet. */
export async function interrupts(rig: Rig, count: number): Promise<void> {
  say(`interrupt → first frame of the new text at the encoder's RTP output, ${count} interrupts`);
  const [video, audio] = await Promise.all([udpCollector(), udpCollector()]);
  const asked = new Map<number, Interrupt>();
  // The session, once made: its events come only after start(), by when it is set.
  const made: { session?: LiveSession } = {};
  const session = benchSession(rig, {
    width: 1280,
    height: 720,
    source: (avatar) => avatar,
    scene: loopedSpeech,
    recycle: true,
    rtp: { videoPort: video.port, audioPort: audio.port },
    events: {
      onUtterance: (utterance, outcome) => {
        const pending = asked.get(utterance.id);
        if (outcome !== 'started' || !pending) return;
        pending.startedAt = performance.now();
        // Called as its first piece is placed: that piece is the timeline's last.
        pending.frame = made.session?.timeline.latestBy(Number.MAX_SAFE_INTEGER)?.startFrame;
        pending.sentThen = made.session?.counters().sent;
      },
    },
  });
  made.session = session;
  try {
    await session.start();
    await sleep(3000);
    for (let k = 0; k < count; k++) {
      const pushedAt = performance.now();
      const utterance = session.push(
        ttsUtterance(`Interrupt number ${k + 1}. ${sentences[k % 3]}`),
        true,
      );
      asked.set(utterance.id, { pushedAt });
      // Into the new text's speech, at a different point each time.
      await sleep(1500 + (k % 5) * 200);
    }
    await sleep(1000);
  } finally {
    await session.close();
    await Promise.all([video.close(), audio.close()]);
  }
  sayCounters(session);
  sayInterrupts([...asked.values()], video);
}

function sayInterrupts(
  asked: readonly Interrupt[],
  video: { packets: Buffer[]; arrivals: number[] },
): void {
  const firstArrival = new Map<number, number>();
  video.packets.forEach((packet, k) => {
    const { timestamp } = parseRtp(packet);
    if (!firstArrival.has(timestamp)) firstArrival.set(timestamp, video.arrivals[k] ?? NaN);
  });
  const base = [...firstArrival.keys()][0] ?? 0;
  const total: number[] = [];
  const tts: number[] = [];
  const slot: number[] = [];
  for (const one of asked) {
    if (one.frame === undefined || one.startedAt === undefined) continue;
    const arrival = firstArrival.get((base + one.frame * (90000 / fps)) >>> 0);
    if (arrival === undefined) continue;
    total.push(arrival - one.pushedAt);
    tts.push(one.startedAt - one.pushedAt);
    slot.push(((one.frame - (one.sentThen ?? one.frame)) * 1000) / fps);
  }
  const line = (values: number[]) =>
    `p50 ${ms(percentile(values, 0.5))}, p95 ${ms(percentile(values, 0.95))}, max ${ms(Math.max(...values))}`;
  say(
    `  push → first RTP packet of the new text's first frame (${total.length} of ${asked.length}): ${line(total)} (goal p95 < 300 ms)`,
  );
  say(`  of which TTS (push → first phrase placed): ${line(tts)}`);
  say(
    `  then waiting for its frame's turn (placed at the first frame not yet drawn, after the cut ` +
      `speech's ease to rest): ${line(slot)}; the rest is composing, encoding and RTP`,
  );
}
