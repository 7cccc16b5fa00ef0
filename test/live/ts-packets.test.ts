import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstPatOffset, TsPacketCutter, tsPacketBytes } from '../../src/live/ts-packets.js';

/** A TS packet of `pid`, its payload filled with `fill`; unit start set when asked. */
function packet(pid: number, fill: number, unitStart = false): Buffer {
  const bytes = Buffer.alloc(tsPacketBytes, fill);
  bytes[0] = 0x47;
  bytes[1] = (unitStart ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  bytes[2] = pid & 0xff;
  bytes[3] = 0x10;
  return bytes;
}

test('whole packets come out whatever the chunking, the partial tail waits for the next chunk', () => {
  const stream = Buffer.concat([packet(0, 1, true), packet(256, 2), packet(257, 3)]);
  const cutter = new TsPacketCutter();
  const first = cutter.push(stream.subarray(0, 200));
  assert.equal(first.length, tsPacketBytes);
  const second = cutter.push(stream.subarray(200, 400));
  assert.equal(second.length, tsPacketBytes);
  const third = cutter.push(stream.subarray(400));
  assert.deepEqual(Buffer.concat([first, second, third]), stream);
  assert.equal(cutter.skipped, 0);
});

test('bytes out of step are skipped until two packets in a row line up again', () => {
  const cutter = new TsPacketCutter();
  const garbage = Buffer.from([0x47, 1, 2, 3, 4, 5, 6]);
  const good = Buffer.concat([packet(256, 7), packet(257, 9), packet(258, 8)]);
  const out = cutter.push(Buffer.concat([garbage, good]));
  assert.equal(cutter.skipped, garbage.length);
  assert.deepEqual(out, good);
});

test('a new connection starts at the first PAT', () => {
  const packets = Buffer.concat([packet(256, 2), packet(0, 0, false), packet(0, 0, true)]);
  assert.equal(firstPatOffset(packets), 2 * tsPacketBytes);
  assert.equal(firstPatOffset(packet(256, 0)), -1);
});
