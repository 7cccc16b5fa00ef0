import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pcmOfWav } from '../../src/media/pcm.js';
import { openSpeech } from '../../src/voice/speech.js';
import { refusal } from '../helpers/media.js';

const speech = openSpeech({ ttsMaxChars: 2000, asrMaxStreams: 1, festivalProcesses: 2 });
after(() => speech.close());

function rms(pcm: Buffer): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 2) sum += pcm.readInt16LE(i) ** 2;
  return Math.sqrt(sum / Math.max(1, pcm.length / 2));
}

test('bad requests are refused before any audio is made, each with its own error', () => {
  const long = 'word '.repeat(20).replace(/ /g, '');
  assert.equal(refusal(() => speech.tts.plan({ text: `${long} ${long}` })).code, 6003);
  assert.equal(refusal(() => speech.tts.plan({ text: 'Hi.', voice: 'pv_nobody' })).code, 7003);
  assert.equal(refusal(() => speech.tts.plan({ text: 'Hi.', language: 'xx-YY' })).code, 7004);
  assert.equal(refusal(() => speech.tts.plan({ text: '<speak>Hi', ssml: true })).code, 7002);
  const range = refusal(() => speech.tts.plan({ text: 'Hi.', speedRatio: 5 }));
  assert.equal(range.code, 3333);
  assert.deepEqual(range.detail, [{ field: 'speed_ratio', problem: 'must be 0.5 to 2' }]);
  assert.equal(refusal(() => speech.tts.plan({ text: 'Hi.', sampleRate: 11025 })).code, 3333);
  assert.equal(refusal(() => speech.tts.plan({ text: 'x'.repeat(2001) })).code, 7001);
});

test('long text is spoken sentence by sentence, the first phrase alone, timed from the start', async () => {
  const plan = speech.tts.plan({
    text: 'Good morning everyone, and welcome to the show. Today we talk about speech. It is fun!',
  });
  const pieces = [];
  for await (const piece of speech.tts.stream(plan)) pieces.push(piece);
  assert.equal(pieces.length, 4, 'first phrase, rest of the sentence, two sentences');
  assert.equal(pieces[0]?.sentence, undefined);
  assert.deepEqual(
    pieces.flatMap((piece) => (piece.sentence ? [piece.sentence.text] : [])),
    [
      'Good morning everyone, and welcome to the show.',
      'Today we talk about speech.',
      'It is fun!',
    ],
  );
  let previousEnd = 0;
  for (const piece of pieces) {
    assert.equal(piece.beginMs, previousEnd);
    assert.ok(Math.abs(piece.endMs - piece.beginMs - (piece.pcm.length / 2 / 16000) * 1000) <= 1);
    for (const word of piece.words)
      assert.ok(word.beginMs >= piece.beginMs && word.endMs <= piece.endMs + 1);
    previousEnd = piece.endMs;
  }
  const first = pieces[1]?.sentence;
  assert.equal(first?.words[0]?.text, 'Good');
  assert.equal(first?.words.at(-1)?.text, 'show.');
});

test('pitch moves without changing length; volume scales; speed shortens', async () => {
  const text = 'The weather is lovely today.';
  const base = await speech.tts.synthesize(speech.tts.plan({ text }));
  const high = await speech.tts.synthesize(speech.tts.plan({ text, pitchOffset: 4 }));
  const quiet = await speech.tts.synthesize(speech.tts.plan({ text, volume: 0.5 }));
  const fast = await speech.tts.synthesize(speech.tts.plan({ text, speedRatio: 1.6 }));
  assert.ok(
    Math.abs(high.durationMs - base.durationMs) < base.durationMs * 0.08,
    `${high.durationMs} vs ${base.durationMs}`,
  );
  assert.notDeepEqual(high.pcm.subarray(0, 4000), base.pcm.subarray(0, 4000));
  assert.ok(Math.abs(rms(quiet.pcm) / rms(base.pcm) - 0.5) < 0.02);
  assert.ok(fast.durationMs < base.durationMs * 0.75, `${fast.durationMs} vs ${base.durationMs}`);
  const last = high.words.at(-1);
  assert.ok(last && Math.abs(last.endMs - high.durationMs) < 250, 'times follow the shifted audio');
});

test('SSML breaks become silence of the asked length, and cues are built for subtitles', async () => {
  const plain = await speech.tts.synthesize(speech.tts.plan({ text: 'One. Two.' }));
  const paused = await speech.tts.synthesize(
    speech.tts.plan({ text: '<speak>One.<break time="800ms"/>Two.</speak>', ssml: true }),
  );
  const added = paused.durationMs - plain.durationMs;
  assert.ok(added > 650 && added < 950, `break added ${added} ms`);
  assert.deepEqual(
    paused.cues.map((cue) => cue.text),
    ['One.', 'Two.'],
  );
  assert.ok((paused.cues[1]?.beginMs ?? 0) - (paused.cues[0]?.endMs ?? 0) >= 800);
});

test('an English numeric date is spoken as a date, and its words say so', async () => {
  const spoken = await speech.tts.synthesize(speech.tts.plan({ text: 'We met on 2024-03-05.' }));
  assert.deepEqual(
    spoken.words.map((word) => word.text),
    ['We', 'met', 'on', 'March', '5,', '2024.'],
  );
});

test('recognitions beyond the limit are refused as busy until one ends', async () => {
  const first = speech.asr.start('en-US');
  assert.equal(refusal(() => speech.asr.start('en-US')).code, 7009);
  assert.equal(refusal(() => speech.asr.start('zh-CN')).code, 7004);
  first.abort();
  const second = speech.asr.start('en');
  second.write(Buffer.alloc(3200));
  assert.equal((await second.finish()).text, '');
  speech.asr.start('en-US').abort();
});

