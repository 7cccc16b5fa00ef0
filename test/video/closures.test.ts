/** Lips that must meet: the viseme track's closures, and the check that reads them off frames. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closesLips } from '../../src/avatar/visemes.js';
import { closedReading, closureCheck } from '../../src/video/lip-sync.js';
import { visemeTrack } from '../../src/video/viseme-track.js';

const closedFrames = (track: ReturnType<typeof visemeTrack>) =>
  track.flatMap((mouth, k) => (mouth.from === 'closed' && mouth.to === 'closed' ? [k] : []));

test('p, b and m (and their eSpeak forms) close the lips; other sounds do not', () => {
  assert.deepEqual(
    ['P', 'b', 'M1', 'aa', 'f'].map((p) => closesLips(p, 'arpabet')),
    [true, true, true, false, false],
  );
  assert.deepEqual(
    ['p', 'ph', 'b', 'm', 'n', 'a'].map((p) => closesLips(p, 'espeak')),
    [true, true, true, true, false, false],
  );
});

test('a closure shuts every frame it mostly covers, from a little before it is heard', () => {
  // "a p a": the p from 100 to 160 ms at 25 fps. Frame 2 (80–120 ms) and frame 3 (120–160 ms)
  // are shut: the lips meet before the burst, not a frame late.
  const phonemes = [
    { symbol: 'aa', beginMs: 0, endMs: 100 },
    { symbol: 'p', beginMs: 100, endMs: 160 },
    { symbol: 'aa', beginMs: 160, endMs: 320 },
  ];
  assert.deepEqual(closedFrames(visemeTrack(phonemes, 'arpabet', 8, 25)), [2, 3]);
  // A short m (30 ms, inside one frame) still shuts one.
  const short = [
    { symbol: 'a', beginMs: 0, endMs: 130 },
    { symbol: 'm', beginMs: 130, endMs: 160 },
    { symbol: 'a', beginMs: 160, endMs: 320 },
  ];
  assert.deepEqual(closedFrames(visemeTrack(short, 'espeak', 8, 25)), [3]);
  // A very short b (10 ms, at the start of frame 4): the frame it is in is shut too, not only
  // the one its lead reaches into.
  const tiny = [
    { symbol: 'aa', beginMs: 0, endMs: 160 },
    { symbol: 'b', beginMs: 160, endMs: 170 },
    { symbol: 'aa', beginMs: 170, endMs: 320 },
  ];
  assert.deepEqual(closedFrames(visemeTrack(tiny, 'arpabet', 8, 25)), [3, 4]);
});

test("the closure check reads each p/b/m's frames against the mouth's own shut reading", () => {
  const openings = [0.03, 0.031, 0.006, 0.007, 0.03, 0.02, 0.012, 0.03, 0.005, 0.03];
  const phonemes = [
    { symbol: 'p', beginMs: 80, endMs: 160 }, // frames 2 and 3: shut
    { symbol: 'b', beginMs: 240, endMs: 280 }, // frame 6: 0.012, not shut
    { symbol: 'm', beginMs: 330, endMs: 345 }, // no frame middle inside: the frame it is in, 8
    { symbol: 'aa', beginMs: 0, endMs: 80 },
  ];
  const shut = closedReading(openings);
  assert.equal(shut, 0.005);
  const check = closureCheck(openings, phonemes, 'arpabet', { fps: 25, closedGap: shut + 0.004 });
  assert.deepEqual(
    check.closures.map((c) => [c.symbol, c.frames, c.closedFrames]),
    [
      ['p', [2, 3], 2],
      ['b', [6], 0],
      ['m', [8], 1],
    ],
  );
  assert.equal(check.closed, 2);
});

test("the mouth opens and closes at a speaker's pace: lips part over two frames, closures kept", () => {
  // Silence, a long wide-open vowel, a b, the vowel again: shut to wide and back in one frame,
  // unless held to a pace.
  const phonemes = [
    { symbol: 'pau', beginMs: 0, endMs: 200 },
    { symbol: 'aa', beginMs: 200, endMs: 400 },
    { symbol: 'b', beginMs: 400, endMs: 480 },
    { symbol: 'aa', beginMs: 480, endMs: 680 },
    { symbol: 'pau', beginMs: 680, endMs: 900 },
  ];
  const track = visemeTrack(phonemes, 'arpabet', 22, 25);
  const openness = { closed: 0, open: 1 } as Record<string, number>;
  const opening = (m: (typeof track)[number]) =>
    (openness[m.from] ?? NaN) * (1 - m.mix) + (openness[m.to] ?? NaN) * m.mix;
  // At most 0.35 a frame on the square root of the opening: from shut, 0.12 and then 0.49.
  const steps = track
    .slice(1)
    .map((m, k) => Math.abs(Math.sqrt(opening(m)) - Math.sqrt(opening(track[k]!))));
  assert.ok(Math.max(...steps) <= 0.35 + 1e-9, steps.map((x) => x.toFixed(2)).join(' '));
  track.forEach((m, k) => {
    if (k > 0 && opening(track[k - 1]!) === 0) {
      assert.ok(opening(m) <= 0.1225 + 1e-9, `frame ${k} parts the lips by ${opening(m)} at once`);
    }
  });
  assert.ok(Math.max(...track.map(opening)) > 0.9, 'the vowel still opens wide');
  // The b (400–480 ms, shut from 380 ms) shuts frames 9 (360–400, a half inside), 10 and 11.
  assert.deepEqual(
    closedFrames(track).filter((k) => k >= 8 && k <= 13),
    [9, 10, 11],
  );
});
