/**
 * bench/live-encode: what one live session's encoder costs and how long it holds a frame.
 * A 720p25 encoder with all its outputs (HLS, RTP video and audio, MPEG-TS on stdout) is fed in
 * real time for 20 s at each preset; CPU is the ffmpeg's own user + system time from /proc over
 * the run; latency is from a frame's write to its first RTP packet's arrival on a loopback socket.
 *
 *   node dist/bench/live-encode.js [seconds] [preset ...]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildLiveEncodeArgs } from '../src/live/live-encode.args.js';
import { liveSampleRate } from '../src/live/running-live.js';
import { startFfmpeg } from '../src/media/process.runner.js';
import { feedLive } from '../test/helpers/live-feed.js';
import { parseRtp, udpCollector } from '../test/helpers/live-probe.js';

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** user + system seconds of a process so far (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid: string): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function measure(preset: string, seconds: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-live-'));
  const [video, audio] = await Promise.all([udpCollector(), udpCollector()]);
  const picture = { width: 1280, height: 720, fps: 25, sampleRate: liveSampleRate };
  const args = buildLiveEncodeArgs({
    ...picture,
    preset,
    hls: { dir, segmentSeconds: 1 },
    rtp: { videoPort: video.port, audioPort: audio.port },
    transport: true,
  });
  const encoder = startFfmpeg(args, { extraInputs: 1 });
  encoder.stdout.resume();
  const pid = execFileSync('pgrep', ['-n', '-P', String(process.pid), 'ffmpeg'])
    .toString()
    .trim();
  const written: number[] = [];
  const cpuAtStart = cpuSeconds(pid);
  const fed = await feedLive(encoder, {
    ...picture,
    seconds,
    onFrame: (n, at) => (written[n] = at),
  });
  const cpu = cpuSeconds(pid) - cpuAtStart;
  await encoder.done;
  await Promise.all([video.close(), audio.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
  // The first packet of each frame (RTP timestamp, 90 kHz: 3600 a frame at 25 fps).
  const arrivals = new Map<number, number>();
  video.packets.forEach((packet, k) => {
    const { timestamp } = parseRtp(packet);
    if (!arrivals.has(timestamp)) arrivals.set(timestamp, video.arrivals[k] ?? NaN);
  });
  const stamps = [...arrivals.keys()];
  const base = stamps[0] ?? 0;
  const latencies = stamps
    .map(
      (stamp) =>
        (arrivals.get(stamp) ?? NaN) -
        (written[Math.round((stamp - base) / (90000 / picture.fps))] ?? NaN),
    )
    .filter((ms) => Number.isFinite(ms))
    .sort((a, b) => a - b);
  console.log(
    `${preset}: CPU ${((100 * cpu) / seconds).toFixed(0)}% of a core over ${seconds} s; ` +
      `frame→RTP p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ` +
      `${percentile(latencies, 0.95).toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms ` +
      `(${latencies.length} frames); longest write wait ${fed.longestWaitMs.toFixed(0)} ms`,
  );
}

const seconds = Number(process.argv[2] ?? 20);
const presets = process.argv.slice(3);
for (const preset of presets.length > 0 ? presets : ['ultrafast', 'superfast', 'veryfast']) {
  await measure(preset, seconds);
}
