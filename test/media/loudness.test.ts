/** The loudness meter and the normaliser, checked against ffmpeg's own EBU R128 meter. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  LoudnessMeter,
  integratedLoudness,
  loudnessTarget,
  normaliseLoudness,
} from '../../src/media/loudness.js';
import { samplesOf, toWav } from '../../src/media/pcm.js';
import { measuredLoudness } from '../helpers/media.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-loudness-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A tone of `hz` at `amplitude` (of full scale) for `seconds`, as 16-bit samples. */
function tone(hz: number, amplitude: number, seconds: number, rate: number): Int16Array {
  return Int16Array.from({ length: Math.round(seconds * rate) }, (_, i) =>
    Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

/** Syllable-like bursts: a few tones, loud and soft, with gaps, like speech's rhythm. */
function bursts(rate: number, amplitude: number): Int16Array {
  const out = new Int16Array(rate * 4);
  for (let k = 0; k < 12; k++) {
    const start = Math.round(k * 0.33 * rate);
    const burst = tone(180 + 40 * (k % 4), amplitude * (k % 3 === 0 ? 1 : 0.4), 0.2, rate);
    out.set(burst.subarray(0, Math.min(burst.length, out.length - start)), start);
  }
  return out;
}

function bytesOf(samples: Int16Array): Buffer {
  const buffer = Buffer.alloc(samples.length * 2);
  samples.forEach((sample, i) => buffer.writeInt16LE(sample, i * 2));
  return buffer;
}

async function ffmpegReads(samples: Int16Array, rate: number) {
  const file = path.join(dir, `s-${rate}-${samples.length}-${samples[100] ?? 0}.wav`);
  fs.writeFileSync(file, toWav(bytesOf(samples), rate));
  return measuredLoudness(file);
}

test('a 1 kHz tone reads as BS.1770 says (0 dBFS peak: −3.01 LUFS), at 16 and 48 kHz, as ffmpeg reads it', async () => {
  for (const rate of [16000, 48000]) {
    const signal = tone(1000, 0.1, 3, rate);
    const ours = integratedLoudness(signal, rate);
    assert.ok(Math.abs(ours - (-3.01 - 20)) < 0.1, `${rate} Hz: ${ours}`);
    const theirs = await ffmpegReads(signal, rate);
    assert.ok(
      Math.abs(ours - theirs.lufs) < 0.2,
      `${rate} Hz: ours ${ours}, ffmpeg ${theirs.lufs}`,
    );
  }
});

test('gating: silence around speech-like bursts does not lower the reading; pieces add up', async () => {
  const rate = 16000;
  const speech = bursts(rate, 0.3);
  const padded = new Int16Array(speech.length * 3);
  padded.set(speech, speech.length);
  const alone = integratedLoudness(speech, rate);
  assert.ok(Math.abs(integratedLoudness(padded, rate) - alone) < 0.5);
  assert.ok(Math.abs(alone - (await ffmpegReads(speech, rate)).lufs) < 0.5);
  const meter = new LoudnessMeter(rate);
  for (let at = 0; at < speech.length; at += 777) meter.push(speech.subarray(at, at + 777));
  assert.ok(Math.abs(meter.lufs() - alone) < 1e-9, 'pushed in pieces or whole, the same');
  assert.equal(integratedLoudness(new Int16Array(rate), rate), -Infinity);
});

test('quiet and hot sound both come out at the target, peaks under −1 dBTP, as ffmpeg reads them', async () => {
  for (const rate of [16000, 48000]) {
    for (const amplitude of [0.05, 0.95]) {
      const out = normaliseLoudness(bytesOf(bursts(rate, amplitude)), rate);
      const read = await ffmpegReads(samplesOf(out), rate);
      assert.ok(
        Math.abs(read.lufs - loudnessTarget.lufs) < 1,
        `${rate}/${amplitude}: ${read.lufs}`,
      );
      assert.ok(read.truePeak < -1, `${rate}/${amplitude}: true peak ${read.truePeak}`);
    }
  }
});

test('a listener volume scales after the target, and still never passes the ceiling', () => {
  const rate = 16000;
  const speech = bytesOf(bursts(rate, 0.3));
  const normal = integratedLoudness(samplesOf(normaliseLoudness(speech, rate)), rate);
  const half = integratedLoudness(samplesOf(normaliseLoudness(speech, rate, 0.5)), rate);
  assert.ok(Math.abs(normal - half - 6.02) < 0.3, `${normal} vs ${half}`);
  const loud = samplesOf(normaliseLoudness(speech, rate, 4));
  const ceiling = 10 ** (loudnessTarget.peakDbfs / 20) * 32767;
  assert.ok(Math.max(...loud.map(Math.abs)) <= Math.ceil(ceiling));
});
