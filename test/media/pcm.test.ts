import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyGain, durationMs, pcmOfWav, resample, silence, toWav } from '../../src/media/pcm.js';

function tone(frequency: number, sampleRate: number, seconds: number, amplitude = 0.5): Buffer {
  const count = Math.round(sampleRate * seconds);
  const pcm = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) {
    pcm.writeInt16LE(
      Math.round(Math.sin((2 * Math.PI * frequency * i) / sampleRate) * amplitude * 32767),
      i * 2,
    );
  }
  return pcm;
}

function rms(pcm: Buffer): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 2) sum += pcm.readInt16LE(i) ** 2;
  return Math.sqrt(sum / (pcm.length / 2)) / 32768;
}

/** Zero crossings per second over the middle of the sound: twice its frequency for a pure tone. */
function frequencyOf(pcm: Buffer, sampleRate: number): number {
  const count = pcm.length / 2;
  const from = Math.floor(count / 4);
  const to = Math.floor((3 * count) / 4);
  let crossings = 0;
  for (let i = from + 1; i < to; i++) {
    if (pcm.readInt16LE((i - 1) * 2) < 0 !== pcm.readInt16LE(i * 2) < 0) crossings++;
  }
  return crossings / 2 / ((to - from) / sampleRate);
}

test('resampling keeps a tone at its pitch and length', () => {
  const input = tone(440, 22050, 1);
  for (const rate of [16000, 24000, 48000]) {
    const output = resample(input, 22050, rate);
    assert.equal(durationMs(output, rate), 1000);
    assert.ok(
      Math.abs(frequencyOf(output, rate) - 440) < 3,
      `${rate}: ${frequencyOf(output, rate)}`,
    );
    assert.ok(Math.abs(rms(output) - rms(input)) < 0.01);
  }
});

test('going down, content above the new Nyquist is filtered out, not folded back', () => {
  const output = resample(tone(10000, 44100, 0.5), 44100, 16000);
  assert.ok(rms(output) < 0.01, `alias level ${rms(output)}`);
});

test('declaring another source rate shifts pitch and length by the same factor', () => {
  const output = resample(tone(440, 16000, 1), 16000 * 2 ** (3 / 12), 16000);
  const expected = 440 * 2 ** (3 / 12);
  assert.ok(Math.abs(frequencyOf(output, 16000) - expected) < 4);
  assert.ok(Math.abs(durationMs(output, 16000) - 1000 / 2 ** (3 / 12)) < 2);
});

test('gain scales and clips; silence and WAV framing have the right sizes', () => {
  const input = tone(440, 16000, 0.1, 0.4);
  assert.ok(Math.abs(rms(applyGain(input, 0.5)) - rms(input) / 2) < 0.002);
  const loud = applyGain(input, 10);
  for (let i = 0; i < loud.length; i += 2) assert.ok(Math.abs(loud.readInt16LE(i)) <= 32768);
  assert.equal(silence(250, 16000).length, 8000);
  const wav = toWav(input, 16000);
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(24), 16000);
  assert.equal(wav.readUInt32LE(40), input.length);
});

test('the samples of a WAV file are found past any chunk before them', () => {
  const pcm = tone(440, 16000, 0.05);
  assert.ok(pcmOfWav(toWav(pcm, 16000)).equals(pcm));
  const wav = toWav(pcm, 16000);
  // A LIST chunk (odd length, padded) between fmt and data, as many recorders write.
  const list = Buffer.concat([
    Buffer.from('LIST'),
    Buffer.from([3, 0, 0, 0]),
    Buffer.from('abc\0'),
  ]);
  const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
  assert.ok(pcmOfWav(withList).equals(pcm));
  assert.throws(() => pcmOfWav(Buffer.from('not a wav file at all')), /not a WAV file/);
});
