import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../src/errors/app-error.js';
import { parseSsml } from '../../src/voice/ssml.js';
import { buildCues, renderSrt, renderWebVtt } from '../../src/voice/subtitles.js';
import {
  longestUnpunctuatedRun,
  splitFirstPhrase,
  splitSentences,
  validateTtsText,
} from '../../src/voice/text.js';
import { normalizeEnglish } from '../../src/voice/english.js';
import { wordErrorRate } from '../../src/voice/wer.js';

test('more than 80 characters without punctuation is refused with the FAQ message', () => {
  const run = 'a'.repeat(81);
  assert.equal(longestUnpunctuatedRun(`${'b'.repeat(80)}, ${'c'.repeat(10)}`), 80);
  validateTtsText(`${'b'.repeat(80)}, ok.`, 1000);
  assert.throws(
    () => validateTtsText(run, 1000),
    (error: unknown) =>
      error instanceof AppError &&
      error.message === 'engine status error: failed, backend buffer size is too long',
  );
  assert.throws(() => validateTtsText('桥'.repeat(81), 1000), /backend buffer size is too long/);
  validateTtsText(`${'桥'.repeat(80)}，${'桥'.repeat(80)}。`, 1000);
  assert.throws(
    () => validateTtsText('Hello there.', 5),
    (error: unknown) => error instanceof AppError && error.key === 'ttsTextTooLong',
  );
  assert.throws(
    () => validateTtsText('   ', 100),
    (error: unknown) => error instanceof AppError && error.key === 'badParams',
  );
});

test('sentences split at their ends, Latin and CJK, but not inside numbers or abbreviations', () => {
  assert.deepEqual(splitSentences('Hello there. Mr. Smith paid 3.5 dollars! Did he? Yes'), [
    'Hello there.',
    'Mr. Smith paid 3.5 dollars!',
    'Did he?',
    'Yes',
  ]);
  assert.deepEqual(splitSentences('你好。今天天气很好！我们走吧'), [
    '你好。',
    '今天天气很好！',
    '我们走吧',
  ]);
  const long = `${'word '.repeat(20)}, ${'more '.repeat(20)}, ${'end '.repeat(5)}.`;
  const parts = splitSentences(long, 120);
  assert.ok(parts.length >= 2);
  assert.ok(parts.every((part) => part.length <= 120));
  assert.deepEqual(splitFirstPhrase('The quick brown fox, jumps over the lazy dog.'), [
    'The quick brown fox,',
    'jumps over the lazy dog.',
  ]);
  assert.deepEqual(splitFirstPhrase('Hi, there.'), ['Hi, there.']);
});

test('subtitles are short lines that never cross a sentence end', () => {
  const words = [
    'The',
    'quick',
    'brown',
    'fox',
    'jumps',
    'over',
    'the',
    'lazy',
    'dog',
    'and',
    'then',
    'runs',
    'home.',
  ].map((text, i) => ({
    text,
    beginMs: i * 400,
    endMs: i * 400 + 350,
    sentenceEnd: text === 'dog' || text === 'home.',
  }));
  const cues = buildCues(words, { maxChars: 20 });
  assert.deepEqual(
    cues.map((cue) => cue.text),
    ['The quick brown fox', 'jumps over the lazy', 'dog', 'and then runs home.'],
  );
  const srt = renderSrt(cues);
  assert.match(
    srt,
    /^1\n00:00:00,000 --> 00:00:01,550\nThe quick brown fox\n\n2\n00:00:01,600 --> /,
  );
  assert.match(
    renderWebVtt(cues),
    /^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.550\nThe quick brown fox\n/,
  );
  const chinese = buildCues(
    [...'桥下垂直净空十五米'].map((text, i) => ({ text, beginMs: i * 200, endMs: i * 200 + 200 })),
    { maxChars: 10 },
  );
  assert.deepEqual(cues.length > 0 && chinese.map((cue) => cue.text), ['桥下垂直净', '空十五米']);
});

test('the SSML subset: breaks, prosody, say-as, sub; invalid SSML is refused clearly', () => {
  const segments = parseSsml(
    '<speak>Hello <break time="500ms"/> <prosody rate="slow" pitch="+2st">call <say-as interpret-as="digits">112</say-as></prosody> <sub alias="World Wide Web">WWW</sub> &amp; done.</speak>',
  );
  assert.deepEqual(segments, [
    { text: 'Hello', rate: 1, pitchSemitones: 0, pauseAfterMs: 500 },
    { text: 'call 1 1 2', rate: 0.75, pitchSemitones: 2, pauseAfterMs: 0 },
    { text: 'World Wide Web & done.', rate: 1, pitchSemitones: 0, pauseAfterMs: 0 },
  ]);
  assert.deepEqual(parseSsml('plain text'), [
    { text: 'plain text', rate: 1, pitchSemitones: 0, pauseAfterMs: 0 },
  ]);
  for (const [bad, reason] of [
    ['<speak>unclosed', /<speak> is never closed/],
    ['<speak><voice name="x">hi</voice></speak>', /<voice> is not supported/],
    ['<speak>a < b</speak>', /starts no tag/],
    ['<speak><break time="soon"/>hi</speak>', /break time/],
    ['<speak><prosody rate="warp">hi</prosody></speak>', /prosody rate/],
    ['<speak><s>hi</p></speak>', /closes <s>/],
    ['<speak><break/></speak>', /no text/],
  ] as const) {
    assert.throws(
      () => parseSsml(bad),
      (error: unknown) =>
        error instanceof AppError && error.code === 7002 && reason.test(error.message),
      bad,
    );
  }
});

test('word error rate counts substitutions, deletions and insertions over normalised words', () => {
  assert.equal(wordErrorRate('The cat sat.', 'the cat sat'), 0);
  assert.equal(wordErrorRate('the cat sat', 'the bat sat'), 1 / 3);
  assert.equal(wordErrorRate('the cat sat', 'the sat'), 1 / 3);
  assert.equal(wordErrorRate('the cat sat', 'the cat sat down'), 1 / 3);
  assert.equal(wordErrorRate('', ''), 0);
  assert.equal(wordErrorRate('Mister Smith', 'mr smith'), 0);
});

test('a short opening phrase is spoken alone when the rest of the sentence is worth waiting for', () => {
  assert.deepEqual(splitFirstPhrase('Hello, and welcome to the show.'), [
    'Hello,',
    'and welcome to the show.',
  ]);
  assert.deepEqual(splitFirstPhrase('No commas in this one at all.'), [
    'No commas in this one at all.',
  ]);
});

test('numeric dates are read as dates, month first in US English and day first elsewhere', () => {
  assert.equal(normalizeEnglish('Due 2024-03-05.', 'en-US'), 'Due March 5, 2024.');
  assert.equal(normalizeEnglish('Due 3/5/2024.', 'en-US'), 'Due March 5, 2024.');
  assert.equal(normalizeEnglish('Due 3/5/2024.', 'en-GB'), 'Due May 3, 2024.');
  assert.equal(normalizeEnglish('Room 2024-13-45 and 1/2', 'en-US'), 'Room 2024-13-45 and 1/2');
});
