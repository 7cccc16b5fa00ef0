import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findIllFormed } from '../../src/util/well-formed.js';

test('the first ill-formed string is named by its path; well-formed text, emoji included, passes', () => {
  assert.equal(findIllFormed({ a: 'ok 😀', b: ['fine', { c: 'x\ud800' }] }), 'b[1].c');
  assert.equal(findIllFormed({ ['key\udc00']: 1 }), 'key\ufffd');
  assert.equal(findIllFormed('\udfff'), 'body');
  assert.equal(findIllFormed({ a: 'x' }, 'param'), undefined);
  assert.equal(findIllFormed({ a: '\ud800' }, 'param'), 'param.a');
  assert.equal(findIllFormed({ text: '中文 😀 \u{1F600}', n: 3, b: true, z: null }), undefined);
});

test('nesting deeper than the call stack is walked, as JSON.parse accepts it', () => {
  const depth = 200_000;
  const deep: unknown = JSON.parse(`${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}`);
  assert.equal(findIllFormed(deep)?.length, depth * 3);
});
