/** Reading back what the live outputs carry, with the real ffprobe, and the processes left. */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { runProcess } from '../../src/media/process.runner.js';

/**
 * The codec names of a file's or a stream URL's streams, sorted ("aac", "h264"). ffprobe lists
 * a stream once more under each program (HLS has one), so each index counts once.
 */
export async function probeCodecs(input: string, timeoutMs = 15_000): Promise<string[]> {
  const { stdout } = await runProcess(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=index,codec_name', '-of', 'csv=p=0', input],
    { signal: AbortSignal.timeout(timeoutMs) },
  );
  const byIndex = new Map(
    stdout
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(',') as [string, string]),
  );
  return [...byIndex.values()].sort();
}

/** The ids of this process's children that are ffmpeg (pgrep -P, as the brief of issue 14 asks). */
export function ffmpegChildren(): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg'])
      .toString()
      .trim()
      .split('\n');
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** A UDP socket on a free loopback port that keeps every datagram it receives. */
export async function udpCollector(): Promise<{
  port: number;
  packets: Buffer[];
  /** performance.now() at each packet's arrival, in step with `packets`. */
  arrivals: number[];
  close(): Promise<void>;
}> {
  const socket = dgram.createSocket('udp4');
  const packets: Buffer[] = [];
  const arrivals: number[] = [];
  socket.on('message', (message) => {
    packets.push(message);
    arrivals.push(performance.now());
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    packets,
    arrivals,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export interface RtpPacket {
  readonly payloadType: number;
  readonly timestamp: number;
  /** The H.264 NAL unit types it carries: a single NAL, each of a STAP-A, or a FU-A's start. */
  readonly nalTypes: number[];
}

/** Reads an RTP header (RFC 3550) and, for H.264 (RFC 6184), the NAL types of its payload. */
export function parseRtp(packet: Buffer): RtpPacket {
  const csrcs = (packet[0] ?? 0) & 0x0f;
  const extension = ((packet[0] ?? 0) & 0x10) !== 0;
  let offset = 12 + csrcs * 4;
  if (extension) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  const nalTypes: number[] = [];
  const type = (packet[offset] ?? 0) & 0x1f;
  if (type === 24) {
    for (let at = offset + 1; at + 2 < packet.length;) {
      const size = packet.readUInt16BE(at);
      nalTypes.push((packet[at + 2] ?? 0) & 0x1f);
      at += 2 + size;
    }
  } else if (type === 28) {
    if (((packet[offset + 1] ?? 0) & 0x80) !== 0) nalTypes.push((packet[offset + 1] ?? 0) & 0x1f);
  } else {
    nalTypes.push(type);
  }
  return { payloadType: (packet[1] ?? 0) & 0x7f, timestamp: packet.readUInt32BE(4), nalTypes };
}
