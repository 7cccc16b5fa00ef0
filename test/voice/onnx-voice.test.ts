import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { normaliseLoudness } from '../../src/media/loudness.js';
import { openSpeech, type SpeechServices } from '../../src/voice/speech.js';
import { tempDir } from '../helpers/harness.js';
import { embeddingModel } from '../helpers/tiny-onnx.js';

const dir = tempDir();
const frame = 160;
const alphabet = ' abcdefghijklmnopqrstuvwxyz';
/** One 10 ms frame per symbol: a sine whose frequency tells the symbol (space is silence). */
const table = [...alphabet].map((symbol, k) =>
  Array.from({ length: frame }, (_, i) =>
    symbol === ' ' ? 0 : 0.5 * Math.sin((2 * Math.PI * (200 + 20 * k) * i) / 16000),
  ),
);
let speech: SpeechServices;

before(() => {
  const voice = path.join(dir, 'tiny');
  fs.mkdirSync(voice, { recursive: true });
  fs.writeFileSync(path.join(voice, 'model.onnx'), embeddingModel(table, 'ids', 'frames'));
  fs.writeFileSync(
    path.join(voice, 'voice.json'),
    JSON.stringify({
      name: 'Tiny test voice',
      language: 'en-US',
      sampleRate: 16000,
      symbols: Object.fromEntries([...alphabet].map((symbol, k) => [symbol, k])),
      input: 'ids',
      output: 'frames',
      frameSamples: frame,
    }),
  );
  // A voice without its model is left out, with the reason.
  fs.mkdirSync(path.join(dir, 'broken'));
  speech = openSpeech({
    ttsMaxChars: 1000,
    asrMaxStreams: 1,
    festivalProcesses: 1,
    onnxVoicesDir: dir,
  });
});
after(async () => {
  await speech.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an operator-supplied ONNX voice speaks through the TTS service, timed symbol by symbol', async () => {
  assert.deepEqual(speech.voiceProblems, ['broken: no model.onnx']);
  const listed = speech.tts.listVoices().find((voice) => voice.id === 'onnx-tiny');
  assert.equal(listed?.engine, 'onnx');
  const said = await speech.tts.synthesize(
    speech.tts.plan({ text: 'ab ba', voice: 'onnx-tiny', sampleRate: 16000 }),
  );
  // The model's output, exactly, brought to the loudness target: rows a, b, space, b, a of the
  // table, as 16-bit samples.
  const rows = ['a', 'b', ' ', 'b', 'a'].flatMap((symbol) => table[alphabet.indexOf(symbol)] ?? []);
  const raw = Buffer.alloc(rows.length * 2);
  rows.forEach((value, i) => raw.writeInt16LE(Math.round(value * 32767), i * 2));
  const expected = normaliseLoudness(raw, 16000);
  assert.equal(said.pcm.length, expected.length);
  for (let i = 0; i < rows.length; i++) {
    assert.ok(
      Math.abs(said.pcm.readInt16LE(i * 2) - expected.readInt16LE(i * 2)) <= 1,
      `sample ${i}`,
    );
  }
  assert.deepEqual(
    said.words.map((word) => [word.text, word.beginMs, word.endMs]),
    [
      ['ab', 0, 20],
      ['ba', 30, 50],
    ],
  );
});
