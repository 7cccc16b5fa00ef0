import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseBaseSegment, smoothTrack } from '../../src/avatar/track.js';

test('smoothing removes frame-to-frame jitter and keeps slow motion, without lag', () => {
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * 2;
  };
  const truth = Array.from({ length: 100 }, (_, i) => 100 + i * 0.5);
  const noisy = truth.map((value) => Float32Array.of(value + noise() * 2));
  const smooth = smoothTrack(noisy, 2);
  const error = (track: Float32Array[]) =>
    Math.sqrt(
      track
        .slice(10, 90)
        .reduce((sum, frame, i) => sum + ((frame[0] ?? 0) - (truth[i + 10] ?? 0)) ** 2, 0) / 80,
    );
  assert.ok(error(smooth) < error(noisy) / 2, `${error(smooth)} vs ${error(noisy)}`);
  // A straight ramp stays where it is: the kernel is symmetric.
  const ramp = smoothTrack(
    truth.map((value) => Float32Array.of(value)),
    2,
  );
  assert.ok(Math.abs((ramp[50]?.[0] ?? 0) - (truth[50] ?? 0)) < 1e-3);
});

test('the base segment is the stillest stretch whose end meets its start', () => {
  // Head still from 0-39, moving 40-69, still again 70-119 but drifting slowly.
  const poses = Array.from({ length: 120 }, (_, i) => {
    if (i < 40) return Float32Array.of(0, 0);
    if (i < 70) return Float32Array.of((i - 40) * 0.5, 0);
    return Float32Array.of(15 + (i - 70) * 0.01, 0);
  });
  const segment = chooseBaseSegment(poses, 30);
  assert.ok(segment.start >= 0 && segment.end <= 40, `${segment.start}-${segment.end}`);
  assert.equal(segment.end - segment.start, 30);
  assert.equal(segment.motion, 0);
  const whole = chooseBaseSegment(poses.slice(0, 10), 30);
  assert.deepEqual([whole.start, whole.end], [0, 10]);
});
