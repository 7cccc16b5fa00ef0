import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { EspeakEngine } from '../../src/engines/tts/espeak.engine.js';

const engine = new EspeakEngine();
after(() => engine.close());
const mandarin = { engineVoice: 'cmn-latn-pinyin', sampleRate: 16000, rate: 1 };

test('Chinese text yields Mandarin phonemes with tones, not English letters', async () => {
  const phonemes = await engine.phonemize('你好，世界。', 'cmn-latn-pinyin');
  // 你好 shi4 jie4: tone contours (214 = third tone, 51 = fourth) on Mandarin initials.
  assert.match(phonemes, /n'i214/);
  assert.match(phonemes, /X'Au214/);
  assert.match(phonemes, /s\.'i\.51/);
  assert.doesNotMatch(phonemes, /\bT'i:|\bn'i:/, 'no English reading of the pinyin');
});

test('Mandarin speech is timed word by word in the original characters, numbers read as Chinese', async () => {
  const result = await engine.synthesize('你好，世界。今天是2024年3月5日。', mandarin);
  assert.equal(result.sampleRate, 22050);
  const words = result.words.map((word) => word.text);
  assert.equal(words[0], '你好，');
  assert.ok(words.includes('2024'), words.join('|'));
  assert.ok(words.includes('年'), words.join('|'));
  for (let i = 1; i < result.words.length; i++) {
    assert.ok((result.words[i]?.beginMs ?? 0) >= (result.words[i - 1]?.endMs ?? 0) - 1);
  }
  assert.ok((result.words.at(-1)?.endMs ?? 0) <= result.durationMs);
  // 二零二四 is four syllables: the year takes most of a second, not a blink.
  const year = result.words.find((word) => word.text === '2024');
  assert.ok(year && year.endMs - year.beginMs > 500);
});

test('English inside Chinese is spoken by an English voice and timed as one word', async () => {
  const result = await engine.synthesize('我用iPhone拍照。', mandarin);
  assert.deepEqual(
    result.words.map((word) => word.text),
    ['我', '用', 'iPhone', '拍照。'],
  );
  assert.match(await engine.phonemize('我用iPhone拍照。', 'cmn-latn-pinyin'), /'aI f'oUn/);
});

test('British English and speaking rate; synthesis stays off the event loop', async () => {
  // Counts turns of the event loop: none would pass if synthesis held the main thread until done.
  let turns = 0;
  let spinning = true;
  const spin = () => {
    if (!spinning) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  // Long enough that its synthesis outlasts a turn of the loop even on an idle machine: a short
  // one was answered by the worker before the first setImmediate ran (once, in a full run).
  const text = Array(6)
    .fill('Schedule a meeting about the tomato harvest. It will be a long one, I think.')
    .join(' ');
  const normal = await engine.synthesize(text, {
    engineVoice: 'en-gb',
    sampleRate: 16000,
    rate: 1,
  });
  const turnsDuringFirst = turns;
  const fast = await engine.synthesize(text, {
    engineVoice: 'en-gb',
    sampleRate: 16000,
    rate: 1.5,
  });
  spinning = false;
  assert.equal(normal.words[0]?.text, 'Schedule');
  assert.ok(
    normal.durationMs / fast.durationMs > 1.25,
    `${normal.durationMs} / ${fast.durationMs}`,
  );
  // One synthesis is enough to show it: a second, shorter one may end within a single turn.
  assert.ok(turnsDuringFirst > 0, 'the event loop turned while the first was synthesised');
});
