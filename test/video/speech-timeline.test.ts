import assert from 'node:assert/strict';
import { test } from 'node:test';
import { easeFrames, SpeechTimeline } from '../../src/video/speech-timeline.js';
import type { MouthFrame } from '../../src/video/viseme-track.js';

const open: MouthFrame = { from: 'open', to: 'open', mix: 0 };
const piece = (samples: number, value = 1000, utterance = 1) => ({
  pcm: new Int16Array(samples).fill(value),
  mouths: (frames: number) => Array.from({ length: frames }, () => open),
  scene: 0,
  utterance,
});

test('every frame carries exactly its share of samples, with no sample lost or repeated', () => {
  for (const [rate, fps] of [
    [16000, 25],
    [16000, 30],
    [48000, 24],
  ] as const) {
    const timeline = new SpeechTimeline(rate, fps);
    let total = 0;
    for (let n = 0; n < fps * 3; n++) total += timeline.samplesIn(n);
    assert.equal(total, rate * 3, `${rate} Hz at ${fps} fps`);
  }
});

test('speech sounds on the frames it is placed at, silence elsewhere, and the mouth follows', () => {
  const timeline = new SpeechTimeline(16000, 25);
  const placed = timeline.place(piece(640 * 3 + 10), 5);
  assert.equal(placed.startFrame, 5);
  assert.equal(placed.endFrame, 9, 'three frames and ten samples need four frames');
  const out = new Int16Array(640);
  assert.ok(timeline.audioInto(4, out).every((s) => s === 0));
  assert.ok(timeline.audioInto(5, out).every((s) => s === 1000));
  const last = timeline.audioInto(8, out);
  assert.equal(last.filter((s) => s === 1000).length, 10);
  assert.equal(timeline.mouthAt(4).from, 'closed');
  assert.equal(timeline.mouthAt(6).from, 'open');
  // The next piece goes after this one even when asked earlier.
  assert.equal(timeline.place(piece(640), 0).startFrame, 9);
});

test('a cut fades the sound over one frame, eases the mouth to rest and drops what follows', () => {
  const timeline = new SpeechTimeline(16000, 25);
  timeline.place(piece(640 * 10, 1000, 1), 0);
  timeline.place(piece(640 * 10, 2000, 2), 0);
  const cut = timeline.cut(4);
  assert.deepEqual([...cut].sort(), [1, 2]);
  const out = new Int16Array(640);
  assert.ok(
    timeline.audioInto(3, out).every((s) => s === 1000),
    'frames before the cut are kept',
  );
  const fading = timeline.audioInto(4, out);
  assert.equal(fading[0], 1000);
  assert.ok((fading[639] ?? 1) < 10, 'the cut frame fades to silence');
  assert.ok(timeline.audioInto(5, out).every((s) => s === 0));
  const mixes = Array.from({ length: easeFrames }, (_, k) => timeline.mouthAt(4 + k));
  assert.ok(mixes.every((mouth) => mouth.to === 'closed'));
  assert.equal(mixes.at(-1)?.mix, 1);
  assert.equal(timeline.mouthAt(4 + easeFrames).from, 'closed');
  assert.equal(
    timeline.place(piece(640), 4).startFrame,
    4 + easeFrames,
    'new speech waits for the ease',
  );
});
