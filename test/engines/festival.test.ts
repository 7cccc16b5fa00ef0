import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EnginePool } from '../../src/engines/tts/engine-pool.js';
import { FestivalEngine, schemeString } from '../../src/engines/tts/festival.engine.js';
import { openSpeech } from '../../src/voice/speech.js';

const engine = new FestivalEngine();
after(() => engine.close());
const slt = {
  engineVoice: 'cmu_us_slt_arctic_hts',
  sampleRate: 16000,
  rate: 1,
};

test('text reaches Scheme as one string literal, whatever it holds', () => {
  assert.equal(schemeString('say "hi" \\ (now)'), '"say \\"hi\\" \\\\ (now)"');
});

test('Festival speaks a sentence with word and phoneme times exact to its audio', async () => {
  const result = await engine.synthesize('The quick brown fox, jumps over the lazy dog.', slt);
  assert.deepEqual(
    result.words.map((word) => word.text),
    ['The', 'quick', 'brown', 'fox,', 'jumps', 'over', 'the', 'lazy', 'dog.'],
  );
  assert.equal(result.sampleRate, 16000);
  assert.equal(result.pcm.length % 2, 0);
  assert.ok(result.durationMs > 2000 && result.durationMs < 5000, `duration ${result.durationMs}`);
  const last = result.phonemes.at(-1);
  assert.ok(
    last && Math.abs(last.endMs - result.durationMs) < 50,
    'the last phoneme ends with the audio',
  );
  for (let i = 1; i < result.phonemes.length; i++) {
    assert.ok((result.phonemes[i]?.beginMs ?? 0) >= (result.phonemes[i - 1]?.beginMs ?? 0));
  }
  for (const word of result.words)
    assert.ok(word.beginMs < word.endMs && word.endMs <= result.durationMs);
  // The audio is speech, not silence: RMS well above the noise floor.
  let sum = 0;
  for (let i = 0; i < result.pcm.length; i += 2) sum += result.pcm.readInt16LE(i) ** 2;
  assert.ok(Math.sqrt(sum / (result.pcm.length / 2)) > 500);
});

/** The Festival process the engine is talking to now. */
const festivalPid = () => (engine as unknown as { child?: { pid?: number } }).child?.pid;

test('the warm process answers every sentence, in order, and at 24 kHz on request', async () => {
  await engine.synthesize('Warm up.', slt);
  const warm = festivalPid();
  assert.ok(warm, 'a Festival process is running');
  const finished: string[] = [];
  const texts = ['One.', 'Two, three.', 'Four five six.'];
  const results = await Promise.all(
    texts.map(async (text) => {
      const result = await engine.synthesize(text, slt);
      finished.push(text);
      return result;
    }),
  );
  assert.deepEqual(
    results.map((result) => result.words.map((word) => word.text).join(' ')),
    texts,
  );
  // One process took them one after another: the first was done before the last.
  assert.deepEqual(finished, texts);
  assert.equal(festivalPid(), warm, 'no cold start per sentence');
  const wide = await engine.synthesize('Hello.', { ...slt, sampleRate: 24000 });
  assert.equal(wide.sampleRate, 24000);
  assert.ok(Math.abs(wide.pcm.length / 2 / 24000 - wide.durationMs / 1000) < 0.01);
});

test('if Festival dies, pending work fails clearly and the next request starts it again', async () => {
  await engine.synthesize('Alive.', slt);
  const child = (engine as unknown as { child: { kill(signal: string): void } }).child;
  const inFlight = engine.synthesize('This one is lost.', slt);
  child.kill('SIGKILL');
  await assert.rejects(inFlight, /festival stopped/);
  const again = await engine.synthesize('Back again.', slt);
  assert.deepEqual(
    again.words.map((word) => word.text),
    ['Back', 'again.'],
  );
});

test('speaking rate changes the audio and its times together, for HTS and diphone voices', async () => {
  for (const engineVoice of ['cmu_us_slt_arctic_hts', 'kal_diphone']) {
    const text = 'The lazy dog sleeps in the sun.';
    const normal = await engine.synthesize(text, { ...slt, engineVoice });
    const fast = await engine.synthesize(text, { ...slt, engineVoice, rate: 1.5 });
    const ratio = normal.durationMs / fast.durationMs;
    assert.ok(
      ratio > 1.3 && ratio < 1.7,
      `${engineVoice}: ${normal.durationMs} / ${fast.durationMs}`,
    );
    const last = fast.phonemes.at(-1);
    assert.ok(last && Math.abs(last.endMs - fast.durationMs) < 60, `${engineVoice} times follow`);
  }
});

test('words keep their written form: a number read as several words is one timed word', async () => {
  const result = await engine.synthesize('Mr. Smith paid $12.50 for 2 books.', slt);
  assert.deepEqual(
    result.words.map((word) => word.text),
    ['Mr.', 'Smith', 'paid', '$12.50', 'for', '2', 'books.'],
  );
  const price = result.words[3];
  assert.ok(price && price.endMs - price.beginMs > 800, 'twelve dollars fifty takes its time');
});

test('a pool spreads concurrent requests over its warm processes', async () => {
  const members = [new FestivalEngine(), new FestivalEngine()];
  const pool = new EnginePool(members);
  try {
    const texts = ['First one.', 'Second one.', 'Third one.', 'Fourth one.'];
    const results = await Promise.all(texts.map((text) => pool.synthesize(text, slt)));
    assert.deepEqual(
      results.map((result) => result.words.map((word) => word.text).join(' ')),
      texts,
    );
    const pids = members.map(
      (member) => (member as unknown as { child?: { pid?: number } }).child?.pid,
    );
    assert.ok(pids[0] && pids[1] && pids[0] !== pids[1], 'both processes served');
  } finally {
    await pool.close();
  }
});

test('concurrent first requests start one process, not one each', async () => {
  const fresh = new FestivalEngine();
  try {
    await Promise.all(['One.', 'Two.', 'Three.'].map((text) => fresh.synthesize(text, slt)));
    const child = (fresh as unknown as { child?: { pid?: number } }).child;
    const siblings = fs
      .readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[3] === String(process.pid);
        } catch {
          return false;
        }
      });
    assert.ok(child?.pid && siblings.includes(String(child.pid)));
    // This file's own engine may be running too; the fresh one added exactly one process.
    assert.ok(siblings.length <= 2, `festival children: ${siblings.length}`);
  } finally {
    await fresh.close();
  }
});

test('the server’s Festival writes under the data directory, not the system /tmp', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-festival-data-'));
  const ours = () =>
    fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('anima-festival-'));
  const before = new Set(ours());
  const speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 1, festivalProcesses: 1, dataDir });
  try {
    const spoken = await speech.tts.synthesize(speech.tts.plan({ text: 'Kept at home.' }));
    assert.ok(spoken.pcm.length > 8000);
    const work = fs.readdirSync(path.join(dataDir, 'tmp'));
    assert.equal(work.filter((name) => name.startsWith('anima-festival-')).length, 1, work.join());
    assert.deepEqual(
      ours().filter((name) => !before.has(name) && !name.startsWith('anima-festival-data-')),
      [],
    );
  } finally {
    await speech.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
