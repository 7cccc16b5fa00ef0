import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visemeOf, visemes } from '../../src/avatar/visemes.js';

test('ARPAbet sounds from Festival and PocketSphinx map to mouth shapes', () => {
  const shapes = ['pau', 'M', 'aa', 'IY1', 'uw', 'F', 'th', 'ow', 'eh', 's'].map((p) =>
    visemeOf(p, 'arpabet'),
  );
  assert.deepEqual(shapes, [
    'closed',
    'closed',
    'open',
    'wide',
    'pucker',
    'fv',
    'tongue',
    'round',
    'mid',
    'slight',
  ]);
});

test('eSpeak NG mnemonics map by their own meaning: its S is sh, not s', () => {
  const shapes = ['_:', 'm', 'a', 'i', 'u:', 'S', 'T', 'o', 'E', 's', 'Au', 'X'].map((p) =>
    visemeOf(p, 'espeak'),
  );
  assert.deepEqual(shapes, [
    'closed',
    'closed',
    'open',
    'wide',
    'pucker',
    'pucker',
    'tongue',
    'round',
    'mid',
    'slight',
    'open',
    'slight',
  ]);
  assert.equal(visemes.length, 9);
});
