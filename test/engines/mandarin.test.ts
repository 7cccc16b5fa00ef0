import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  integerToChinese,
  mandarinRuns,
  normalizeChineseNumbers,
  numberToChinese,
} from '../../src/engines/tts/mandarin.js';

const spokenNumbers = (text: string) =>
  normalizeChineseNumbers(text)
    .filter((unit) => unit.isNumber)
    .map((unit) => `${unit.original}=${unit.spoken}`);

test('integers and decimals are read as Chinese numbers', () => {
  assert.equal(integerToChinese('0'), '零');
  assert.equal(integerToChinese('15'), '十五');
  assert.equal(integerToChinese('105'), '一百零五');
  assert.equal(integerToChinese('10010'), '一万零一十');
  assert.equal(integerToChinese('200000000'), '二亿');
  assert.equal(numberToChinese('-3.25'), '负三点二五');
  assert.equal(numberToChinese('1,234'), '一千二百三十四');
});

test('dates, percentages, times, codes and measure words read the way people say them', () => {
  assert.deepEqual(spokenNumbers('2024年3月5日'), ['2024=二零二四', '3=三', '5=五']);
  assert.deepEqual(spokenNumbers('涨了50%'), ['50%=百分之五十']);
  assert.deepEqual(spokenNumbers('10:30开会'), ['10:30=十点三十分']);
  assert.deepEqual(spokenNumbers('电话010-12345678'), ['010-12345678=零一零，一二三四五六七八']);
  assert.deepEqual(spokenNumbers('买2个'), ['2=两']);
  assert.deepEqual(spokenNumbers('3-5天'), ['3=三', '5=五']);
  assert.equal(normalizeChineseNumbers('3-5天')[1]?.spoken, '到');
});

test('characters become tone-numbered pinyin, Latin words an English run, marks point at the original', () => {
  const runs = mandarinRuns('银行行长用iPhone。');
  assert.deepEqual(
    runs.map((run) => [run.language, run.text.trim()]),
    [
      ['zh', 'yin2 hang2 hang2 zhang3 yong4'],
      ['en', 'iPhone.'],
    ],
  );
  const first = runs[0]?.marks[0];
  assert.deepEqual([first?.start, first?.end], [0, 1]);
});
