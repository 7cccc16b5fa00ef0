/**
 * The few bytes of an RTP packet (RFC 3550) and of its H.264 payload (RFC 6184) that forwarding
 * needs. Pure functions on buffers; nothing here sends.
 */

/** The smallest RTP header: version, flags, payload type, sequence number, timestamp, SSRC. */
const rtpHeaderBytes = 12;

/** A version-2 RTP packet, and not RTCP (whose "payload types" 72–79 sit where marker+PT do). */
export function isRtp(packet: Buffer): boolean {
  if (packet.length < rtpHeaderBytes || packet[0]! >> 6 !== 2) return false;
  const type = packet[1]! & 0x7f;
  return type < 72 || type > 79;
}

/**
 * A copy of the packet carrying what one viewer negotiated: its payload type (the marker bit
 * kept) and its SSRC. Each viewer gets its own copy; sequence numbers and timestamps stay the
 * encoder's, so every viewer sees one continuous stream.
 */
export function rewriteRtp(packet: Buffer, payloadType: number, ssrc: number): Buffer {
  const copy = Buffer.from(packet);
  copy[1] = (packet[1]! & 0x80) | (payloadType & 0x7f);
  copy.writeUInt32BE(ssrc >>> 0, 8);
  return copy;
}

/** Where the payload starts: after the CSRC list and any header extension. */
function payloadOffset(packet: Buffer): number | undefined {
  let offset = rtpHeaderBytes + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  return offset < packet.length ? offset : undefined;
}

const nalSps = 7;
const nalIdr = 5;
const nalStapA = 24;
const nalFuA = 28;

/**
 * Whether this H.264 packet begins a picture a decoder can start from: an SPS (sent in-band just
 * before each IDR), an aggregate holding one, or the first fragment of an IDR slice. A new viewer
 * is sent video from here on, so its decoder never sees frames that refer to ones it lacks.
 */
export function startsH264Keyframe(packet: Buffer): boolean {
  const offset = payloadOffset(packet);
  if (offset === undefined) return false;
  const nal = packet[offset]! & 0x1f;
  if (nal === nalSps || nal === nalIdr) return true;
  if (nal === nalFuA) {
    const header = packet[offset + 1];
    return header !== undefined && (header & 0x80) !== 0 && (header & 0x1f) === nalIdr;
  }
  if (nal === nalStapA) {
    // STAP-A: one NAL header byte, then (16-bit size, NAL unit) pairs.
    for (let at = offset + 1; at + 2 < packet.length; at += 2 + packet.readUInt16BE(at)) {
      const inner = packet[at + 2]! & 0x1f;
      if (inner === nalSps || inner === nalIdr) return true;
    }
  }
  return false;
}
