import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRtp, rewriteRtp, startsH264Keyframe } from '../../src/live/rtp.js';

/** An RTP packet: marker, payload type 96, sequence 0x1234, timestamp 0x01020304, SSRC 0xaabbccdd. */
function rtp(payload: number[], marker = false): Buffer {
  const header = [0x80, (marker ? 0x80 : 0) | 96, 0x12, 0x34, 1, 2, 3, 4, 0xaa, 0xbb, 0xcc, 0xdd];
  return Buffer.from([...header, ...payload]);
}

test('a viewer copy carries its payload type and SSRC; marker, sequence, time and payload stay', () => {
  const packet = rtp([0x65, 1, 2, 3], true);
  const copy = rewriteRtp(packet, 108, 0x01020304);
  assert.equal(copy[1], 0x80 | 108);
  assert.equal(copy.readUInt32BE(8), 0x01020304);
  assert.deepEqual(copy.subarray(2, 8), packet.subarray(2, 8));
  assert.deepEqual(copy.subarray(12), packet.subarray(12));
  assert.equal(packet[1], 0x80 | 96, 'the original is left for the next viewer');
  assert.equal(rewriteRtp(rtp([0x41]), 108, 0xffffffff)[1], 108);
});

test('RTCP and short or foreign packets are not taken for RTP', () => {
  assert.equal(isRtp(rtp([0x65])), true);
  assert.equal(isRtp(Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0])), false); // sender report
  assert.equal(isRtp(Buffer.from([0x80, 96, 0])), false);
  assert.equal(isRtp(Buffer.alloc(12)), false);
});

test('a keyframe starts at an SPS, an IDR, an aggregate holding one, or an IDR first fragment', () => {
  assert.equal(startsH264Keyframe(rtp([0x67, 0x42])), true); // SPS
  assert.equal(startsH264Keyframe(rtp([0x65, 0x88])), true); // IDR slice whole
  assert.equal(startsH264Keyframe(rtp([0x7c, 0x85, 0x88])), true); // FU-A, start, IDR
  assert.equal(startsH264Keyframe(rtp([0x7c, 0x05, 0x88])), false); // FU-A, middle of IDR
  assert.equal(startsH264Keyframe(rtp([0x7c, 0x81, 0x9a])), false); // FU-A, start, non-IDR
  assert.equal(startsH264Keyframe(rtp([0x41, 0x9a])), false); // non-IDR slice
  assert.equal(startsH264Keyframe(rtp([0x68, 0xce])), false); // PPS alone
  // STAP-A: [size 2][SEI 0x06 ..] [size 2][SPS 0x67 ..]
  assert.equal(startsH264Keyframe(rtp([0x78, 0, 2, 0x06, 5, 0, 2, 0x67, 0x42])), true);
  assert.equal(startsH264Keyframe(rtp([0x78, 0, 2, 0x06, 5, 0, 2, 0x68, 0xce])), false);
  // A header extension (one word) before the payload is skipped.
  const extended = Buffer.from([
    0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 0x67,
  ]);
  assert.equal(startsH264Keyframe(extended), true);
});
