/**
 * MPEG-TS is a run of 188-byte packets that each start with the sync byte 0x47. The RTMP relay
 * only ever hands ffmpeg whole packets, so what it drops, and where a new connection starts,
 * always falls on a packet boundary.
 */
export const tsPacketBytes = 188;
export const tsSyncByte = 0x47;

/** Whether a whole packet starts at `offset` (and, if the bytes go on, the next one too). */
function syncAt(bytes: Buffer, offset: number): boolean {
  if (bytes[offset] !== tsSyncByte) return false;
  const next = offset + tsPacketBytes;
  return next >= bytes.length || bytes[next] === tsSyncByte;
}

/** The packet's PID (13 bits after the sync byte). */
export function tsPid(bytes: Buffer, offset: number): number {
  return (((bytes[offset + 1] ?? 0) & 0x1f) << 8) | (bytes[offset + 2] ?? 0);
}

/** Whether the packet at `offset` starts a Program Association Table (PID 0, unit start). */
export function isPatStart(bytes: Buffer, offset: number): boolean {
  return tsPid(bytes, offset) === 0 && ((bytes[offset + 1] ?? 0) & 0x40) !== 0;
}

/**
 * Cuts a byte stream into whole packets: `push(chunk)` returns the complete packets now
 * available (concatenated, so length is a multiple of 188) and keeps the partial tail for the
 * next chunk. Bytes that do not line up with a sync byte are skipped (and counted) until two
 * packets in a row agree again.
 */
export class TsPacketCutter {
  private tail: Buffer = Buffer.alloc(0);
  /** Bytes skipped to find the sync again. */
  skipped = 0;

  push(chunk: Buffer): Buffer {
    let bytes = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    let start = 0;
    while (start < bytes.length && !syncAt(bytes, start)) start += 1;
    this.skipped += start;
    bytes = bytes.subarray(start);
    const whole = bytes.length - (bytes.length % tsPacketBytes);
    let end = 0;
    // Stop at the first packet that lost its sync; the rest is searched again next time.
    while (end < whole && bytes[end] === tsSyncByte) end += tsPacketBytes;
    this.tail = Buffer.from(bytes.subarray(end));
    return bytes.subarray(0, end);
  }
}

/** The offset of the first PAT packet in whole packets, or -1: where a new connection starts. */
export function firstPatOffset(packets: Buffer): number {
  for (let offset = 0; offset < packets.length; offset += tsPacketBytes) {
    if (isPatStart(packets, offset)) return offset;
  }
  return -1;
}