test('speech written to a WAV file as it is made equals the speech in memory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-tts-file-'));
  try {
    const plan = speech.tts.plan({
      text: 'First sentence here. And a second one, a little longer.',
    });
    const inMemory = await speech.tts.synthesize(plan);
    const file = path.join(dir, 'speech.wav');
    let seen = 0;
    const written = await speech.tts.synthesizeToFile(plan, file, undefined, (pcm) => {
      seen += pcm.length;
    });
    const wav = fs.readFileSync(file);
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.deepEqual(pcmOfWav(wav), inMemory.pcm);
    assert.equal(seen, inMemory.pcm.length);
    assert.equal(written.durationMs, inMemory.durationMs);
    assert.deepEqual(written.cues, inMemory.cues);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('volume as a percentage: 100 is normal, 400 four times louder where it fits, and never clipped', async (t) => {
  const text = 'The weather is lovely today, and the sea is calm.';
  const base = await speech.tts.synthesize(speech.tts.plan({ text }));
  const hundred = await speech.tts.synthesize(speech.tts.plan({ text, volume: 100 }));
  const loud = await speech.tts.synthesize(speech.tts.plan({ text, volume: 400 }));
  assert.deepEqual(hundred.pcm, base.pcm);
  assert.equal(loud.pcm.length, base.pcm.length);
  // Where four times the loudest sample within 40 ms stays under the limiter's ceiling (−2 dBFS),
  // a sample is exactly four times as loud; elsewhere the limiter holds the gain down.
  const samples = base.pcm.length / 2;
  const reach = Math.round(speech.tts.plan({ text }).sampleRate * 0.04);
  const ceiling = 10 ** (-2 / 20) * 32767;
  let peak = 0;
  let scaled = 0;
  let fits = 0;
  for (let i = 0; i < samples; i++) {
    const before = base.pcm.readInt16LE(i * 2);
    const after = loud.pcm.readInt16LE(i * 2);
    peak = Math.max(peak, Math.abs(after));
    let near = 0;
    for (let k = Math.max(0, i - reach); k < Math.min(samples, i + reach); k++) {
      near = Math.max(near, Math.abs(base.pcm.readInt16LE(k * 2)));
    }
    if (near === 0 || 4 * near >= ceiling) continue;
    fits++;
    if (Math.abs(after - 4 * before) <= 4) scaled++;
  }
  assert.ok(peak <= Math.ceil(ceiling), `peak ${peak}: nothing passes the ceiling`);
  assert.ok(fits > samples * 0.05, `${fits} of ${samples} samples have room for four times`);
  assert.ok(scaled > fits * 0.98, `${scaled} of ${fits} samples with room exactly four times`);
  const ratio = rms(loud.pcm) / rms(base.pcm);
  t.diagnostic(
    `peak ${peak}, ${scaled} of ${fits} samples with room x4, RMS ratio ${ratio.toFixed(2)}`,
  );
  assert.ok(ratio > 1.5 && ratio <= 4, `loudness ratio ${ratio.toFixed(2)}`);
  const range = refusal(() => speech.tts.plan({ text, volume: 5000 }));
  assert.equal(range.detail?.[0]?.field, 'volume');
});

test('operator aliases name local voices; unknown ids fall back with a warning unless strict', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-aliases-'));
  const file = path.join(dir, 'aliases.json');
  try {
    fs.writeFileSync(file, JSON.stringify({ '8wfZav:AEA_Z10M': 'en-US-kal' }));
    const options = { ttsMaxChars: 100, asrMaxStreams: 1, festivalProcesses: 1 };
    const aliased = openSpeech({ ...options, voiceAliases: file });
    const mapped = aliased.tts.plan({ text: 'Hi.', voice: '8wfZav:AEA_Z10M' });
    assert.equal(mapped.voice.id, 'en-US-kal');
    assert.equal(mapped.warning, undefined);
    const unknown = aliased.tts.plan({ text: 'Hi.', voice: 'hosted-xyz', language: 'zh-CN' });
    assert.equal(unknown.voice.id, 'zh-CN-espeak');
    assert.match(unknown.warning ?? '', /hosted-xyz is not known here/);
    assert.equal(refusal(() => aliased.tts.plan({ text: 'Hi.', voice: 'pv_abc' })).code, 7003);
    const strict = openSpeech({ ...options, voiceStrict: true });
    assert.equal(refusal(() => strict.tts.plan({ text: 'Hi.', voice: 'hosted-xyz' })).code, 7003);
    void aliased.close();
    void strict.close();

    fs.writeFileSync(file, JSON.stringify({ narrator: 'en-US-nobody' }));
    assert.throws(
      () => openSpeech({ ...options, voiceAliases: file }),
      /ANIMA_VOICE_ALIASES .*"narrator" maps to "en-US-nobody", which is not a voice here/,
    );
    fs.writeFileSync(file, '{"narrator": ');
    assert.throws(() => openSpeech({ ...options, voiceAliases: file }), /is not valid JSON/);
    assert.throws(
      () => openSpeech({ ...options, voiceAliases: path.join(dir, 'missing.json') }),
      /cannot be read/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cancelling a stream while a piece is made ahead leaves no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const plan = speech.tts.plan({
      text: 'The first sentence is here. The second follows it. And a third one ends it.',
      voice: 'en-US-slt',
    });
    const abort = new AbortController();
    const pieces = speech.tts.stream(plan, abort.signal);
    await pieces.next();
    // As a live interrupt does: cancelled while the consumer is busy, noticed only later.
    abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await pieces.return(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
